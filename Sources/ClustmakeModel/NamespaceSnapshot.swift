/// Everything recorded in one namespace, read at once by `JobStore.snapshot()` (ClustmakeStore): the run's metadata, every job's
/// state and the parts of its definition that describe a run, every attempt, and the hosts. What the collector's
/// commands (status, stats, results, report) read.
///
/// The reads are pipelined but not atomic: while workers run, a job may start or end between two round trips, so a
/// snapshot can mix moments a few milliseconds apart (a job `done` whose newest attempt is not in ``attempts`` yet,
/// never the reverse). Read again for a settled view. A job is ``JobState/lost`` only if it is still in progress
/// without a lease when read again after its lease was found missing: one that ended meanwhile is not.
public struct NamespaceSnapshot: Sendable {
    /// One job: its state and bookkeeping, and the parts of its definition a run's statistics need (read the whole
    /// definition with `JobStore.job(_:)`).
    public struct Job: Sendable, Hashable {
        /// The job's id.
        public var id: String
        /// Its position in the pushed graph.
        public var index: Int
        /// Its command; an empty shell line in a snapshot read without the command lines
        /// (`JobStore.snapshot(_:commands:)` with `commands: false`, what `status`, `stats` and `report` read).
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

    /// One attempt: its record's typed fields (``AttemptRecord/fields`` is empty; read one attempt whole with
    /// `JobStore.attempt(of:number:)`).
    public typealias Attempt = AttemptRecord

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
    /// What could not be read as stored, one sentence per job (`job 'a': the job definition at … has a bad
    /// 'timeout' field: …`): a record no worker or graph could have written, read with safe defaults instead of
    /// making the whole namespace unreadable. Commands print them on stderr.
    public var notes: [String]

    /// The most attempts read of one job: a stored attempt count beyond it is a corrupt record (a job is tried
    /// at most 1 + 1000 retries times per run).
    public static let maximumAttempts = 100_000

    /// A snapshot from its parts.
    public init(
        namespace: String, metadata: RunMetadata, jobs: [Job], attempts: [[Attempt]], hosts: [HostRecord],
        readAt: UTCTime, notes: [String] = []
    ) {
        self.notes = notes
        self.namespace = namespace
        self.metadata = metadata
        self.jobs = jobs
        self.attempts = attempts
        self.hosts = hosts
        self.readAt = readAt
    }

    /// How many attempts the snapshot holds.
    public var attemptCount: Int { attempts.reduce(0) { $0 + $1.count } }
}
