public import ClustmakeModel

/// Everything recorded in one namespace, read at once by ``JobStore/snapshot()``: the run's metadata, every job's
/// state and the parts of its definition that describe a run, every attempt, and the hosts. What the collector's
/// commands (status, stats, results, report) read.
///
/// The reads are pipelined but not atomic: while workers run, a job may start or end between two round trips, so a
/// snapshot can mix moments a few milliseconds apart (a job `done` whose newest attempt is not in ``attempts`` yet,
/// never the reverse). Read again for a settled view.
public struct NamespaceSnapshot: Sendable {
    /// One job: its state and bookkeeping, and the parts of its definition a run's statistics need (read the whole
    /// definition with ``JobStore/job(_:)``).
    public struct Job: Sendable, Hashable {
        /// The job's id.
        public var id: String
        /// Its position in the pushed graph.
        public var index: Int
        /// Its command.
        public var command: ClustmakeModel.Job.Command
        /// The jobs it depends on.
        public var deps: [String]
        /// Its tags.
        public var tags: [String]
        /// Its estimated cost in seconds at speed 1.
        public var cost: Double
        /// How many times a failed attempt is tried again.
        public var retries: Int
        /// Its wall-clock limit in seconds, if any.
        public var timeout: Double?
        /// Its state and bookkeeping (``JobState/lost`` for a job in progress whose lease expired).
        public var status: JobStatus

        public init(
            id: String, index: Int, command: ClustmakeModel.Job.Command, deps: [String], tags: [String], cost: Double,
            retries: Int, timeout: Double?, status: JobStatus
        ) {
            self.id = id
            self.index = index
            self.command = command
            self.deps = deps
            self.tags = tags
            self.cost = cost
            self.retries = retries
            self.timeout = timeout
            self.status = status
        }
    }

    /// One attempt: every field of its record but the worker's bookkeeping (`lease`, `digest`, `finished`,
    /// `worker_pid`, `job_pid`, `start_seq`), typed as in ``AttemptRecord`` (read one attempt whole with
    /// ``JobStore/attempt(of:number:)``).
    public struct Attempt: Sendable, Hashable {
        /// The attempt's number, from 1.
        public var number: Int
        /// How it went (``AttemptState/running`` while its worker runs it, or until it is found lost).
        public var state: AttemptState
        /// The host's nickname, and the machine's own name.
        public var host: String
        public var nodename: String?
        /// The version of the worker that ran it.
        public var workerVersion: String?
        /// When the command started and ended, and when the attempt was found lost.
        public var started: UTCTime?
        public var ended: UTCTime?
        public var lostAt: UTCTime?
        /// Wall time of the command in seconds (monotonic clock).
        public var wallTime: Double?
        /// CPU seconds of the command and the children it waited for.
        public var userCPU: Double?
        public var systemCPU: Double?
        /// Peak resident set size in bytes.
        public var maxRSS: UInt64?
        /// The exit status, or the signal that ended the command.
        public var exitStatus: Int?
        public var signal: Int?
        /// Whether the worker stopped the command at its timeout.
        public var timedOut: Bool
        /// Why it failed or was interrupted.
        public var reason: String?
        /// Bytes the command wrote to stdout and stderr in all, and the files on the host holding all of it.
        public var stdoutBytes: Int?
        public var stderrBytes: Int?
        public var stdoutLog: String?
        public var stderrLog: String?
        /// Set when another attempt took the job over while this one ran, or when its success was not up to date.
        public var superseded: String?
        public var stale: String?

        public init(
            number: Int, state: AttemptState, host: String, nodename: String? = nil, workerVersion: String? = nil,
            started: UTCTime? = nil, ended: UTCTime? = nil, lostAt: UTCTime? = nil, wallTime: Double? = nil,
            userCPU: Double? = nil, systemCPU: Double? = nil, maxRSS: UInt64? = nil, exitStatus: Int? = nil,
            signal: Int? = nil, timedOut: Bool = false, reason: String? = nil, stdoutBytes: Int? = nil,
            stderrBytes: Int? = nil, stdoutLog: String? = nil, stderrLog: String? = nil, superseded: String? = nil,
            stale: String? = nil
        ) {
            self.number = number
            self.state = state
            self.host = host
            self.nodename = nodename
            self.workerVersion = workerVersion
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
        }
    }

    /// The namespace.
    public var namespace: String
    /// The run's metadata.
    public var metadata: RunMetadata
    /// Every job, in the order of the pushed graph.
    public var jobs: [Job]
    /// Every job's attempts, oldest first, in the order of ``jobs``.
    public var attempts: [[Attempt]]
    /// Every host that ran a job, by nickname.
    public var hosts: [HostRecord]
    /// When the snapshot was taken (this machine's clock).
    public var readAt: UTCTime

    /// How many attempts the snapshot holds.
    public var attemptCount: Int { attempts.reduce(0) { $0 + $1.count } }
}
