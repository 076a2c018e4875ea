public import ClustmakeModel
public import ClustmakeRedis
public import ClustmakeStore
import Testing

/// Records attempts with fixed times, the way workers record them: through the worker's side of the store
/// (`acquire`, then `finish` with the attempt's start, end and statistics). Only lost attempts, whose times the
/// store sets from its own clock, get their `started` and `lost_at` rewritten afterwards (documented keys of
/// docs/redis-schema.md), so that histories are deterministic.
public struct HistoryWriter {
    public let store: JobStore
    public let redis: RedisConnection
    /// Where attempts say their whole stdout is (`DIR/NS/JOB.N.stdout`), or `nil` for no log file.
    public let logDirectory: String?

    /// 2025-03-01T12:00:00Z: time 0 of the recorded histories.
    public static let epoch = 1_740_830_400.0

    /// - Parameters:
    ///   - store: The namespace to record into.
    ///   - redis: A connection to the same server, for the rewritten times of lost attempts.
    ///   - logDirectory: Where attempts say their whole stdout is, or `nil`.
    public init(store: JobStore, redis: RedisConnection, logDirectory: String? = nil) {
        self.store = store
        self.redis = redis
        self.logDirectory = logDirectory
    }

    /// Runs attempt after attempt of `job` on `host` from `start` seconds after ``epoch``, for `seconds`.
    @discardableResult
    public func run(
        _ job: String, on host: String, at start: Double, for seconds: Double, _ state: AttemptState = .succeeded,
        exit: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false, reason: String? = nil, stdout: String = "",
        stderr: String = "", cpu: Double? = nil, rss: UInt64 = 4_194_304
    ) throws -> FinishOutcome {
        let lease = try take(job, on: host)
        let exitStatus = exit ?? (signal == nil ? (state == .succeeded ? 0 : 1) : nil)
        let used = cpu ?? seconds * 0.8
        return try store.finish(
            lease,
            AttemptResult(
                state: state, reason: reason ?? (state == .succeeded ? nil : "exited with status \(exitStatus ?? 1)"),
                exitStatus: exitStatus, signal: signal, timedOut: timedOut,
                started: UTCTime(secondsSince1970: Self.epoch + start),
                ended: UTCTime(secondsSince1970: Self.epoch + start + seconds), wallTime: seconds,
                userCPU: used * 0.75, systemCPU: used * 0.25, maxRSS: rss, jobPID: 1000,
                stdoutTail: Array(stdout.utf8), stderrTail: Array(stderr.utf8),
                stdoutBytes: UInt64(stdout.utf8.count), stderrBytes: UInt64(stderr.utf8.count),
                stdoutLog: logDirectory.map { "\($0)/\(store.namespace)/\(job).\(lease.attempt).stdout" }))
    }

    /// Asks for `job` on `host` while a dependency failed: the store records it blocked.
    public func block(_ job: String, on host: String) throws {
        let outcome = try store.acquire(job, more: false, request: request(host))
        guard case .blocked = outcome else {
            Issue.record("expected '\(job)' to be blocked, got \(outcome)")
            throw HistoryWriterError.unexpected("\(outcome)")
        }
    }

    /// Starts `job` on `host` at `start` and lets its lease expire: the store records the attempt lost, found lost
    /// at `lostAt`.
    public func lose(_ job: String, on host: String, at start: Double, lostAt: Double) throws {
        let lease = try take(job, on: host, ttl: .milliseconds(1))
        var tries = 0
        while try store.reapLostJobs().isEmpty {
            tries += 1
            if tries > 1000 { throw HistoryWriterError.unexpected("the lease of '\(job)' did not expire") }
            _ = try redis.command("PING")
        }
        let key = "compmake:{\(store.namespace)}:attempt:\(job):\(lease.attempt)"
        let arguments: [RedisArgument] = [
            "HSET", RedisArgument(key), "started", RedisArgument(UTCTime(secondsSince1970: Self.epoch + start).iso8601),
            "lost_at", RedisArgument(UTCTime(secondsSince1970: Self.epoch + lostAt).iso8601),
        ]
        _ = try redis.command(arguments)
    }

