import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

// Fixtures of the collector's command tests (CollectorSnapshotTests, CollectorRunTests, CollectorCostsTests).

/// A redis-server with a namespace, and the built `clustmake` pointed at it.
final class CollectorFixture {
    let server: RedisServer
    let store: JobStore
    let namespace: String
    let directory: URL

    init(namespace: String) throws {
        server = try RedisServer()
        store = try JobStore(connection: try server.connect(), namespace: namespace)
        self.namespace = namespace
        directory = try CLI.temporaryDirectory()
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    var url: String { "redis://127.0.0.1:\(server.port)/0" }

    /// `clustmake COMMAND --namespace NS --redis URL ARGUMENTS…`.
    func clustmake(_ command: String, _ arguments: [String] = []) throws -> Tool.Result {
        try Tool.built("clustmake", [command, "--namespace", namespace, "--redis", url] + arguments, in: directory)
    }

    /// Runs the built worker: `compmake --hostname=HOST … --slave NS make_single more=False JOB`.
    func worker(_ job: String, on host: String) throws -> Tool.Result {
        try Tool.built(
            "compmake",
            [
                "--hostname=\(host)", "--db=redis", "--redis_host=127.0.0.1:\(server.port)", "--save_progress=False",
                "--kill_grace=1", "--slave", namespace, "make_single", "more=False", job,
            ], in: directory)
    }

    /// A file in the fixture's directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// Snapshot files in `Snapshots/collector/` next to this file; `CLUSTMAKE_RECORD_SNAPSHOTS=1` re-records them.
enum CollectorSnapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Snapshots").appendingPathComponent("collector").path

    /// Compares `actual` with the snapshot `name`, or records it.
    static func check(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        SnapshotFile.check(actual, path: directory + "/" + name, sourceLocation: sourceLocation)
    }

    /// `text` with the moment it was read (which changes from run to run) replaced by `READ-AT`.
    static func masked(_ text: String) -> String {
        text.replacingOccurrences(
            of: #"(\"read_at\":\"|clustmake status: namespace [a-z]+, )[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"#,
            with: "$1READ-AT", options: .regularExpression)
    }
}

/// Runs a program found on the PATH, failing with the Debian package to install when it is missing.
enum Tool {
    typealias Result = CLI.Result

    static func path(_ name: String, package: String) throws -> String {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw CLIError("\(name) is not installed; install the Debian package '\(package)' (scripts/install-deps.sh)")
    }

    /// Runs the built `clustmake` or `compmake` in `directory`. The child's environment has no `REDISCLI_AUTH`:
    /// tests that run in the same process may set it for a moment.
    static func built(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> Result {
        try run(CLI.built(executable), arguments, removing: ["REDISCLI_AUTH"], directory: directory)
    }

    /// Runs `program` with `arguments` (stdin from `input`, or /dev/null), stopping it after `timeout` seconds,
    /// with ``ClustmakeSystem/Spawn`` (clustmake's one process runner) and its output files.
    static func run(
        _ program: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
        removing removed: [String] = [], directory: URL? = nil, timeout: Double = 60
    ) throws -> Result {
        let output = try OutputFile.create("clustmake-test-stdout", in: [NSTemporaryDirectory()]).get()
        defer { close(output) }
        let errors = try OutputFile.create("clustmake-test-stderr", in: [NSTemporaryDirectory()]).get()
        defer { close(errors) }
        var standardInput = Spawn.Source.null
        var inputFile: Int32 = -1
        defer { if inputFile >= 0 { close(inputFile) } }
        if let input {
            inputFile = try OutputFile.create("clustmake-test-stdin", in: [NSTemporaryDirectory()]).get()
            let bytes = Array(input.utf8)
            guard bytes.withUnsafeBytes({ pwrite(inputFile, $0.baseAddress, $0.count, 0) }) == bytes.count else {
                throw CLIError("cannot write the standard input of \(program)")
            }
            standardInput = .descriptor(inputFile)
        }
        let pid = try Spawn.process(
            [program] + arguments, standardInput: standardInput, standardOutput: .descriptor(output),
            standardError: .descriptor(errors), environment: Spawn.environment(setting: environment, removing: removed),
            newProcessGroup: true, workingDirectory: directory?.path
        ).get()
        let ending = Spawn.wait(for: pid, timeout: .seconds(timeout), grace: .seconds(5)) { false }
        if ending.timedOut { throw CLIError("\(program) did not finish within \(timeout) s") }
        func text(_ descriptor: Int32) -> String {
            String(decoding: OutputFile.head(descriptor, limit: Int.max), as: UTF8.self)
        }
        return Result(status: ending.status ?? ending.signal ?? -1, stdout: text(output), stderr: text(errors))
    }
}
