/// The exit statuses of `compmake … make_single` (docs/worker.md has the table).
///
/// 0 and 113 are compmake's: the job is done, or it failed. 115 (blocked) is also about the job: a dependency
/// failed. Every other status is trouble with the host, redis, the tunnel or the way the worker was called: the
/// job did not fail, and an executor may run it again elsewhere, as compmake did with any status but 0 and 113.
/// (Statuses the worker never returns: 126 and 127 come from `nice` or the shell when `compmake` cannot be run or
/// found on the host, 255 from ssh itself.)
public enum WorkerExitStatus {
    /// The job is done: it ran and succeeded, or it was already up to date.
    public static let success: Int32 = 0
    /// The job ran and failed: non-zero exit, killed by a signal, timed out, or its command could not be started
    /// (compmake's `RET_CODE_JOB_FAILED`).
    public static let jobFailed: Int32 = 113
    /// A bug in the worker, or a record in redis it cannot read (compmake's `RET_CODE_COMPMAKE_BUG`).
    public static let internalError: Int32 = 114
    /// A dependency failed or is blocked: the job was recorded blocked and did not run. A job outcome, not a host
    /// failure: do not retry it elsewhere; it runs once the dependency is done.
    public static let blocked: Int32 = 115
    /// Dependencies were not done, at once (no `wait=`) or within `wait=SECONDS`; nothing was run or recorded.
    public static let dependenciesNotReady: Int32 = 116
    /// Another worker holds the job's lease (it runs the job now); nothing was touched.
    public static let leaseHeld: Int32 = 117
    /// redis could not be reached, or was lost and did not come back in time (the tunnel, the network, the server).
    public static let redisUnreachable: Int32 = 118
    /// The namespace was written with another schema version than this worker's.
    public static let schemaMismatch: Int32 = 119
    /// The namespace or the job does not exist in redis (nothing pushed, or a wrong `--slave NS` or job id).
    public static let unknownJob: Int32 = 120
    /// The command line (or the password file it names) is wrong.
    public static let badArguments: Int32 = 121
    /// redis refused the login or a command: wrong or missing password, ACL permissions.
    public static let redisRefused: Int32 = 122
    /// The worker got SIGINT, SIGTERM or SIGHUP (or its session dropped) and stopped; a running job was stopped,
    /// recorded as interrupted, and its lease released.
    public static let interrupted: Int32 = 123
    /// The worker lost the job's lease while the job ran (another attempt took it over, or a push removed the
    /// job) and stopped the job.
    public static let leaseLost: Int32 = 124

    /// Every status with its name and meaning, in the order of docs/worker.md.
    public static let table: [(status: Int32, name: String, meaning: String)] = [
        (success, "done", "the job is done (it ran and succeeded, or was up to date)"),
        (jobFailed, "job failed", "the job ran and failed"),
        (internalError, "internal error", "a worker bug, or a record in redis it cannot read"),
        (blocked, "blocked", "a dependency failed or is blocked; the job was recorded blocked"),
        (dependenciesNotReady, "dependencies not ready", "dependencies were not done (in time)"),
        (leaseHeld, "lease held", "another worker runs the job now"),
        (redisUnreachable, "redis unreachable", "redis could not be reached or did not come back in time"),
        (schemaMismatch, "schema mismatch", "the namespace has another schema version"),
        (unknownJob, "unknown namespace or job", "nothing was pushed under that namespace or job id"),
        (badArguments, "bad arguments", "the command line or its password file is wrong"),
        (redisRefused, "redis refused", "wrong or missing password, or missing ACL permissions"),
        (interrupted, "interrupted", "SIGINT, SIGTERM, SIGHUP or a dropped session stopped the worker"),
        (leaseLost, "lease lost", "another attempt took the job over while it ran"),
    ]

    /// Whether `status` is about the job itself (done, failed, blocked) rather than about the host, redis or the
    /// call: an executor retries only the others elsewhere.
    public static func isJobOutcome(_ status: Int32) -> Bool {
        status == success || status == jobFailed || status == blocked
    }
}
