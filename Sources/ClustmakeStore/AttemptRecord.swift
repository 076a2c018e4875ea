/// One attempt of a job as recorded in `compmake:{NS}:attempt:ID:N`: who ran it, when, how it ended, and what it
/// cost.
public struct AttemptRecord: Sendable, Hashable {
    /// The job's id.
    public var job: String
    /// The attempt's number, from 1.
    public var number: Int
    /// How it went.
    public var state: AttemptState
    /// The host's nickname (`--hostname`).
    public var host: String
    /// The machine's own name (`uname -n`).
    public var nodename: String?
    /// The version of the worker that ran it.
    public var workerVersion: String?
    /// The worker's process id on its host.
    public var workerPID: Int?
    /// The job's process id (its process group id too) on its host.
    public var jobPID: Int?
    /// When the attempt started and ended (wall clock, UTC).
    public var started: UTCTime?
    public var ended: UTCTime?
    /// Wall time of the command in seconds (monotonic clock).
    public var wallTime: Double?
    /// CPU time of the command and the children it waited for, in seconds.
    public var userCPU: Double?
    public var systemCPU: Double?
    /// Peak resident set size of the command (its largest process), in bytes.
    public var maxRSS: UInt64?
    /// The exit status, when the command exited.
    public var exitStatus: Int?
    /// The signal that ended the command, when one did.
    public var signal: Int?
    /// Whether the worker stopped the command because it ran past its timeout.
    public var timedOut: Bool
    /// Why it failed, was interrupted, or did not count (a sentence), if it did.
    public var reason: String?
    /// How many bytes the command wrote to stdout and stderr in all.
    public var stdoutBytes: Int?
    public var stderrBytes: Int?
    /// The log files on the host holding all of its output, when the worker kept them.
    public var stdoutLog: String?
    public var stderrLog: String?
    /// Set when another attempt took the job over (or the job was removed) while this one ran: its outcome did not
    /// change the job's state.
    public var superseded: String?
    /// Set when the command succeeded but its result was not taken as up to date.
    public var stale: String?
    /// Every field of the hash, as stored.
    public var fields: [String: String]

    init(fields: [String: String]) {
        func int(_ name: String) -> Int? { fields[name].flatMap { Int($0) } }
        func double(_ name: String) -> Double? { fields[name].flatMap { Double($0) } }
        func time(_ name: String) -> UTCTime? { fields[name].flatMap { UTCTime(iso8601: $0) } }
        job = fields["job"] ?? ""
        number = int("attempt") ?? 0
        state = fields["state"].flatMap(AttemptState.init(rawValue:)) ?? .running
        host = fields["host"] ?? ""
        nodename = fields["nodename"]
        workerVersion = fields["worker_version"]
        workerPID = int("worker_pid")
        jobPID = int("job_pid")
        started = time("started")
        ended = time("ended")
        wallTime = double("wall_time")
        userCPU = double("user_cpu")
        systemCPU = double("system_cpu")
        maxRSS = fields["max_rss"].flatMap { UInt64($0) }
        exitStatus = int("exit_status")
        signal = int("signal")
        timedOut = fields["timed_out"] == "1"
        reason = fields["reason"]
        stdoutBytes = int("stdout_bytes")
        stderrBytes = int("stderr_bytes")
        stdoutLog = fields["stdout_log"]
        stderrLog = fields["stderr_log"]
        superseded = fields["superseded"]
        stale = fields["stale"]
        self.fields = fields
    }
}
