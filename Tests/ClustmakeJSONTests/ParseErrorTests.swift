import ClustmakeJSON
import PropertyBased
import Testing

@Suite struct ParseErrorTests {
    /// The error that parsing `text` throws.
    func error(parsing text: String, source: String? = "jobs.json") throws -> JSONError {
        try #require(throws: JSONError.self) { try JSONValue.parse(text, source: source) }
    }

    func error(parsing bytes: [UInt8], source: String? = "jobs.json") throws -> JSONError {
        try #require(throws: JSONError.self) { try JSONValue.parse(bytes, source: source) }
    }

    @Test("a file that is not JSON at all (a password file) is not echoed: three escaped characters and a length")
    func notEchoed() throws {
        let password = try error(parsing: "hunter2-Secret-Pass\n", source: "pw")
        #expect(!password.description.contains("hunter2"), "\(password)")
        #expect(password.message == "invalid JSON: unexpected 'hun…' (19 characters)", "\(password)")
        let control = try error(parsing: "\u{1B}[2J{", source: "c")
        #expect(!control.description.unicodeScalars.contains { $0.value == 0x1B }, "\(control)")
        #expect(control.description.contains(#"\u{1B}"#), "\(control)")
    }

    @Test("a wrong token is located at its first character and named")
    func syntaxLocation() throws {
        let error = try error(parsing: "{\n  \"a\": 1,\n  \"b\": 2 x\n}")
        #expect(error.code == .syntax)
        #expect(error.line == 3)
        #expect(error.column == 10)
        #expect(error.position == 21)
        #expect(error.source == "jobs.json")
        #expect(error.message == "invalid JSON: expected ',' or '}' after an object member, found 'x'")
        #expect(error.hint == nil)
        #expect(
            error.description == "jobs.json:3:10: invalid JSON: expected ',' or '}' after an object member, found 'x'")
        #expect(error.underlying == "'}' expected near 'x'")
    }

    @Test("a multi-character token is located at its start, not where jansson stopped")
    func tokenStart() throws {
        let error = try error(parsing: "[\n  1, nope]")
        #expect((error.line, error.column, error.position) == (2, 6, 7))
        #expect(error.message == "invalid JSON: unexpected 'nope'")
        #expect(error.hint == "Put strings in double quotes.")
    }

    @Test("columns count characters, positions count bytes")
    func columnsAreCharacters() throws {
        let error = try error(parsing: "[\n\"h\u{E9}llo 🧪\", nope]")
        // Line 2 is `"héllo 🧪", nope]`: 'n' is its 12th character and byte 17 of the input.
        #expect((error.line, error.column, error.position) == (2, 12, 17))
    }

    @Test("the location is right after a byte order mark too")
    func locationAfterByteOrderMark() throws {
        let error = try error(parsing: [0xEF, 0xBB, 0xBF] + Array("[x]".utf8))
        #expect((error.line, error.column, error.position) == (1, 2, 4))
    }

    @Test("a missing colon is reported at the value that came instead")
    func missingColon() throws {
        let error = try error(parsing: #"{"a" 1}"#, source: nil)
        #expect((error.line, error.column, error.position) == (1, 6, 5))
        #expect(
            error.description
                == "line 1, column 6: invalid JSON: expected ':' after an object key, found '1'. "
                + "Fix: Put a ':' between the key and its value.")
    }

    @Test(
        "input cut short is reported as truncated, at the end of the input",
        arguments: [
            (#"{"jobs": [1, 2"#, "the input ends inside an array", "each '[' needs a ']'."),
            (#"{"jobs": "#, "the input ends where a value should follow", "cut short."),
            ("[1, 2,\n", "the input ends inside an array", "each '[' needs a ']'."),
            (#"{"a": 1"#, "the input ends inside an object", "each '{' needs a '}'."),
            (#"{"a""#, "the input ends inside an object", "each '{' needs a '}'."),
        ])
    func truncated(text: String, message: String, hintEnd: String) throws {
        let error = try error(parsing: text)
        #expect(error.code == .truncated)
        #expect(error.position == text.utf8.count)
        #expect(error.message == "invalid JSON: " + message)
        #expect(error.hint?.hasPrefix("Check whether the file was cut short") == true)
        #expect(error.hint?.hasSuffix(hintEnd) == true)
    }

    @Test(
        "a string left open is reported where it starts",
        arguments: ["[\"abc", "[\"" + String(repeating: "x", count: 100)])
    func openString(text: String) throws {
        let error = try error(parsing: text)
        #expect(error.code == .truncated)
        #expect((error.line, error.column, error.position) == (1, 2, 1))
        #expect(
            error.description
                == "jobs.json:1:2: invalid JSON: the input ends inside this string. "
                + "Fix: Add the closing '\"', or check whether the file was cut short.")
    }

    @Test("every proper prefix of a document fails as truncated (or as a cut token)")
    func allPrefixes() async {
        await propertyCheck(count: 40, input: JSONGen.value(depth: 3)) { value in
            let text = Array(JSONValue.array([value]).serialized(pretty: true).utf8)
            for length in 1..<text.count {
                let error = #expect(throws: JSONError.self) { try JSONValue.parse(text[..<length]) }
                guard let error else { continue }
                #expect([JSONError.Code.truncated, .syntax, .invalidUTF8].contains(error.code), "\(error)")
                if text[length - 1] == UInt8(ascii: ",") || text[length - 1] == UInt8(ascii: "[") {
                    #expect(error.code == .truncated, "\(error)")
                }
                #expect((error.position ?? 0) <= length)
            }
        }
    }

    @Test("empty and blank inputs have their own code and message", arguments: ["", "   \n\t "])
    func empty(text: String) throws {
        let error = try error(parsing: text)
        #expect(error.code == .emptyInput)
        #expect(error.line == nil)
        #expect(error.description.hasPrefix("jobs.json: "))
        #expect(error.description.hasSuffix(". Fix: Write {} or [] for an empty document."))
    }

    @Test("something after the top-level value is reported at its start")
    func trailingContent() throws {
        let error = try error(parsing: "{}\n{}")
        #expect(error.code == .trailingContent)
        #expect((error.line, error.column) == (2, 1))
        #expect(error.message == "invalid JSON: unexpected '{' after the end of the top-level value")
        #expect(error.hint == "Remove it, or put all the values in one array: a JSON document holds exactly one value.")
    }

    @Test(
        "invalid UTF-8 is located at the bad byte",
        arguments: [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF]])
    func invalidUTF8(bad: [UInt8]) throws {
        let error = try error(parsing: Array("{\"k\": \"ab".utf8) + bad + Array("\"}".utf8))
        #expect(error.code == .invalidUTF8)
        #expect((error.line, error.column, error.position) == (1, 10, 9))
        #expect(error.description.hasPrefix("jobs.json:1:10: the input is not valid UTF-8 (byte 0x"))
        #expect(error.hint == "Save the file as UTF-8.")
    }

    @Test("UTF-16 text is recognized as such")
    func utf16() throws {
        let utf16: [UInt8] = [0xFF, 0xFE] + "[1]".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let error = try error(parsing: utf16)
        #expect(error.code == .invalidUTF8)
        #expect(
            error.description
                == "jobs.json: the input is UTF-16 or UTF-32 text, not UTF-8. Fix: Save the file as UTF-8.")
    }

    @Test("a NUL byte is an error wherever it is, even after a complete value", arguments: [3, 1])
    func nulByte(at offset: Int) throws {
        var bytes = Array("[1]  ".utf8)
        bytes[offset] = 0
        let error = try error(parsing: bytes)
        #expect(error.code == .syntax)
        #expect(error.position == offset)
        #expect(error.message == "invalid JSON: unexpected NUL byte (0x00)")
    }

    @Test("a duplicate key is named and located at its second occurrence")
    func duplicateKey() throws {
        let error = try error(parsing: "{\"id\": 1,\n \"id\": 2}")
        #expect(error.code == .duplicateKey)
        #expect((error.line, error.column, error.position) == (2, 2, 11))
        #expect(
            error.description
                == #"jobs.json:2:2: duplicate key "id" in an object. "#
                + "Fix: Keep one of them: a key may appear only once in each object.")
    }

    @Test("a long duplicate key (which jansson does not quote) is still named and located")
    func longDuplicateKey() throws {
        let key = "\"a-rather-long-key-with-\\\"quotes\\\"-inside\""
        let error = try error(parsing: "{\(key): 1, \(key): 2}")
        #expect(error.code == .duplicateKey)
        #expect(error.position == key.utf8.count + 6)
        #expect(error.message == "duplicate key \(key) in an object")
    }

    @Test(
        "numbers beyond Int64 or Double are out of range, with the number in the message",
        arguments: [
            ("[123456789012345678901]", "integer 123456789012345678901 does not fit in 64 bits"),
            ("[-9223372036854775809]", "integer -9223372036854775809 does not fit in 64 bits"),
            ("[9223372036854775808]", "integer 9223372036854775808 does not fit in 64 bits"),
            ("[1e999]", "number 1e999 is too large for a double"),
        ])
    func outOfRange(text: String, message: String) throws {
        let error = try error(parsing: text)
        #expect(error.code == .numberOutOfRange)
        #expect(error.position == 1)
        #expect(error.message == message)
        #expect(error.hint != nil)
    }

    @Test("nesting deeper than 2048 levels is refused")
    func tooDeep() throws {
        for depth in [2049, 100_000] {
            let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let error = try error(parsing: text)
            #expect(error.code == .nestingTooDeep)
            #expect(error.message == "invalid JSON: arrays and objects nested more than 2048 levels deep")
        }
    }

    @Test("a key holding \\u0000 is refused, since jansson cannot store it")
    func nulInKey() throws {
        let error = try error(parsing: #"{"a\u0000b": 1}"#)
        #expect(error.code == .unsupportedKey)
        #expect(error.position == 1)
    }

    @Test(
        "common mistakes get a plain message and a fix",
        arguments: [
            ("['a']", #"unexpected "'""#, "Use double quotes around strings and keys."),
            ("[NaN]", "unexpected 'NaN'", "Write null or a string instead: NaN and infinities are not JSON numbers."),
            (
                "[-Infinity]", "unexpected '-Infinity'",
                "Write null or a string instead: NaN and infinities are not JSON numbers."
            ),
            ("// jobs\n[1]", "unexpected '/'", "Remove the comment: JSON has none."),
            ("[1, 2,]", "expected a value, found ']'", "Remove the comma before ']'."),
            ("{\"a\": 1,\n}", "expected a key in double quotes, found '}'", "Remove the comma before '}'."),
            ("{id: 1}", "expected a key in double quotes, found 'id'", "Put the key in double quotes."),
            (
                #"{"a": 1 "b": 2}"#, #"expected ',' or '}' after an object member, found '"b"'"#,
                "Add a ',' between the members."
            ),
            ("[1 2]", "expected ',' or ']' after an array element, found '2'", "Add a ',' between the elements."),
            (#"{"a": [1}"#, "expected ',' or ']' after an array element, found '}'", "Close the array with ']' first."),
            ("[True]", "unexpected 'True'", "Write true, false or null, in lower case."),
            ("[nul]", "unexpected 'nul'", "Write true, false or null in full."),
            ("[yes]", "unexpected 'yes'", "Put strings in double quotes."),
            (
                #"["a\qb"]"#, #"invalid escape '\q' in a string"#,
                #"Use one of the escapes \" \\ \/ \b \f \n \r \t \uXXXX (write a backslash as \\)."#
            ),
            ("[\"a\tb\"]", "unescaped control character U+0009 in a string", #"Write it as the escape \t."#),
            ("[\"a\u{1}b\"]", "unescaped control character U+0001 in a string", #"Write it as the escape \u0001."#),
            (
                "[01]", "unexpected '01'",
                "Write numbers without a leading '+', '.' or 0 and without a trailing '.', for example 0.5, 1.0, 10."
            ),
            (
                "[.5]", "unexpected '.5'",
                "Write numbers without a leading '+', '.' or 0 and without a trailing '.', for example 0.5, 1.0, 10."
            ),
            (
                #"["\ud800"]"#, #"unpaired surrogate '\uD800' in a string"#,
                #"Write a character beyond U+FFFF as a pair of escapes, such as \ud83e\uddea."#
            ),
        ])
    func mistakes(text: String, message: String, hint: String) throws {
        let error = try error(parsing: text)
        #expect(error.code == .syntax)
        #expect(error.message == "invalid JSON: " + message)
        #expect(error.hint == hint)
        #expect(error.description.hasSuffix(". Fix: " + hint))
    }

    @Test("errors inside a string point at the bad character or escape, not the string's start")
    func insideString() throws {
        let control = try error(parsing: "[\"abc\u{1}\"]")
        #expect((control.column, control.position) == (6, 5))
        let escape = try error(parsing: #"["abc\x"]"#)
        #expect((escape.column, escape.position) == (6, 5))
    }

    @Test("random bytes either parse or fail with a located, worded error")
    func randomBytes() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...64)) { bytes in
            do throws(JSONError) {
                _ = try JSONValue.parse(bytes, source: "fuzz")
                _ = try JSONDocument(bytes: bytes, source: "fuzz")
            } catch {
                #expect(error.description.hasPrefix("fuzz"))
                #expect(!error.message.isEmpty)
                if let position = error.position {
                    #expect(position >= 0 && position <= bytes.count)
                    #expect((error.line ?? 0) >= 1 && (error.column ?? 0) >= 1)
                }
            }
        }
    }

    @Test("random JSON-like text never crashes the parser and locates its errors inside the input")
    func randomJSONishText() async {
        let alphabet = Gen.element(of: Array(#"{}[]":,. -+0123456789eEtrufalsn\u"#) + ["\n", "é", "\u{1F}"])
        let characters = alphabet.map { (character: Character?) -> Character in character ?? " " }
        await propertyCheck(count: 1000, input: characters.array(of: 0...40)) { characters in
            let text = String(characters)
            do throws(JSONError) {
                _ = try JSONValue.parse(text)
            } catch {
                #expect((error.position ?? 0) <= text.utf8.count, "\(error)")
                #expect(error.code != .unknown, "\(error)")
            }
        }
    }

    @Test("a missing file is an io error naming the file and the reason")
    func missingFile() throws {
        let error = try #require(throws: JSONError.self) {
            try JSONValue.parse(contentsOfFile: "/nonexistent/jobs.json")
        }
        #expect(error.code == .io)
        #expect(error.description == "/nonexistent/jobs.json: cannot open the file: No such file or directory")
        #expect(error.line == nil)
        let directory = try #require(throws: JSONError.self) { try JSONDocument(contentsOfFile: "/tmp") }
        #expect(directory.description == "/tmp: cannot read the file: Is a directory")
    }

    @Test("a document reports parse errors like a value does")
    func documentErrors() throws {
        let error = try #require(throws: JSONError.self) { try JSONDocument(string: "[1,]", source: "plan.json") }
        #expect(
            error.description
                == "plan.json:1:4: invalid JSON: expected a value, found ']'. Fix: Remove the comma before ']'.")
    }
}
