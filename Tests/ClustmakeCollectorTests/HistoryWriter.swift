import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Testing

/// Records attempts with fixed times, the way workers record them: through the worker's side of the store
/// (`acquire`, then `finish` with the attempt's start, end and statistics). Only lost attempts, whose times the
/// store sets from its own clock, get their `started` and `lost_at` rewritten afterwards (documented keys of
/// docs/redis-schema.md), so that histories are deterministic.
struct HistoryWriter {
    let store: JobStore
    let redis: RedisConnection

    /// 2025-03-01T12:00:00Z: time 0 of the recorded histories.
    static let epoch = 1_740_830_400.0

    init(store: JobStore, redis: RedisConnection) {
        self.store = store
        self.redis = redis
    }

    /// Runs attempt after attempt of `job` on `host` from `start` seconds after ``epoch``, for `seconds`.
    @discardableResult
    func run(
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
                stdoutBytes: UInt64(stdout.utf8.count), stderrBytes: UInt64(stderr.utf8.count)))
    }

    /// Asks for `job` on `host` while a dependency failed: the store records it blocked.
    func block(_ job: String, on host: String) throws {
        let outcome = try store.acquire(job, more: false, request: request(host))
        guard case .blocked = outcome else {
            Issue.record("expected '\(job)' to be blocked, got \(outcome)")
            throw HistoryWriterError.unexpected("\(outcome)")
        }
    }

    /// Starts `job` on `host` at `start` and lets its lease expire: the store records the attempt lost, found lost
    /// at `lostAt`.
    func lose(_ job: String, on host: String, at start: Double, lostAt: Double) throws {
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
    func take(_ job: String, on host: String, ttl: Duration = .seconds(30)) throws -> Lease {
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

enum HistoryWriterError: Error {
    case unexpected(String)
}