    /// Takes the lease of `job`, or fails the test.
    public func take(_ job: String, on host: String, ttl: Duration = .seconds(30)) throws -> Lease {
        let outcome = try store.acquire(job, more: false, request: request(host, ttl: ttl))
        guard case .started(let lease) = outcome else {
            Issue.record("expected to take the lease of '\(job)', got \(outcome)")
            throw HistoryWriterError.unexpected("\(outcome)")
        }
        return lease
    }

    private func request(_ host: String, ttl: Duration = .seconds(30)) -> LeaseRequest {
        LeaseRequest(
            token: "\(host)/4242/\(UInt32.random(in: 0...UInt32.max))", ttl: ttl, host: host, nodename: "\(host).lab",
            workerPID: 4242, workerVersion: "test")
    }
}

public enum HistoryWriterError: Error {
    case unexpected(String)
}

/// A small run with every outcome, recorded with fixed times through the worker's API (``HistoryWriter``):
///
/// ```
/// n1: fetch [0, 2]          test [6.2, 9.2]   flaky [9.5, 10] interrupted
/// n1:   build#1 [2.5, 3.5] failed (exit 3)
/// n2: slow [0, 5] timed out     build#2 [4, 6]   lostjob [6.5, …] lost at 8
/// report: blocked by slow; never: not started
/// ```
public enum KnownHistory {
    public static let namespace = "known"

    /// The run's graph, pushed under `namespace`.
    public static func graph(namespace: String = namespace) throws -> JobGraph {
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

    /// Records the run into the writer's namespace (its graph pushed first).
    public static func record(with writer: HistoryWriter) throws {
        try writer.run("fetch", on: "n1", at: 0, for: 2, stdout: "fetched 1024 bytes\n", cpu: 0.5, rss: 8_388_608)
        try writer.run(
            "slow", on: "n2", at: 0, for: 5, .failed, signal: 15, timedOut: true,
            reason: "timed out after 5 s; the worker stopped it (killed by signal 15 (SIGTERM))",
            stdout: "sleeping\n", cpu: 0.01)
        try writer.run(
            "build", on: "n1", at: 2.5, for: 1, .failed, exit: 3, stdout: "cc -c main.c\n",
            stderr: "main.c:1: error: missing header\nmake: *** [main.o] Error 1\n")
        try writer.run("build", on: "n2", at: 4, for: 2, stdout: "cc -c main.c\nld -o app\n", rss: 50_331_648)
        try writer.run("test", on: "n1", at: 6.2, for: 3, stdout: "12 tests passed\n")
        try writer.run(
            "flaky", on: "n1", at: 9.5, for: 0.5, .interrupted, signal: 2,
            reason: "the worker was interrupted (SIGINT) and stopped the job")
        try writer.lose("lostjob", on: "n2", at: 6.5, lostAt: 8)
        try writer.block("report", on: "n2")
    }
}

/// The summary the finish script would write for the attempt hash at `key` as it is now (docs/redis-schema.md,
/// "Attempt summaries"): for tests that set an attempt's fields and its summary to agree, or not.
public func attemptSummary(of key: String, _ redis: RedisConnection) throws -> String {
    let names = [
        "attempt", "state", "host", "nodename", "worker_version", "worker_pid", "job_pid", "started", "ended",
        "lost_at", "wall_time", "user_cpu", "system_cpu", "max_rss", "exit_status", "signal", "timed_out", "reason",
        "stdout_bytes", "stderr_bytes", "stdout_log", "stderr_log", "superseded", "stale",
    ]
    var text = "1|"
    for name in names {
        if let value = try redis.command("HGET", key, name).string {
            text += "\(value.utf8.count):\(value)"
        } else {
            text += "~"
        }
    }
    return text
}
