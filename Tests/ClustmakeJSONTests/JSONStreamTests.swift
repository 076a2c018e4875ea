import ClustmakeJSON
import PropertyBased
import Synchronization
import Testing

@Suite struct JSONStreamTests {
    let graph = #"{"namespace": "rnaseq", "jobs": [{"id": "a"}, {"id": "b", "deps": ["a"]}, 3], "note": null}"#

    @Test("the elements of the chosen member come one by one, the rest comes back as a value")
    func streamsMember() throws {
        var ids: [String?] = []
        let rest = try JSONStream.read(Array(graph.utf8), source: "jobs.json", streamingArray: "jobs") { job in
            ids.append(job["id"]?.string ?? job.int.map { "#\($0)" })
        }
        #expect(ids == ["a", "b", "#3"])
        #expect(rest == ["namespace": "rnaseq", "jobs": [], "note": nil])
        #expect(rest.objectValue?.keys == ["namespace", "jobs", "note"])
    }

    @Test("a top-level array is streamed when no key is given")
    func streamsTopLevelArray() throws {
        var seen: [JSONValue] = []
        let rest = try JSONStream.read(Array(#" [1, "two", [3], {"four": 4}, null] "#.utf8), streamingArray: nil) {
            seen.append($0.value)
        }
        #expect(seen == [1, "two", [3], ["four": 4], nil])
        #expect(rest == [])
        #expect(try JSONStream.read(Array("[]".utf8), streamingArray: nil) { _ in Issue.record("no elements") } == [])
    }

    @Test(
        "a document of another shape is returned whole and nothing is streamed",
        arguments: [
            (#"[1, 2]"#, "jobs"), (#"{"jobs": {"a": 1}}"#, "jobs"), (#"{"tasks": [1]}"#, "jobs"), (#""text""#, "jobs"),
            (#"{}"#, "jobs"), (#"{"jobs": [1]}"#, nil),
        ] as [(String, String?)])
    func otherShapes(text: String, key: String?) throws {
        let rest = try JSONStream.read(Array(text.utf8), streamingArray: key) { _ in Issue.record("streamed") }
        #expect(rest == (try JSONValue.parse(text)))
    }

    @Test("only the first member with the key is streamed, and duplicate top-level keys are refused")
    func duplicateTopLevelKey() throws {
        let text = "{\"jobs\": [1],\n \"jobs\": [2]}"
        let error = try #require(throws: JSONError.self) {
            try JSONStream.read(Array(text.utf8), source: "g.json", streamingArray: "jobs") { _ in }
        }
        #expect(error.code == .duplicateKey)
        #expect((error.line, error.column, error.position) == (2, 2, 15))
    }

    @Test("an error thrown by the body stops the reading and comes out as it was")
    func bodyError() throws {
        struct Stop: Error, Equatable {}
        var calls = 0
        #expect(throws: Stop()) {
            try JSONStream.read(Array("[1, 2, 3, {".utf8), streamingArray: nil) { _ in
                calls += 1
                if calls == 2 { throw Stop() }
            }
        }
        #expect(calls == 2)
    }

    @Test("nodes kept from the body stay readable after the reading is done")
    func keptNodes() throws {
        var kept: [JSONNode] = []
        _ = try JSONStream.read(Array(graph.utf8), streamingArray: "jobs") { kept.append($0) }
        #expect(kept.first?["id"]?.string == "a")
        #expect(kept[1]["deps"]?[0].string == "a")
    }

    @Test("a file is streamed like bytes")
    func file() throws {
        let path = temporaryPath("stream.json")
        writeFile(path, [0xEF, 0xBB, 0xBF] + Array(graph.utf8))
        defer { removeFile(path) }
        var count = 0
        let rest = try JSONStream.read(contentsOfFile: path, streamingArray: "jobs") { _ in count += 1 }
        #expect(count == 3)
        #expect(rest["namespace"] == "rnaseq")
    }

    @Test(
        "structural mistakes around the streamed array are located and explained",
        arguments: [
            (
                #"{"jobs": [1 2]}"#, JSONError.Code.syntax, 12, "expected ',' or ']' after an array element, found '2'",
                "Add a ',' between the elements."
            ),
            (#"{"jobs": [1,]}"#, .syntax, 12, "expected a value, found ']'", "Remove the comma before ']'."),
            (
                #"{"jobs": [1], }"#, .syntax, 14, "expected a key in double quotes, found '}'",
                "Remove the comma before '}'."
            ),
            (
                #"{jobs: [1]}"#, .syntax, 1, "expected a key in double quotes, found 'jobs'",
                "Put the key in double quotes."
            ),
            (
                #"{"jobs" [1]}"#, .syntax, 8, "expected ':' after an object key, found '['",
                "Put a ':' between the key and its value."
            ),
            (
                #"{"a": 1 "jobs": []}"#, .syntax, 8, #"expected ',' or '}' after an object member, found '"'"#,
                "Add a ',' between the members."
            ),
            (
                #"{"jobs": [1, 2"#, .truncated, 14, "the input ends inside an array",
                "Check whether the file was cut short; each '[' needs a ']'."
            ),
            (
                #"{"jobs": [1]"#, .truncated, 12, "the input ends inside an object",
                "Check whether the file was cut short; each '{' needs a '}'."
            ),
            (
                #"{"jobs": []} x"#, .trailingContent, 13, "unexpected 'x' after the end of the top-level value",
                "Remove it, or put all the values in one array: a JSON document holds exactly one value."
            ),
        ] as [(String, JSONError.Code, Int, String, String?)])
    func structureErrors(text: String, code: JSONError.Code, position: Int, message: String, hint: String?) throws {
        let error = try #require(throws: JSONError.self) {
            try JSONStream.read(Array(text.utf8), source: "g.json", streamingArray: "jobs") { _ in }
        }
        #expect(error.code == code)
        #expect(error.position == position)
        #expect(error.message == message || error.message == "invalid JSON: " + message)
        #expect(error.hint == hint)
        #expect(error.description.hasPrefix("g.json:1:\(position + 1): "))
        // Read on several threads, the same error.
        let parallel = try #require(throws: JSONError.self) {
            try JSONStream.read(Array(text.utf8), source: "g.json", streamingArray: "jobs", threads: 3) { $1 }
        }
        #expect(parallel.description == error.description)
    }

