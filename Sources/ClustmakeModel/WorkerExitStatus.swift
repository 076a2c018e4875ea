/// The exit statuses of `compmake … make_single` (docs/worker.md has the table; a test pins it to ``table``).
///
/// 0 and 113 are compmake's: the job is done, or it failed. 115 (blocked) is also about the job: a dependency
/// failed. 116, 117 and 124 say the job did not run here and nobody is to blame: it runs later, or another worker
/// has it. Every other status is trouble with the host, redis, the tunnel or the way the worker was called: the
/// job did not fail, and an executor runs it again elsewhere, as compmake did with any status but 0 and 113. 126
/// and 127 are not the worker's own: `nice` or the shell return them when `compmake` cannot be run or found on the
/// host (and 255 comes from ssh itself).
public enum WorkerExitStatus {
    /// The job is done: it ran and succeeded, or it was already up to date.
    public static let success: Int32 = 0
    /// The job ran and failed: non-zero exit, killed by a signal, timed out, or its command could not be started
    /// (compmake's `RET_CODE_JOB_FAILED`).
    public static let jobFailed: Int32 = 113
    /// A bug in the worker, or a record in redis it cannot read (compmake's `RET_CODE_COMPMAKE_BUG`). Host
    /// trouble: most likely a broken or mismatched install on that host, so the job runs elsewhere.
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
    /// `compmake` was found on the host but cannot be executed (returned by `nice` or the shell, not the worker).
    public static let cannotExecute: Int32 = 126
    /// `compmake` is not installed on the host (returned by `nice` or the shell, not the worker).
    public static let notInstalled: Int32 = 127

    /// The statuses a streamed session's worker (`make_single stream=True`) answers a batch with and goes on
    /// serving: those about one job of the batch (done, failed, blocked, dependencies not ready, run by another
    /// worker). Any other status ends the worker, with that status, without an answer.
    public static let streamAnswers: Set<Int32> = [
        success, jobFailed, blocked, dependenciesNotReady, leaseHeld, leaseLost,
    ]

    /// What a status says, and so what an executor does with it.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// About the job itself (done, failed, blocked): final for this attempt, never retried elsewhere for it.
        case jobOutcome = "job outcome"
        /// The job did not run here and nobody is to blame: run it later, or wait for the worker that has it.
        case notRunHere = "not run here"
        /// Trouble with the host, redis, the tunnel or the call: the job runs on another host, which is not counted
        /// as a failure of the job, and the host is quarantined.
        case hostTrouble = "host trouble"
    }

    /// One row of the table.
    public struct Entry: Sendable, Hashable {
        /// The exit status.
        public var status: Int32
        /// Its short name (docs/worker.md's "name" column).
        public var name: String
        /// What it means (docs/worker.md's "meaning" column).
        public var meaning: String
        /// Whether it is about the job, a job not run here, or host trouble.
        public var kind: Kind
        /// What an executor does about it (docs/worker.md's last column).
        public var action: String
        /// How an executor names it in a host failure's reason (`exited with status 118 (…)`), for host trouble.
        public var failureNote: String?
    }

    /// Every status with its name, meaning, kind and action, in the order of docs/worker.md.
    public static let table: [Entry] = [
        Entry(
            status: success, name: "done", meaning: "the job is done: it ran and succeeded, or was up to date",
            kind: .jobOutcome, action: "go on"),
        Entry(
            status: jobFailed, name: "job failed", meaning: "the job ran and failed (compmake's `RET_CODE_JOB_FAILED`)",
            kind: .jobOutcome, action: "count a failure; retry per the job's `retries`"),
        Entry(
            status: internalError, name: "internal error",
            meaning: "a worker bug, or a record in redis it cannot read (compmake's `RET_CODE_COMPMAKE_BUG`)",
            kind: .hostTrouble,
            action: "run it on another host and quarantine this one (most likely a broken install there); "
                + "report the worker's stderr",
            failureNote: "worker internal error"),
        Entry(
            status: blocked, name: "blocked",
            meaning: "a dependency failed or is blocked; the job was recorded `blocked`", kind: .jobOutcome,
            action: "do not retry elsewhere; it runs once the dependency is done"),
        Entry(
            status: dependenciesNotReady, name: "dependencies not ready",
            meaning: "dependencies were not done (at once, or within `wait=`); nothing was recorded",
            kind: .notRunHere, action: "run it later"),
        Entry(
            status: leaseHeld, name: "lease held",
            meaning: "another worker runs the job now, or reserved it to run next; nothing was touched",
            kind: .notRunHere, action: "wait for that worker"),
        Entry(
            status: redisUnreachable, name: "redis unreachable",
            meaning: "redis could not be reached, or was lost and did not come back in time", kind: .hostTrouble,
            action: "run it elsewhere or later", failureNote: "redis unreachable through the tunnel"),
        Entry(
            status: schemaMismatch, name: "schema mismatch",
            meaning: "the namespace has another schema version than this worker", kind: .hostTrouble,
            action: "install the matching `compmake` on the host",
            failureNote: "schema mismatch: install the matching compmake on the host"),
        Entry(
            status: unknownJob, name: "unknown namespace or job",
            meaning: "nothing was pushed under that namespace, or it has no such job", kind: .hostTrouble,
            action: "push the graph; check the plan", failureNote: "unknown namespace or job"),
        Entry(
            status: badArguments, name: "bad arguments",
            meaning: "the command line, or the password file it names, is wrong", kind: .hostTrouble,
            action: "fix the plan or the host's setup", failureNote: "bad worker arguments"),
        Entry(
            status: redisRefused, name: "redis refused",
            meaning: "wrong or missing password, or missing ACL permissions", kind: .hostTrouble,
            action: "fix the password delivery", failureNote: "redis refused the worker's login"),
        Entry(
            status: interrupted, name: "interrupted",
            meaning: "SIGINT, SIGTERM, SIGHUP or a dropped session stopped the worker", kind: .hostTrouble,
            action: "run it again if the run goes on", failureNote: "worker interrupted"),
        Entry(
            status: leaseLost, name: "lease lost",
            meaning: "another attempt took the job over while it ran (its lease had expired), or a push removed it",
            kind: .notRunHere, action: "nothing: the other attempt counts"),
        Entry(
            status: cannotExecute, name: "cannot execute",
            meaning: "`nice` or the shell found `compmake` on the host but cannot execute it (not the worker's own)",
            kind: .hostTrouble, action: "install a worker built for the host (`clustmake hosts install`)",
            failureNote: "the worker cannot be executed on the host"),
        Entry(
            status: notInstalled, name: "not installed",
            meaning: "`nice` or the shell did not find `compmake` on the host (not the worker's own)",
            kind: .hostTrouble, action: "install the worker (`clustmake hosts install`)",
            failureNote: "the worker is not installed on the host"),
    ]

    /// The row of `status`, if it is one of the table's.
    public static func entry(_ status: Int32) -> Entry? {
        table.first { $0.status == status }
    }

    /// What `status` says: a status outside the table (a crash, a signal's 128 + N) is host trouble.
    public static func kind(_ status: Int32) -> Kind {
        entry(status)?.kind ?? .hostTrouble
    }

    /// Whether `status` is about the job itself (done, failed, blocked) rather than about the host, redis or the
    /// call: an executor retries only the others elsewhere.
    public static func isJobOutcome(_ status: Int32) -> Bool {
        kind(status) == .jobOutcome
    }
}
