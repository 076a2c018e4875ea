import ClustmakeModel

/// Who asks for a job's lease, and for how long.
public struct LeaseRequest: Sendable, Hashable {
    /// A token unique to this worker run (`host/pid/random`); the lease holds it.
    public var token: String
    /// How long the lease lasts unless renewed.
    public var ttl: Duration
    /// The host's nickname (`--hostname`).
    public var host: String
    /// The machine's own name (`uname -n`).
    public var nodename: String
    /// The worker's process id.
    public var workerPID: Int
    /// The worker's version.
    public var workerVersion: String

    public init(
        token: String, ttl: Duration, host: String, nodename: String, workerPID: Int, workerVersion: String
    ) {
        self.token = token
        self.ttl = ttl
        self.host = host
        self.nodename = nodename
        self.workerPID = workerPID
        self.workerVersion = workerVersion
    }
}

/// A lease a worker holds on a job: it alone runs the job's attempt ``attempt`` until it releases the lease with
/// ``JobStore/finish(_:_:)`` or stops renewing it.
public struct Lease: Sendable, Hashable {
    /// The job's definition, read in the same atomic step as the lease was taken (without its dependents, which a
    /// worker does not need: ``StoredJob/dependents`` is empty; ``JobStore/job(_:)`` reads them).
    public var job: StoredJob
    /// The attempt's number, from 1.
    public var attempt: Int
    /// The sequence number of the start (orders starts and completions of a namespace).
    public var startSequence: Int
    /// What the lease was asked with.
    public var request: LeaseRequest

    /// The job's id.
    public var jobID: String { job.job.id }
}

/// What happened when a worker asked for a job's lease.
public enum AcquireOutcome: Sendable, Hashable {
    /// The job is done and nothing asked for more: nothing to do.
    case upToDate
    /// Another worker holds the lease now.
    case held(token: String, attempt: Int, host: String)
    /// Some dependencies are not done (and none failed): their ids and states, and the id of the newest event,
    /// to wait for later events from.
    case wait(missing: [MissingDependency], lastEventID: String)
    /// A dependency failed or is blocked; the job was recorded blocked.
    case blocked(dependency: String, state: JobState)
    /// The lease is this worker's: run the attempt.
    case started(Lease)
    /// Another worker reserved the job to run next (docs/run.md, "Reservations"): its token.
    case reserved(token: String)
    /// The job's next attempt or definition is not the one the worker started on its reservation: the attempt and
    /// digest a start would have now. Nothing was recorded and the reservation was given back.
    case stale(attempt: Int, digest: String)
}

/// A job a worker reserved to run right after its current one (``JobStore/reserve(_:after:more:request:)``): its
/// lease key holds the worker's token while the job is not in progress, so no other worker starts it, and the worker
/// may start its command the moment the current job ends, recording the start in the same round trip as the end.
public struct Reservation: Sendable, Hashable {
    /// The job's definition when it was reserved (without its dependents).
    public var job: StoredJob
    /// The attempt number its start will get.
    public var attempt: Int
    /// The digest of its definition, which its start checks.
    public var digest: String

    public init(job: StoredJob, attempt: Int, digest: String) {
        self.job = job
        self.attempt = attempt
        self.digest = digest
    }

    /// The job's id.
    public var jobID: String { job.job.id }
}

/// A dependency that is not done yet, and its state.
public struct MissingDependency: Sendable, Hashable, CustomStringConvertible {
    /// The dependency's id.
    public var id: String
    /// Its state (never ``JobState/done``, ``JobState/failed`` or ``JobState/blocked``).
    public var state: JobState

    public init(id: String, state: JobState) {
        self.id = id
        self.state = state
    }

    /// `'id' (state)`.
    public var description: String { "'\(id)' (\(state))" }
}

/// What a heartbeat found.
public enum RenewOutcome: Sendable, Hashable {
    /// The lease was this worker's and lasts another TTL.
    case renewed
    /// The lease had expired (redis was unreachable, the worker was stopped) but no other attempt had started:
    /// it is this worker's again.
    case reclaimed
    /// Another attempt owns the job now, or the job left the in-progress state: stop the command.
    case lost
}

/// How an attempt ended, as the worker reports it.
public struct AttemptResult: Sendable, Hashable {
    /// ``AttemptState/succeeded``, ``AttemptState/failed`` or ``AttemptState/interrupted``.
    public var state: AttemptState
    /// A sentence for failures and interruptions (`exited with status 3`), `nil` on success.
    public var reason: String?
    /// The exit status, when the command exited.
    public var exitStatus: Int32?
    /// The signal that ended the command, when one did.
    public var signal: Int32?
    /// Whether the command was stopped because it ran past its timeout.
    public var timedOut: Bool
    /// When the command started and ended (wall clock).
    public var started: UTCTime
    public var ended: UTCTime
    /// Wall time in seconds (monotonic clock).
    public var wallTime: Double
    /// CPU time in seconds of the command and the children it waited for.
    public var userCPU: Double
    public var systemCPU: Double
    /// Peak resident set size in bytes.
    public var maxRSS: UInt64
    /// The command's process id, if it started.
    public var jobPID: Int32?
    /// The last bytes of stdout and stderr, at most ``StoreSchema/outputTailBytes`` each.
    public var stdoutTail: [UInt8]
    public var stderrTail: [UInt8]
    /// How many bytes the command wrote to stdout and stderr in all.
    public var stdoutBytes: UInt64
    public var stderrBytes: UInt64
    /// Where all of the output went on the host, when the worker kept log files.
    public var stdoutLog: String?
    public var stderrLog: String?

    public init(
        state: AttemptState, reason: String? = nil, exitStatus: Int32? = nil, signal: Int32? = nil,
        timedOut: Bool = false, started: UTCTime, ended: UTCTime, wallTime: Double, userCPU: Double = 0,
        systemCPU: Double = 0, maxRSS: UInt64 = 0, jobPID: Int32? = nil, stdoutTail: [UInt8] = [],
        stderrTail: [UInt8] = [], stdoutBytes: UInt64 = 0, stderrBytes: UInt64 = 0, stdoutLog: String? = nil,
        stderrLog: String? = nil
    ) {
        self.state = state
        self.reason = reason
        self.exitStatus = exitStatus
        self.signal = signal
        self.timedOut = timedOut
        self.started = started
        self.ended = ended
        self.wallTime = wallTime
        self.userCPU = userCPU
        self.systemCPU = systemCPU
        self.maxRSS = maxRSS
        self.jobPID = jobPID
        self.stdoutTail = stdoutTail
        self.stderrTail = stderrTail
        self.stdoutBytes = stdoutBytes
        self.stderrBytes = stderrBytes
        self.stdoutLog = stdoutLog
        self.stderrLog = stderrLog
    }
}

/// What recording an attempt did.
public enum FinishOutcome: Sendable, Hashable {
    /// The attempt was recorded and the job moved to this state (``JobState/done``, ``JobState/failed``,
    /// ``JobState/interrupted``, or ``JobState/notStarted`` when it succeeded but its result is not up to date).
    case recorded(JobState)
    /// The attempt no longer owned the job (another attempt took it over, or a push removed it); the job's
    /// state (here) was left alone.
    case superseded(String)
}
