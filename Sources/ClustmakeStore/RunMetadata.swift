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

    init(namespace: String, fields: [String: String]) {
        self.namespace = namespace
        self.fingerprint = fields["fingerprint"]
        self.jobCount = fields["jobs"].flatMap { Int($0) } ?? 0
        self.created = fields["created"].flatMap { UTCTime(iso8601: $0) }
        self.pushed = fields["pushed"].flatMap { UTCTime(iso8601: $0) }
        self.pushes = fields["pushes"].flatMap { Int($0) } ?? 0
        self.pushedBy = fields["pushed_by"]
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
    /// The token of the worker that holds the lease, while one does.
    public var leaseHolder: String?
    /// How long the lease lasts unless renewed.
    public var leaseRemaining: Duration?
    /// Every field of the status hash, as stored.
    public var fields: [String: String]

    init(id: String, state: JobState, fields: [String: String], leaseHolder: String?, leaseRemaining: Duration?) {
        self.id = id
        self.state = state
        self.attempts = fields["attempts"].flatMap { Int($0) } ?? 0
        self.currentAttempt = fields["attempt"].flatMap { Int($0) } ?? 0
        self.doneAttempt = state == .done ? fields["done_attempt"].flatMap { Int($0) } : nil
        self.reason = fields["reason"]
        self.blockedBy = state == .blocked ? fields["blocked_by"] : nil
        self.host = fields["host"]
        self.updated = fields["updated"].flatMap { UTCTime(iso8601: $0) }
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

    init(nickname: String, fields: [String: String]) {
        func count(_ name: String) -> Int { fields[name].flatMap { Int($0) } ?? 0 }
        self.nickname = nickname
        self.nodename = fields["nodename"]
        self.workerVersion = fields["worker_version"]
        self.firstSeen = fields["first_seen"].flatMap { UTCTime(iso8601: $0) }
        self.lastSeen = fields["last_seen"].flatMap { UTCTime(iso8601: $0) }
        self.started = count("started")
        self.succeeded = count("succeeded")
        self.failed = count("failed")
        self.interrupted = count("interrupted")
        self.lost = count("lost")
        self.fields = fields
    }
}
