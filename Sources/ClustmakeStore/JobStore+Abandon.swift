import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem

extension JobStore {
    /// What ``abandon(_:reason:)`` did.
    public enum AbandonOutcome: Sendable, Hashable {
        /// The job is recorded failed, with the reason; its dependents will find it failed and be blocked.
        case recorded
        /// The job is done after all: nothing changed.
        case alreadyDone
        /// A live worker holds the job's lease: nothing changed.
        case running
    }

    /// Records that the executor gave up on a job without a failed attempt of its own (it lost too many hosts):
    /// atomically, the job becomes `failed` with `reason` and a `job-abandoned` event is published. A job in
    /// progress whose lease expired is recorded lost first.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/unknownJob``, or when redis fails.
    public func abandon(_ id: String, reason: String) throws(StoreError) -> AbandonOutcome {
        let reply = try evaluate(
            StoreScripts.abandon, [RedisArgument(id), RedisArgument(reason), RedisArgument(UTCTime.now().iso8601)],
            "recording job '\(id)' failed")
        switch reply.string {
        case "failed": return .recorded
        case "done": return .alreadyDone
        case "running": return .running
        default: throw StoreError(.redis, "unexpected reply when recording job '\(id)' failed: \(reply)")
        }
    }

    /// Declares attempt `attempt` of job `id`, running on `host`, lost at once, with `reason`, and releases its
    /// lease, so that the job can start elsewhere without waiting for the lease to expire. For an executor that saw
    /// the host fail. Nothing changes unless that attempt, on that host, still owns the job.
    /// - Returns: Whether the attempt was declared lost.
    /// - Throws: ``StoreError`` when redis fails or the namespace is unknown.
    @discardableResult
    public func revokeLease(of id: String, attempt: Int, host: String, reason: String) throws(StoreError) -> Bool {
        let reply = try evaluate(
            StoreScripts.revoke,
            [
                RedisArgument(id), RedisArgument(String(attempt)), RedisArgument(host), RedisArgument(reason),
                RedisArgument(UTCTime.now().iso8601),
            ],
            "declaring attempt \(attempt) of job '\(id)' lost")
        return reply.string == "lost"
    }
}
