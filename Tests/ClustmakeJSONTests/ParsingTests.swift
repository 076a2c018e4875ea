import ClustmakeJSON
import Testing

@Suite struct ParsingTests {
    @Test(
        "every kind of value parses, at the top level too",
        arguments: [
            ("null", JSONValue.null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("0", .int(0)),
            ("-42", .int(-42)),
            ("9223372036854775807", .int(.max)),
            ("-9223372036854775808", .int(.min)),
            ("1.5", .double(1.5)),
            ("1.0", .double(1.0)),
            ("-2e3", .double(-2000)),
            ("1E-2", .double(0.01)),
            (#""text""#, .string("text")),
            (#""""#, .string("")),
            ("[]", .array([])),
            ("{}", .object([:])),
            (#"[1, "a", null, [true], {"k": 2.5}]"#, [1, "a", nil, [true], ["k": 2.5]] as JSONValue),
            (" \t\r\n{\"a\" : { \"b\" : [ ] } }\n", ["a": ["b": []]] as JSONValue),
        ])
    func kinds(text: String, expected: JSONValue) throws {
        let value = try JSONValue.parse(text)
        #expect(identical(value, expected), "\(value) != \(expected)")
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
    }

    @Test(
        "escapes decode to the characters they name",
        arguments: [
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
            (#""\u00e9\u00E9""#, "\u{E9}\u{E9}"),
            (#""\ud83e\uddea""#, "🧪"),
            (#""a\u0000b""#, "a\u{0}b"),
            ("\"\u{2028}日本\"", "\u{2028}日本"),
        ])
    func escapes(text: String, expected: String) throws {
        let value = try JSONValue.parse(text)
        #expect(value.stringValue == expected)
        #expect(value.stringValue?.utf8.count == expected.utf8.count)
    }

    @Test("object members come out in document order")
    func memberOrder() throws {
        let value = try JSONValue.parse(
            #"{"z": 1, "a": 2, "m": 3, "b": 4, "y": 5, "c": 6, "x": 7, "d": 8, "w": 9, "e": 10}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m", "b", "y", "c", "x", "d", "w", "e"])
        #expect(value["w"] == 9)
    }

    @Test("a UTF-8 byte order mark before the value is skipped")
    func byteOrderMark() throws {
        #expect(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == [1])
    }

    @Test("a non-contiguous collection of bytes parses like an array")
    func nonContiguousBytes() throws {
        let bytes = Array(#"{"a": [1, 2]}"#.utf8)
        #expect(try JSONValue.parse(bytes.lazy.map { $0 }) == ["a": [1, 2]])
        #expect(try JSONValue.parse(bytes[...]) == ["a": [1, 2]])
    }

    @Test("nesting up to 2048 levels parses")
    func deepButAllowed() throws {
        let depth = 2048
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value = try JSONValue.parse(text)
        var levels = 1
        while case .array(let elements) = value, let first = elements.first {
            value = first
            levels += 1
        }
        #expect(levels == depth)
    }

    @Test("a file is read and parsed")
    func file() throws {
        let path = temporaryPath("ok.json")
        writeFile(path, Array(#"{"jobs": [{"id": "j1"}]}"#.utf8))
        defer { removeFile(path) }
        #expect(try JSONValue.parse(contentsOfFile: path)["jobs"]?[0]?["id"] == "j1")
        #expect(try JSONDocument(contentsOfFile: path).root["jobs"]?[0]["id"]?.string == "j1")
    }

    @Test("a large file (several megabytes, beyond one read buffer) is read whole")
    func largeFile() throws {
        var writer = JSONWriter()
        writer.beginArray()
        for index in 0..<200_000 { writer.string("job-\(index)") }
        writer.endArray()
        let path = temporaryPath("large.json")
        writeFile(path, writer.bytes)
        defer { removeFile(path) }
        let document = try JSONDocument(contentsOfFile: path)
        #expect(document.root.count == 200_000)
        #expect(document.root[199_999].string == "job-199999")
    }
}
