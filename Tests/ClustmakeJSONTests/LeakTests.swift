import ClustmakeJSON
import Testing

/// Repeats each operation 10,000 times and checks that resident memory stays flat, so that a
/// missed json_decref or free would show up.
///
/// Other suites run in parallel and can raise the resident set size once (glibc keeps freed
/// memory), so the 10,000 rounds are measured in five blocks: a leak grows every block, noise
/// does not, and the test looks at the block that grew least.
@Suite(.serialized) struct LeakTests {
    static let text: String = {
        var writer = JSONWriter()
        writer.beginArray()
        for index in 0..<50 {
            writer.value(["id": .string("j\(index)"), "command": "true", "deps": ["j1", "j2", "j3"], "cost": 1.5])
        }
        writer.endArray()
        return writer.string
    }()

    /// Runs `body` 1,000 times to warm up, then 5 × 2,000 times, and returns the least growth of
    /// the resident set size over one block, in bytes.
    func leastGrowth(_ body: () throws -> Void) rethrows -> Int {
        for _ in 0..<1_000 { try body() }
        var growths: [Int] = []
        for _ in 0..<5 {
            let before = residentSetSize()
            for _ in 0..<2_000 { try body() }
            growths.append(residentSetSize() - before)
        }
        return growths.min() ?? 0
    }

    /// 4 MB per 2,000 rounds: about 2 kB a round, while each round allocates several kilobytes (a leak adds
    /// 10 MB or more per 2,000 rounds). The resident set is the whole test process's, and other suites allocate
    /// meanwhile: 1 MB was seen exceeded once with no leak.
    static let limit = 4 << 20

    @Test("parsing and serializing 10,000 times does not grow memory")
    func parseAndSerialize() throws {
        // Each round allocates ~5 kB of JSON text and a tree; a leak would add ~50 MB or more.
        let grown = try leastGrowth {
            let value = try JSONValue.parse(Self.text)
            _ = value.serialized(pretty: true)
        }
        #expect(grown < Self.limit, "grew \(grown) bytes")
    }

    @Test("documents and their nodes are freed when the last node goes")
    func documents() throws {
        let grown = try leastGrowth {
            let document = try JSONDocument(string: Self.text)
            var total = 0
            for job in document.root.elements {
                total += job["id"]?.string?.utf8.count ?? 0
                for (key, member) in job.members { total += key.utf8.count + member.count }
            }
            _ = document.root.value
            #expect(total > 0)
        }
        #expect(grown < Self.limit, "grew \(grown) bytes")
    }

    @Test("streamed elements are freed once the body is done with them")
    func streaming() throws {
        let bytes = Array("{\"namespace\": \"n\", \"jobs\": \(Self.text)}".utf8)
        let grown = try leastGrowth {
            var count = 0
            _ = try JSONStream.read(bytes, streamingArray: "jobs") { count += $0.count }
            #expect(count == 200)
        }
        #expect(grown < Self.limit, "grew \(grown) bytes")
    }

    @Test("parse errors free what jansson allocated")
    func errors() {
        let broken = String(Self.text.dropLast(3))
        let grown = leastGrowth {
            _ = try? JSONValue.parse(broken)
            _ = try? JSONValue.parse(Self.text + "{\"a\": 1, \"a\": 2}")
        }
        #expect(grown < Self.limit, "grew \(grown) bytes")
    }
}
