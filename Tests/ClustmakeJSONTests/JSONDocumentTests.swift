import ClustmakeJSON
import PropertyBased
import Testing

@Suite struct JSONDocumentTests {
    let text =
        #"{"jobs": [{"id": "j1", "deps": [], "cost": 2}, {"id": "j2", "deps": ["j1"], "cost": 1.5, "x": null, "y": false}]}"#

    @Test("nodes read every kind of value in place")
    func access() throws {
        let document = try JSONDocument(string: text)
        let root = document.root
        #expect(root.kind == .object)
        #expect(root.count == 1)
        #expect(root.keys == ["jobs"])
        let jobs = try #require(root["jobs"])
        #expect(jobs.kind == .array)
        #expect(jobs.count == 2)
        #expect(jobs.elements.map { $0["id"]?.string } == ["j1", "j2"])
        let second = jobs[1]
        #expect(second.members.map(\.key) == ["id", "deps", "cost", "x", "y"])
        #expect(second.members.count == 5)
        #expect(second["deps"]?.elements.compactMap(\.string) == ["j1"])
        #expect(second["cost"]?.double == 1.5)
        #expect(second["cost"]?.int == nil)
        #expect(jobs[0]["cost"]?.int == 2)
        #expect(jobs[0]["cost"]?.double == 2.0)
        #expect(second["x"]?.isNull == true)
        #expect(second["y"]?.bool == false)
        #expect(second["missing"] == nil)
    }

    @Test("accessors for the wrong kind give nil or empty collections")
    func wrongKind() throws {
        let root = try JSONDocument(string: #"["s", 1, {"k": 1}]"#).root
        let string = root[0]
        #expect(string.int == nil && string.double == nil && string.bool == nil && !string.isNull)
        #expect(string["k"] == nil)
        #expect(string.count == 0)
        #expect(string.elements.isEmpty && string.members.count == 0 && string.keys.isEmpty)
        #expect(string.element(at: 0) == nil)
        #expect(root[1].string == nil)
        #expect(root[2].elements.isEmpty)
        #expect(root.members.count == 0)
        #expect(root.element(at: 3) == nil && root.element(at: -1) == nil)
        #expect(JSONNode.Elements.empty.isEmpty)
    }

    @Test("reading a node gives the same value as parsing into a JSONValue")
    func matchesValue() async {
        await propertyCheck(count: 200, input: JSONGen.value()) { value in
            let document = try JSONDocument(string: value.serialized())
            #expect(identical(document.root.value, value))
            let copy = try #require(rebuilt(document.root))
            #expect(identical(copy, value))
        }
    }

    @Test("strings with NUL, emoji and escapes come out whole")
    func strings() throws {
        let root = try JSONDocument(string: #"["a\u0000b", "\ud83e\uddea", "\"\\", ""]"#).root
        #expect(root.elements.map(\.string) == ["a\u{0}b", "🧪", "\"\\", ""])
        #expect(root[0].string?.utf8.count == 3)
    }

    @Test("keys are looked up byte for byte, NUL-free keys with any characters")
    func keyLookup() throws {
        let root = try JSONDocument(string: "{\"\": 1, \"\u{E9}\": 2, \"e\u{301}\": 3, \"🧪\": 4}").root
        #expect(root[""]?.int == 1)
        #expect(root["\u{E9}"]?.int == 2)
        #expect(root["e\u{301}"]?.int == 3)
        #expect(root["🧪"]?.int == 4)
    }

    @Test("a node keeps its document alive after the document variable is gone")
    func nodeKeepsDocument() throws {
        func firstID() throws -> JSONNode {
            let document = try JSONDocument(string: text)
            return try #require(document.root["jobs"]?[0]["id"])
        }
        let node = try firstID()
        #expect(node.string == "j1")
    }

    @Test("nodes can be read from several tasks at once")
    func concurrentReads() async throws {
        var writer = JSONWriter()
        writer.beginArray()
        for index in 0..<10_000 {
            writer.beginObject()
            writer.key("id")
            writer.string("j\(index)")
            writer.endObject()
        }
        writer.endArray()
        let document = try JSONDocument(bytes: writer.bytes)
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask { document.root.elements.reduce(0) { $0 + ($1["id"]?.string?.utf8.count ?? 0) } }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(counts).count == 1)
        #expect(counts.first == (0..<10_000).reduce(0) { $0 + "j\($1)".utf8.count })
    }
}
