import ClustmakeJSON
import PropertyBased
import Testing

@Suite struct SerializationTests {
    let sample: JSONValue = [
        "id": "j1", "deps": ["a", "b"], "cost": 1.5, "meta": [:], "list": [], "n": nil, "ok": true,
    ]

    @Test("compact output has no whitespace and keeps member order")
    func compact() {
        #expect(
            sample.serialized() == #"{"id":"j1","deps":["a","b"],"cost":1.5,"meta":{},"list":[],"n":null,"ok":true}"#)
    }

    @Test("pretty output indents by two spaces, one member or element per line")
    func pretty() {
        #expect(
            sample.serialized(pretty: true) == """
                {
                  "id": "j1",
                  "deps": [
                    "a",
                    "b"
                  ],
                  "cost": 1.5,
                  "meta": {},
                  "list": [],
                  "n": null,
                  "ok": true
                }
                """)
    }

    @Test("sortKeys sorts the members of every object")
    func sortKeys() {
        let value: JSONValue = ["b": ["z": 1, "y": 2], "a": 0]
        #expect(value.serialized(sortKeys: true) == #"{"a":0,"b":{"y":2,"z":1}}"#)
        #expect(value.serialized() == #"{"b":{"z":1,"y":2},"a":0}"#)
    }

    @Test("scalars serialize at the top level")
    func scalars() {
        #expect(JSONValue.null.serialized() == "null")
        #expect(JSONValue.int(.min).serialized() == "-9223372036854775808")
        #expect(JSONValue.string("a\"b").serialized() == #""a\"b""#)
        #expect(JSONValue.double(100).serialized() == "100.0")
    }

    @Test("non-finite reals serialize as null", arguments: [Double.nan, .infinity, -.infinity, .signalingNaN])
    func nonFinite(value: Double) {
        #expect(JSONValue.array([.double(value)]).serialized() == "[null]")
    }

    @Test("strings keep every character, with only the required escapes")
    func hostileString() throws {
        let text = "q\"b\\s/\u{0}\u{1}\u{1F}\u{7F}\n\t\u{2028}\u{2029}🧪e\u{301}"
        let json = JSONValue.string(text).serialized()
        #expect(json == #""q\"b\\s/\u0000\u0001\u001F"# + "\u{7F}" + #"\n\t"# + "\u{2028}\u{2029}🧪e\u{301}\"")
        #expect(try JSONValue.parse(json).stringValue?.utf8.elementsEqual(text.utf8) == true)
    }

    @Test("reals are written with 17 significant digits, which read back bit for bit")
    func realPrecision() async throws {
        #expect(JSONValue.double(0.1).serialized() == "0.10000000000000001")
        await propertyCheck(count: 2000, input: JSONGen.double) { value in
            let parsed = try JSONValue.parse(JSONValue.double(value).serialized())
            #expect(parsed.doubleValue?.bitPattern == value.bitPattern, "\(value)")
            #expect(parsed.kind == .double)
        }
    }

    @Test("parse(serialized(v)) gives v back, member order and real bits included")
    func roundTrip() async {
        await propertyCheck(count: 300, input: JSONGen.value(), Gen.bool) { value, pretty in
            let text = value.serialized(pretty: pretty)
            let parsed = try JSONValue.parse(text)
            #expect(identical(parsed, value), "\(text)")
        }
    }

    @Test("with sortKeys the round trip gives an equal value with sorted keys")
    func sortedRoundTrip() async {
        await propertyCheck(count: 100, input: JSONGen.value()) { value in
            let parsed = try JSONValue.parse(value.serialized(sortKeys: true))
            #expect(parsed == value)
            if let keys = parsed.objectValue?.keys {
                #expect(zip(keys, keys.dropFirst()).allSatisfy { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            }
        }
    }

    @Test("a key holding NUL serializes, but jansson refuses to read it back")
    func nulKey() throws {
        let text = JSONValue.object(["a\u{0}b": 1]).serialized()
        #expect(text == #"{"a\u0000b":1}"#)
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }
}
