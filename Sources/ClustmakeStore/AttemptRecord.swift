/// One attempt of a job as recorded in `compmake:{NS}:attempt:ID:N`: who ran it, when, how it ended, and what it
/// cost. Read one whole with ``JobStore/attempt(of:number:)`` (every field kept in ``fields``), or all of a
/// namespace in a ``NamespaceSnapshot`` (the typed fields only).
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

    /// The hash fields the typed properties come from, in the order a snapshot reads them.
    enum Field: Int, CaseIterable {
        case attempt, state, host, nodename, workerVersion, workerPID, jobPID, started, ended, lostAt, wallTime
        case userCPU, systemCPU, maxRSS, exitStatus, signal, timedOut, reason, stdoutBytes, stderrBytes, stdoutLog
        case stderrLog, superseded, stale

        /// The field's name in the hash (docs/redis-schema.md).
        var name: String {
            switch self {
            case .attempt: "attempt"
            case .state: "state"
            case .host: "host"
            case .nodename: "nodename"
            case .workerVersion: "worker_version"
            case .workerPID: "worker_pid"
            case .jobPID: "job_pid"
            case .started: "started"
            case .ended: "ended"
            case .lostAt: "lost_at"
            case .wallTime: "wall_time"
            case .userCPU: "user_cpu"
            case .systemCPU: "system_cpu"
            case .maxRSS: "max_rss"
            case .exitStatus: "exit_status"
            case .signal: "signal"
            case .timedOut: "timed_out"
            case .reason: "reason"
            case .stdoutBytes: "stdout_bytes"
            case .stderrBytes: "stderr_bytes"
            case .stdoutLog: "stdout_log"
            case .stderrLog: "stderr_log"
            case .superseded: "superseded"
            case .stale: "stale"
            }
        }
    }

    /// Decodes a record from `source`; `fields` is kept as it is.
    init(job: String, _ source: some AttemptFieldSource, fields: [String: String] = [:]) {
        self.job = job
        number = source.integer(.attempt) ?? 0
        state = source.string(.state).flatMap(AttemptState.init(rawValue:)) ?? .running
        host = source.string(.host) ?? ""
        nodename = source.string(.nodename)
        workerVersion = source.string(.workerVersion)
        workerPID = source.integer(.workerPID)
        jobPID = source.integer(.jobPID)
        started = source.time(.started)
        ended = source.time(.ended)
        lostAt = source.time(.lostAt)
        wallTime = source.number(.wallTime)
        userCPU = source.number(.userCPU)
        systemCPU = source.number(.systemCPU)
        maxRSS = source.integer(.maxRSS).flatMap { UInt64(exactly: $0) }
        exitStatus = source.integer(.exitStatus)
        signal = source.integer(.signal)
        timedOut = source.integer(.timedOut) == 1
        reason = source.string(.reason)
        stdoutBytes = source.integer(.stdoutBytes)
        stderrBytes = source.integer(.stderrBytes)
        stdoutLog = source.string(.stdoutLog)
        stderrLog = source.string(.stderrLog)
        superseded = source.string(.superseded)
        stale = source.string(.stale)
        self.fields = fields
    }

    /// Decodes a record from its whole hash, kept in ``fields``.
    init(fields: [String: String]) {
        self.init(job: fields["job"] ?? "", HashFields(fields: fields), fields: fields)
    }
}

/// Where an attempt record's typed fields come from: its whole hash, or the values of one `HMGET` of
/// ``AttemptRecord/Field`` in order (decoded from their bytes, without building strings for numbers).
protocol AttemptFieldSource {
    func string(_ field: AttemptRecord.Field) -> String?
    func integer(_ field: AttemptRecord.Field) -> Int?
    func number(_ field: AttemptRecord.Field) -> Double?
    func time(_ field: AttemptRecord.Field) -> UTCTime?
}

/// An attempt's whole hash.
struct HashFields: AttemptFieldSource {
    let fields: [String: String]

    func string(_ field: AttemptRecord.Field) -> String? { fields[field.name] }
    func integer(_ field: AttemptRecord.Field) -> Int? { fields[field.name].flatMap { Int($0) } }
    func number(_ field: AttemptRecord.Field) -> Double? { fields[field.name].flatMap { Double($0) } }
    func time(_ field: AttemptRecord.Field) -> UTCTime? { fields[field.name].flatMap { UTCTime(iso8601: $0) } }
}
