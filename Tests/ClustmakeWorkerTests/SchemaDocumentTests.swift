import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// docs/redis-schema.md against what a real run leaves in redis, read with redis-cli.
@Suite struct SchemaDocumentTests {
    static let document: String = {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX))
        let path =
            realpath(#filePath, &resolved) != nil
            ? String(decoding: resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : #filePath
        let root = URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/redis-schema.md"), encoding: .utf8)) ?? ""
    }()

    @Test("the redis-cli transcript of the document reads the same from a real run")
    func transcript() throws {
        let fixture = try WorkerFixture([shell("hello", "echo hello")], namespace: "demo")
        let worker = try fixture.start(["hello"], hostname: "node1").finish()
        #expect(worker.status == 0, "\(worker.stderr)")
        let section = try #require(Self.document.components(separatedBy: "## Reading it with redis-cli").last)
        let block = try #require(
            section.components(separatedBy: "```console\n").dropFirst().first?
                .components(separatedBy: "```").first)
        var checked = 0
        var command: [String]?
        var expected: [String] = []
        func check() throws {
            guard let command else { return }
            let output = try redisCLI(fixture.server.port, command)
            #expect(output == expected.joined(separator: "\n"), "redis-cli \(command.joined(separator: " "))")
            checked += 1
        }
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("$ redis-cli ") {
                try check()
                command = Self.words(String(line.dropFirst("$ redis-cli ".count)))
                expected = []
            } else {
                expected.append(String(line))
            }
        }
        try check()
        #expect(checked >= 10)
    }

    @Test("every key and hash field of a varied run is documented, with its type")
    func keysAndFields() throws {
        let fixture = try WorkerFixture(
            [
                shell("ok", "echo fine"), shell("bad", "exit 4"), shell("after", "true", deps: ["bad"]),
                Job(
                    id: "slow", command: .argv(["sleep", "30"]), cwd: "/", env: [.init(name: "A", value: "1")],
                    nice: 3, memory: 1024, timeout: 0.2, tags: ["t"]),
            ], namespace: "fields")
        let logs = fixture.path("logs")
        #expect(try fixture.run(["ok"], options: ["--log_dir=\(logs)"]).status == 0)
        #expect(try fixture.run(["bad"]).status == 113)
        #expect(try fixture.run(["after"]).status == 115)
        #expect(try fixture.run(["slow"], options: ["--kill_grace=0.2"]).status == 113)
        let sections = Self.sections()
        let redis = try fixture.server.connect()
        let keys = try redis.command("KEYS", "*").array?.compactMap(\.string) ?? []
        var seenPatterns: Set<String> = []
        for key in keys {
            let match = sections.first { Self.matches(key, $0.pattern) }
            guard let match else {
                Issue.record("key \(key) is not documented")
                continue
            }
            seenPatterns.insert(match.pattern)
            let type = try redis.command("TYPE", key).string
            #expect(type == match.type, "TYPE \(key)")
            if type == "hash", !match.fields.isEmpty {
                // The states hash is keyed by job id; its table lists the values.
                let listing = match.pattern.hasSuffix(":states") ? "HVALS" : "HKEYS"
                let fields = try redis.command(listing, key).array?.compactMap(\.string) ?? []
                let undocumented = fields.filter { !match.fields.contains($0) }
                #expect(undocumented.isEmpty, "\(key) has undocumented fields \(undocumented)")
            }
        }
        #expect(seenPatterns.count >= 11, "\(seenPatterns.sorted())")
    }

    /// The documented keys: pattern, type, and the fields of its section's table.
    static func sections() -> [(pattern: String, type: String, fields: Set<String>)] {
        var result: [(String, String, Set<String>)] = []
        let lines = document.split(separator: "\n").map(String.init)
        for line in lines where line.hasPrefix("| `compmake:") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            let pattern = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            var fields: Set<String> = []
            if let heading = lines.firstIndex(of: "### `\(pattern)`") {
                for row in lines[(heading + 1)...] {
                    if row.hasPrefix("## ") || row.hasPrefix("### ") { break }
                    guard row.hasPrefix("| `") else { continue }
                    let first = row.split(separator: "|").first ?? ""
                    for part in first.split(separator: ",") {
                        fields.insert(
                            part.trimmingCharacters(in: .whitespaces).trimmingCharacters(
                                in: CharacterSet(charactersIn: "`")))
                    }
                }
            }
            result.append((pattern, cells[1], fields))
        }
        return result
    }

    /// Whether `key` is an instance of `pattern` (`NS`, `ID`, `N`, `NICK` stand for one part without colons).
    static func matches(_ key: String, _ pattern: String) -> Bool {
        let keyParts = key.split(separator: ":", omittingEmptySubsequences: false)
        let patternParts = pattern.split(separator: ":", omittingEmptySubsequences: false)
        guard keyParts.count == patternParts.count else { return false }
        for (part, expected) in zip(keyParts, patternParts) {
            switch expected {
            case "{NS}": if !(part.hasPrefix("{") && part.hasSuffix("}")) { return false }
            case "ID", "NICK": if part.isEmpty { return false }
            case "N": if Int(part) == nil { return false }
            default: if part != expected { return false }
            }
        }
        return true
    }

    /// Splits a shell line into words, honouring single quotes.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var started = false
        for character in line {
            if character == "'" {
                quoted.toggle()
                started = true
            } else if character == " " && !quoted {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }
}

/// Runs `redis-cli -p PORT --no-raw ARGS` and returns its output without the final newline.
func redisCLI(_ port: Int, _ arguments: [String]) throws -> String {
    let output = "/tmp/clustmake-redis-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    defer { unlink(output) }
    let argv = ["redis-cli", "-p", String(port), "--no-raw"] + arguments
    let pid: pid_t
    switch Spawn.process(argv, standardOutput: .file(output, append: false), standardError: .descriptor(2)) {
    case .success(let child): pid = child
    case .failure(let error): throw POSIXError(POSIXErrorCode(rawValue: error.code) ?? .ENOENT)
    }
    var exit: Int32 = 0
    waitpid(pid, &exit, 0)
    let text = try String(contentsOfFile: output, encoding: .utf8)
    return text.hasSuffix("\n") ? String(text.dropLast()) : text
}
