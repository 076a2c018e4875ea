import ClustmakeJSON
import PropertyBased
import Testing

@Suite struct JSONWriterTests {
    @Test("commas, colons and nesting are put in for you")
    func structure() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("id")
        writer.string("j1")
        writer.key("deps")
        writer.beginArray()
        writer.string("a")
        writer.beginArray()
        writer.endArray()
        writer.beginObject()
        writer.endObject()
        writer.endArray()
        writer.key("n")
        writer.int(-7)
        writer.key("x")
        writer.double(2.5)
        writer.key("ok")
        writer.bool(true)
        writer.key("none")
        writer.null()
        #expect(writer.depth == 1)
        #expect(!writer.isComplete)
        writer.endObject()
        #expect(writer.isComplete)
        #expect(writer.string == #"{"id":"j1","deps":["a",[],{}],"n":-7,"x":2.5,"ok":true,"none":null}"#)
    }

    @Test("pretty output matches jansson's layout")
    func pretty() {
        let value: JSONValue = ["a": [1, 2], "b": [:], "c": [], "d": ["e": nil]]
        var writer = JSONWriter(pretty: true)
        writer.value(value)
        #expect(
            writer.string == """
                {
                  "a": [
                    1,
                    2
                  ],
                  "b": {},
                  "c": [],
                  "d": {
                    "e": null
                  }
                }
                """)
        var wide = JSONWriter(pretty: true, indentWidth: 4)
        wide.value([1])
        #expect(wide.string == "[\n    1\n]")
    }

    @Test(
        "reals are written in shortest round-trip form, and non-finite ones as null",
        arguments: [
            (1.0, "1.0"), (0.1, "0.1"), (-0.0, "-0.0"), (100, "100.0"), (1e16, "1e+16"), (1e-7, "1e-07"),
            (.leastNonzeroMagnitude, "5e-324"), (.greatestFiniteMagnitude, "1.7976931348623157e+308"),
            (123.456, "123.456"),
            (.nan, "null"), (.infinity, "null"), (-.infinity, "null"),
        ])
    func reals(value: Double, text: String) throws {
        var writer = JSONWriter()
        writer.double(value)
        #expect(writer.string == text)
        if value.isFinite {
            #expect(try JSONValue.parse(writer.bytes).doubleValue?.bitPattern == value.bitPattern)
        }
    }

    @Test("integers cover the whole Int64 range", arguments: [Int64.min, -1, 0, 7, 1_000_000, .max])
    func integers(value: Int64) throws {
        var writer = JSONWriter()
        writer.int(value)
        #expect(writer.string == String(value))
        #expect(try JSONValue.parse(writer.bytes) == .int(value))
    }

    @Test("strings escape exactly what RFC 8259 requires")
    func escaping() {
        var writer = JSONWriter()
        writer.string("q\"b\\s/\u{0}\u{8}\u{C}\n\r\t\u{1}\u{1F}\u{7F}\u{2028}🧪")
        #expect(writer.string == #""q\"b\\s/\u0000\b\f\n\r\t\u0001\u001F"# + "\u{7F}\u{2028}🧪\"")
    }

    @Test("every control character, quote and backslash survives the trip through jansson")
    func allSpecialCharacters() throws {
        var text = ""
        for scalar in 0...0x7F { text.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        var writer = JSONWriter()
        writer.beginObject()
        writer.key(String(text.dropFirst()))
        writer.string(text)
        writer.endObject()
        let parsed = try JSONValue.parse(writer.bytes)
        #expect(parsed.objectValue?.keys.first?.utf8.elementsEqual(text.dropFirst().utf8) == true)
        #expect(parsed.objectValue?.values.first?.stringValue?.utf8.elementsEqual(text.utf8) == true)
    }

    @Test("writer output parses back to the same value, member order and real bits included")
    func roundTrip() async {
        await propertyCheck(count: 500, input: JSONGen.value(), Gen.bool) { value, pretty in
            var writer = JSONWriter(pretty: pretty)
            writer.value(value)
            let parsed = try JSONValue.parse(writer.bytes)
            #expect(identical(parsed, value), "\(writer.string)")
        }
    }

    @Test("without reals, writer output equals jansson's serialization byte for byte")
    func sameBytesAsJansson() async {
        await propertyCheck(count: 300, input: JSONGen.valueWithoutReals(), Gen.bool) { value, pretty in
            var writer = JSONWriter(pretty: pretty)
            writer.value(value)
            #expect(writer.string == value.serialized(pretty: pretty))
        }
    }

    @Test("with reals, writer output and jansson's serialization parse to the same value")
    func sameValueAsJansson() async {
        await propertyCheck(count: 200, input: JSONGen.value()) { value in
            var writer = JSONWriter()
            writer.value(value)
            let fromWriter = try JSONValue.parse(writer.bytes)
            let fromJansson = try JSONValue.parse(value.serialized())
            #expect(identical(fromWriter, fromJansson))
        }
    }

    @Test("taking the bytes in pieces gives the same text as writing at once")
    func streaming() {
        var whole = JSONWriter(pretty: true)
        var pieces = JSONWriter(pretty: true)
        var streamed: [UInt8] = []
        whole.beginArray()
        pieces.beginArray()
        for index in 0..<1000 {
            let job: JSONValue = ["id": .string("j\(index)"), "deps": index > 0 ? [.string("j\(index - 1)")] : []]
            whole.value(job)
            pieces.value(job)
            if index % 97 == 0 { streamed += pieces.takeBytes() }
        }
        whole.endArray()
        pieces.endArray()
        streamed += pieces.takeBytes()
        #expect(streamed == whole.bytes)
        #expect(pieces.bytes.isEmpty)
        #expect(pieces.isComplete)
    }
}
