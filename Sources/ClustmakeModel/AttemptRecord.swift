/// One attempt of a job as recorded in `compmake:{NS}:attempt:ID:N`: who ran it, when, how it ended, and what it
/// cost. The store reads one whole with `JobStore.attempt(of:number:)` (every field kept in ``fields``), or all
/// of a namespace in a ``NamespaceSnapshot`` (the typed fields only); the collector computes statistics over them.
public struct AttemptRecord: Sendable, Hashable {
    /// The job's id.
    public var job: String
    /// The attempt's number, from 1.
    public var number: Int
    /// How it went (``AttemptState/running`` while its worker runs it, or until it is found lost).
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
    /// When the attempt started and ended (wall clock, UTC), and when it was found lost.
    public var started: UTCTime?
    public var ended: UTCTime?
    public var lostAt: UTCTime?
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
    /// Why it failed, was interrupted, was declared lost or did not count (a sentence), if it did.
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
    /// Every field of the hash, as stored; empty in a ``NamespaceSnapshot``.
    public var fields: [String: String]

    /// A record from its typed fields.
    public init(
        job: String, number: Int, state: AttemptState, host: String, nodename: String? = nil,
        workerVersion: String? = nil, workerPID: Int? = nil, jobPID: Int? = nil, started: UTCTime? = nil,
        ended: UTCTime? = nil, lostAt: UTCTime? = nil, wallTime: Double? = nil, userCPU: Double? = nil,
        systemCPU: Double? = nil, maxRSS: UInt64? = nil, exitStatus: Int? = nil, signal: Int? = nil,
        timedOut: Bool = false, reason: String? = nil, stdoutBytes: Int? = nil, stderrBytes: Int? = nil,
        stdoutLog: String? = nil, stderrLog: String? = nil, superseded: String? = nil, stale: String? = nil,
        fields: [String: String] = [:]
    ) {
        self.job = job
        self.number = number
        self.state = state
        self.host = host
        self.nodename = nodename
        self.workerVersion = workerVersion
        self.workerPID = workerPID
        self.jobPID = jobPID
        self.started = started
        self.ended = ended
        self.lostAt = lostAt
        self.wallTime = wallTime
        self.userCPU = userCPU
        self.systemCPU = systemCPU
        self.maxRSS = maxRSS
        self.exitStatus = exitStatus
        self.signal = signal
        self.timedOut = timedOut
        self.reason = reason
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
        self.stdoutLog = stdoutLog
        self.stderrLog = stderrLog
        self.superseded = superseded
        self.stale = stale
        self.fields = fields
    }
}
