/// What `compmake:{NS}:meta` says about the run.
public struct RunMetadata: Sendable, Hashable {
    /// The namespace.
    public var namespace: String
    /// The pushed graph's fingerprint (``ClustmakeModel/JobGraph/fingerprint``).
    public var fingerprint: String?
    /// How many jobs the pushed graph has.
    public var jobCount: Int
    /// When the namespace was first pushed.
    public var created: UTCTime?
    /// When the graph was last pushed with changes.
    public var pushed: UTCTime?
    /// How many pushes changed the graph.
    public var pushes: Int
    /// The clustmake version of the last push.
    public var pushedBy: String?
    /// Every field of the hash, as stored.
    public var fields: [String: String]

    /// A value from its parts.
    public init(
        namespace: String, fingerprint: String?, jobCount: Int, created: UTCTime?, pushed: UTCTime?, pushes: Int,
        pushedBy: String?, fields: [String: String]
    ) {
        self.namespace = namespace
        self.fingerprint = fingerprint
        self.jobCount = jobCount
        self.created = created
        self.pushed = pushed
        self.pushes = pushes
        self.pushedBy = pushedBy
        self.fields = fields
    }
}

/// One job's state and bookkeeping (`compmake:{NS}:states` and `compmake:{NS}:status:ID`).
public struct JobStatus: Sendable, Hashable {
    /// The job's id.
    public var id: String
    /// Its state; ``JobState/lost`` when it is in progress but its lease expired.
    public var state: JobState
    /// How many attempts were started.
    public var attempts: Int
    /// The number of the latest attempt, 0 if none.
    public var currentAttempt: Int
    /// The attempt that made the job done, if it is.
    public var doneAttempt: Int?
    /// Why the job is in its state (failed, blocked, lost, not up to date), when there is a reason.
    public var reason: String?
    /// The dependency that blocks it, when blocked.
    public var blockedBy: String?
    /// The host of the latest attempt.
    public var host: String?
    /// When the state last changed.
    public var updated: UTCTime?
    /// The token of the worker that holds the lease, while one does (for a job not in progress, the worker that
    /// reserved it to run next: docs/run.md, "Reservations").
    public var leaseHolder: String?
    /// How long the lease lasts unless renewed.
    public var leaseRemaining: Duration?
    /// Every field of the status hash, as stored; empty in a `NamespaceSnapshot`, which reads the typed fields only.
    public var fields: [String: String]

    /// A value from its parts.
    public init(
        id: String, state: JobState, attempts: Int, currentAttempt: Int, doneAttempt: Int?, reason: String?,
        blockedBy: String?, host: String?, updated: UTCTime?, leaseHolder: String?, leaseRemaining: Duration?,
        fields: [String: String]
    ) {
        self.id = id
        self.state = state
        self.attempts = attempts
        self.currentAttempt = currentAttempt
        self.doneAttempt = doneAttempt
        self.reason = reason
        self.blockedBy = blockedBy
        self.host = host
        self.updated = updated
        self.leaseHolder = leaseHolder
        self.leaseRemaining = leaseRemaining
        self.fields = fields
    }
}

/// One host's record (`compmake:{NS}:host:NICK`): who it is and how its attempts went.
public struct HostRecord: Sendable, Hashable {
    /// The nickname (`--hostname`).
    public var nickname: String
    /// The machine's own name (`uname -n`) as its worker saw it.
    public var nodename: String?
    /// The worker version it last ran.
    public var workerVersion: String?
    /// When it first took a job.
    public var firstSeen: UTCTime?
    /// When its worker last wrote to redis (a start, a heartbeat, a result).
    public var lastSeen: UTCTime?
    /// Attempts started, and how they ended.
    public var started: Int, succeeded: Int, failed: Int, interrupted: Int, lost: Int
    /// Every field of the hash, as stored.
    public var fields: [String: String]

    /// A value from its parts.
    public init(
        nickname: String, nodename: String?, workerVersion: String?, firstSeen: UTCTime?, lastSeen: UTCTime?,
        started: Int, succeeded: Int, failed: Int, interrupted: Int, lost: Int, fields: [String: String]
    ) {
        self.nickname = nickname
        self.nodename = nodename
        self.workerVersion = workerVersion
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.started = started
        self.succeeded = succeeded
        self.failed = failed
        self.interrupted = interrupted
        self.lost = lost
        self.fields = fields
    }
}