    @Test("read on several threads: the same elements in the same order, the same rest, the same first error")
    func parallelAgreesWithSerial() async {
        let documents = zip(
            JSONGen.value(depth: 3).array(of: 0...40), Gen.int(in: 0...2000), Gen.uint8(), Gen.int(in: 0...3))
        await propertyCheck(count: 400, input: documents) { jobs, cut, byte, change in
            let whole: JSONValue = ["namespace": "n", "jobs": .array(jobs), "after": [1, 2]]
            var bytes = Array(whole.serialized(pretty: change == 3).utf8)
            if change == 1 {
                bytes[cut % bytes.count] = byte
            } else if change == 2 {
                bytes.removeSubrange((cut % bytes.count)...)
            }
            // Elements that are strings of an odd length are refused, to see which refusal comes out first.
            let calls = Mutex(0)
            let transform: @Sendable (JSONNode, Int) throws -> JSONValue = { node, position in
                calls.withLock { $0 += 1 }
                if let text = node.string, text.count % 2 == 1 { throw Refused(position: position) }
                return node.value
            }
            func outcome(_ threads: Int) -> Result<JSONValue, any Error> {
                calls.withLock { $0 = 0 }
                return Result {
                    let (rest, elements) = try JSONStream.read(
                        bytes, source: "g.json", streamingArray: "jobs", threads: threads, transform: transform)
                    return ["rest": rest, "elements": .array(elements)]
                }
            }
            switch (outcome(1), outcome(3)) {
            case (.success(let serial), .success(let parallel)):
                #expect(serial == parallel)
                // Valid text is read once, on the threads, never again one element after the other.
                #expect(calls.withLock { $0 } == parallel["elements"]?.arrayValue?.count)
            case (.failure(let serial as JSONError), .failure(let parallel as JSONError)):
                #expect(serial.description == parallel.description)
            case (.failure(let serial as Refused), .failure(let parallel as Refused)):
                #expect(serial == parallel)
            case (let serial, let parallel):
                Issue.record("one thread: \(serial), three: \(parallel)")
            }
        }
    }

    @Test("read on several threads, elements whose strings hold brackets, commas and escapes are each parsed once")
    func parallelParsesOnce() throws {
        let element = #"{"id": "a]\"},{", "deps": ["[", "\\", "}"], "n": [1, [2, {"b": "]"}]], "x": -1.5e3}"#
        let others = [#""\"]""#, "true", "null", "12", #"[]"#, #"{}"#, #""é\u00e9""#]
        let text =
            "{\"jobs\": ["
            + (0..<50).map { $0 % 8 == 0 ? element : others[$0 % others.count] }
            .joined(separator: ",\n ") + "], \"after\": [1]}"
        let calls = Mutex(0)
        let (rest, elements) = try JSONStream.read(Array(text.utf8), streamingArray: "jobs", threads: 4) {
            node, _ in
            calls.withLock { $0 += 1 }
            return node.value
        }
        var serial: [JSONValue] = []
        let serialRest = try JSONStream.read(Array(text.utf8), streamingArray: "jobs") { serial.append($0.value) }
        #expect(elements == serial)
        #expect(rest == serialRest)
        // No element was parsed twice: the reading on several threads stood, none was read again one by one.
        #expect(calls.withLock { $0 } == 50)
    }

    struct Refused: Error, Equatable {
        var position: Int
    }

    @Test("streaming reads what parsing reads, and fails where parsing fails")
    func agreesWithParse() async {
        let documents = zip(JSONGen.value(depth: 3).array(of: 0...6), Gen.int(in: 0...200), Gen.uint8(), Gen.bool)
        await propertyCheck(count: 400, input: documents) { jobs, cut, byte, corrupt in
            let whole: JSONValue = ["namespace": "n", "jobs": .array(jobs), "after": [1, 2]]
            var bytes = Array(whole.serialized(pretty: true).utf8)
            if corrupt {
                // Break the text: overwrite one byte, or cut it short.
                let index = cut % bytes.count
                if byte.isMultiple(of: 2) { bytes[index] = byte } else { bytes.removeSubrange(index...) }
            }
            var streamed: [JSONValue] = []
            let parsed = Result { () throws(JSONError) in try JSONValue.parse(bytes) }
            let read = Result {
                try JSONStream.read(bytes, streamingArray: "jobs") { streamed.append($0.value) }
            }
            switch (parsed, read) {
            case (.success(let value), .success(let rest)):
                var expected = value.objectValue
                if case .array(let elements)? = expected?["jobs"] {
                    #expect(streamed == elements)
                    expected?["jobs"] = []
                }
                #expect(rest == expected.map(JSONValue.object) ?? value)
            case (.failure(let parseError), .failure(let readError as JSONError)):
                #expect(parseError.code == readError.code, "\(parseError) / \(readError)")
                #expect(parseError.position == readError.position, "\(parseError) / \(readError)")
            default:
                Issue.record("parse: \(parsed), stream: \(read)")
            }
        }
    }
}
