import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
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

/// Records attempts with fixed times through the worker's side of the store (`acquire`, then `finish` with the
/// attempt's times and statistics); only a lost attempt's `started` and `lost_at`, which the store takes from its own
/// clock, are rewritten afterwards (documented keys of docs/redis-schema.md). The same as ClustmakeCollectorTests'
/// HistoryWriter, which this target cannot import.
struct FixedHistory {
    let store: JobStore
    let redis: RedisConnection

    /// 2025-03-01T12:00:00Z: time 0 of the recorded run.
    static let epoch = 1_740_830_400.0

    func run(
        _ job: String, on host: String, at start: Double, for seconds: Double, _ state: AttemptState = .succeeded,
        exit: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false, reason: String? = nil, stdout: String = "",
        stderr: String = "", cpu: Double? = nil, rss: UInt64 = 4_194_304
    ) throws {
        let lease = try take(job, on: host)
        let exitStatus = exit ?? (signal == nil ? (state == .succeeded ? 0 : 1) : nil)
        let used = cpu ?? seconds * 0.8
        _ = try store.finish(
            lease,
            AttemptResult(
                state: state, reason: reason ?? (state == .succeeded ? nil : "exited with status \(exitStatus ?? 1)"),
                exitStatus: exitStatus, signal: signal, timedOut: timedOut,
                started: UTCTime(secondsSince1970: Self.epoch + start),
                ended: UTCTime(secondsSince1970: Self.epoch + start + seconds), wallTime: seconds,
                userCPU: used * 0.75, systemCPU: used * 0.25, maxRSS: rss, jobPID: 1000,
                stdoutTail: Array(stdout.utf8), stderrTail: Array(stderr.utf8),
                stdoutBytes: UInt64(stdout.utf8.count), stderrBytes: UInt64(stderr.utf8.count),
                stdoutLog: "/var/log/clustmake/\(store.namespace)/\(job).\(lease.attempt).stdout"))
    }

    func block(_ job: String, on host: String) throws {
        let outcome = try store.acquire(job, more: false, request: request(host))
        guard case .blocked = outcome else { throw CLIError("expected '\(job)' to be blocked, got \(outcome)") }
    }

    func lose(_ job: String, on host: String, at start: Double, lostAt: Double) throws {
        let lease = try take(job, on: host, ttl: .milliseconds(1))
        var tries = 0
        while try store.reapLostJobs().isEmpty {
            tries += 1
            if tries > 1000 { throw CLIError("the lease of '\(job)' did not expire") }
            _ = try redis.command("PING")
        }
        _ = try redis.command([
            "HSET", RedisArgument("compmake:{\(store.namespace)}:attempt:\(job):\(lease.attempt)"), "started",
            RedisArgument(UTCTime(secondsSince1970: Self.epoch + start).iso8601), "lost_at",
            RedisArgument(UTCTime(secondsSince1970: Self.epoch + lostAt).iso8601),
        ])
    }

    private func take(_ job: String, on host: String, ttl: Duration = .seconds(30)) throws -> Lease {
        let outcome = try store.acquire(job, more: false, request: request(host, ttl: ttl))
        guard case .started(let lease) = outcome else { throw CLIError("cannot take '\(job)': \(outcome)") }
        return lease
    }

    private func request(_ host: String, ttl: Duration = .seconds(30)) -> LeaseRequest {
        LeaseRequest(
            token: "\(host)/4242/\(UInt32.random(in: 0...UInt32.max))", ttl: ttl, host: host, nodename: "\(host).lab",
            workerPID: 4242, workerVersion: "test")
    }

    /// The known run of the snapshot tests: every outcome, on two hosts.
    ///
    /// ```
    /// n1: fetch [0, 2]   build#1 [2.5, 3.5] failed   test [6.2, 9.2]   flaky [9.5, 10] interrupted
    /// n2: slow [0, 5] timed out   build#2 [4, 6]   lostjob [6.5, …] lost at 8
    /// report: blocked by slow; never: not started
    /// ```
    static func graph(namespace: String) throws -> JobGraph {
        try JobGraph(
            namespace: namespace,
            jobs: [
                Job(id: "fetch", command: .shell("curl -o data.bin https://example.org/data"), cost: 2, tags: ["io"]),
                Job(id: "build", command: .argv(["make", "-C", "src dir"]), deps: ["fetch"], cost: 2, tags: ["cpu"]),
                Job(id: "test", command: .shell("make test"), deps: ["build"], cost: 3, tags: ["cpu"]),
                Job(id: "slow", command: .shell("sleep 100"), cost: 4, timeout: 5),
                Job(id: "flaky", command: .shell("./flaky.sh"), cost: 1),
                Job(id: "lostjob", command: .shell("./long.sh"), cost: 2),
                Job(id: "report", command: .shell("./report.sh"), deps: ["slow"], cost: 1),
                Job(id: "never", command: .shell("true"), deps: ["report"], cost: 1),
            ])
    }

    func recordKnownRun() throws {
        try run("fetch", on: "n1", at: 0, for: 2, stdout: "fetched 1024 bytes\n", cpu: 0.5, rss: 8_388_608)
        try run(
            "slow", on: "n2", at: 0, for: 5, .failed, signal: 15, timedOut: true,
            reason: "timed out after 5 s; the worker stopped it (killed by signal 15 (SIGTERM))",
            stdout: "sleeping\n", cpu: 0.01)
        try run(
            "build", on: "n1", at: 2.5, for: 1, .failed, exit: 3, stdout: "cc -c main.c\n",
            stderr: "main.c:1: error: missing header\nmake: *** [main.o] Error 1\n")
        try run("build", on: "n2", at: 4, for: 2, stdout: "cc -c main.c\nld -o app\n", rss: 50_331_648)
        try run("test", on: "n1", at: 6.2, for: 3, stdout: "12 tests passed\n")
        try run(
            "flaky", on: "n1", at: 9.5, for: 0.5, .interrupted, signal: 2,
            reason: "the worker was interrupted (SIGINT) and stopped the job")
        try lose("lostjob", on: "n2", at: 6.5, lostAt: 8)
        try block("report", on: "n2")
    }
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
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

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
        let path = CLI.productsDirectory.appendingPathComponent(executable).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CLIError("\(path) is not built; run 'swift build --build-tests' before 'swift test'")
        }
        return try run(path, arguments, removing: ["REDISCLI_AUTH"], directory: directory)
    }

    /// Runs `program` with `arguments` (stdin from `input`, or /dev/null), killing it after `timeout` seconds.
    static func run(
        _ program: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:],
        removing removed: [String] = [], directory: URL? = nil, timeout: Double = 60
    ) throws -> Result {
        let scratch = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout")
        let err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        for name in removed { merged[name] = nil }
        process.environment = merged
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let pipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : pipe
        try process.run()
        if let input {
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw CLIError("\(program) did not finish within \(timeout) s")
        }
        return Result(
            status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
