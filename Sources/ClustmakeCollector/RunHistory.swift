public import ClustmakeModel

/// What the collector knows about a run: every job and every attempt, as plain values with times in seconds since
/// 1970. Built from a ``ClustmakeModel/NamespaceSnapshot`` (``init(_:)``) or directly (tests); everything the
/// collector computes is a pure function of it.
public struct RunHistory: Sendable {
    /// The namespace.
    public var namespace: String
    /// When the history was read: the end of attempts still running.
    public var now: Double
    /// Every job, in the order of the pushed graph.
    public var jobs: [JobRecord]
    /// Every attempt with a start time, ordered by start, then job (graph order), then attempt number.
    public var attempts: [Attempt]

    /// Creates a history.
    /// - Parameters:
    ///   - namespace: The namespace.
    ///   - now: When it was read (seconds since 1970).
    ///   - jobs: The jobs, in graph order; their ``JobRecord/deps`` index this array.
    ///   - attempts: The attempts, in any order (they are sorted).
    public init(namespace: String, now: Double, jobs: [JobRecord], attempts: [Attempt]) {
        self.namespace = namespace
        self.now = now
        self.jobs = jobs
        // Sort compact keys, then move each attempt once (sorting the records themselves would copy them, and
        // retain their strings, at every step).
        var keys: [OrderKey] = []
        keys.reserveCapacity(attempts.count)
        for (index, attempt) in attempts.enumerated() {
            keys.append((attempt.start, Int32(attempt.job), Int32(clamping: attempt.number), Int32(index)))
        }
        keys.sort(by: Self.historyOrder)
        self.attempts = keys.map { attempts[Int($0.position)] }
    }

    /// A history whose `attempts` are already in its order (``attempts``).
    init(namespace: String, now: Double, jobs: [JobRecord], orderedAttempts: [Attempt]) {
        self.namespace = namespace
        self.now = now
        self.jobs = jobs
        self.attempts = orderedAttempts
    }

    /// What orders an attempt in ``attempts``, and where it was found.
    typealias OrderKey = (start: Double, job: Int32, number: Int32, position: Int32)

    /// The order of ``attempts``: by start, then job, then attempt number, then `position` (where the attempt was
    /// found).
    static func historyOrder(_ lhs: OrderKey, _ rhs: OrderKey) -> Bool {
        if lhs.start != rhs.start { return lhs.start < rhs.start }
        if lhs.job != rhs.job { return lhs.job < rhs.job }
        return lhs.number != rhs.number ? lhs.number < rhs.number : lhs.position < rhs.position
    }

    /// The attempts of each job, in attempt-number order.
    public func attemptsByJob() -> JobAttempts {
        JobAttempts(self)
    }

    /// When the first attempt started, or `nil` when none did.
    public var start: Double? { attempts.first?.start }

    /// When the last attempt ended (``now`` for attempts still running), or `nil` when none started.
    public var end: Double? {
        attempts.isEmpty ? nil : attempts.reduce(-Double.infinity) { max($0, $1.end(now: now)) }
    }
}

/// The attempts of each job of a run, as indices into ``RunHistory/attempts`` in attempt-number order, stored in
/// two flat arrays (a run of 100,000 jobs would otherwise need 100,000 small arrays).
public struct JobAttempts: Sendable {
    private var offsets: [Int]
    private var indices: [Int]

    init(_ history: RunHistory) {
        var offsets = [Int](repeating: 0, count: history.jobs.count + 1)
        for attempt in history.attempts { offsets[attempt.job + 1] += 1 }
        for job in 0..<history.jobs.count { offsets[job + 1] += offsets[job] }
        var next = offsets
        var indices = [Int](repeating: 0, count: history.attempts.count)
        for (index, attempt) in history.attempts.enumerated() {
            indices[next[attempt.job]] = index
            next[attempt.job] += 1
        }
        for job in 0..<history.jobs.count where offsets[job + 1] - offsets[job] > 1 {
            indices[offsets[job]..<offsets[job + 1]].sort {
                history.attempts[$0].number < history.attempts[$1].number
            }
        }
        self.offsets = offsets
        self.indices = indices
    }

    /// The attempts of job `job`, as indices into ``RunHistory/attempts``, oldest attempt first.
    public subscript(job: Int) -> ArraySlice<Int> {
        indices[offsets[job]..<offsets[job + 1]]
    }

    /// How many jobs have at least one attempt.
    public var jobsWithAttempts: Int {
        var count = 0
        for job in 0..<(offsets.count - 1) where offsets[job + 1] > offsets[job] { count += 1 }
        return count
    }
}

/// One job of a run: its definition and where it stands.
public struct JobRecord: Sendable, Hashable {
    /// The job's id.
    public var id: String
    /// Its dependencies, as indices into ``RunHistory/jobs``.
    public var deps: [Int]
    /// Its tags (a WfCommons task's name is one).
    public var tags: [String]
    /// Its declared cost in seconds at speed 1.
    public var cost: Double
    /// Its command as a shell would read it.
    public var command: String
    /// Its state.
    public var state: JobState
    /// Why it is in its state (failed, blocked, lost, not up to date), if there is a reason.
    public var reason: String?
    /// The dependency that blocks it, when blocked.
    public var blockedBy: String?
    /// The attempt that made it done, when done.
    public var doneAttempt: Int?
    /// How many attempts were started.
    public var attemptCount: Int

    public init(
        id: String, deps: [Int] = [], tags: [String] = [], cost: Double = 1, command: String = "",
        state: JobState = .notStarted, reason: String? = nil, blockedBy: String? = nil, doneAttempt: Int? = nil,
        attemptCount: Int = 0
    ) {
        self.id = id
        self.deps = deps
        self.tags = tags
        self.cost = cost
        self.command = command
        self.state = state
        self.reason = reason
        self.blockedBy = blockedBy
        self.doneAttempt = doneAttempt
        self.attemptCount = attemptCount
    }
}

/// One attempt of a job: where, when, how it ended, what it cost.
public struct Attempt: Sendable, Hashable {
    /// The job, as an index into ``RunHistory/jobs``.
    public var job: Int
    /// The attempt's number, from 1.
    public var number: Int
    /// How it went; ``ClustmakeModel/AttemptState/running`` while it runs.
    public var outcome: AttemptState
    /// Whether its outcome counted for the job: `false` when another attempt took the job over while it ran
    /// (superseded) or its success was not up to date (stale).
    public var counted: Bool
    /// The host's nickname.
    public var host: String
    /// When the command started (seconds since 1970).
    public var start: Double
    /// When it ended: the end of the command, or when the attempt was found lost; `nil` while it runs.
    public var ended: Double?
    /// Wall time of the command on the host's monotonic clock, when it ended.
    public var wallTime: Double?
    /// CPU seconds of the command and the children it waited for.
    public var userCPU: Double?
    public var systemCPU: Double?
    /// Peak resident set size in bytes.
    public var maxRSS: UInt64?
    /// The exit status, when the command exited.
    public var exitStatus: Int?
    /// The signal that ended it, when one did.
    public var signal: Int?
    /// Whether the worker stopped it at its timeout.
    public var timedOut: Bool
    /// Why it failed, was interrupted or did not count.
    public var reason: String?
    /// Bytes the command wrote to stdout and stderr in all.
    public var stdoutBytes: Int?
    public var stderrBytes: Int?
    /// The machine's own name.
    public var nodename: String?

    public init(
        job: Int, number: Int, outcome: AttemptState, counted: Bool = true, host: String, start: Double,
        ended: Double? = nil, wallTime: Double? = nil, userCPU: Double? = nil, systemCPU: Double? = nil,
        maxRSS: UInt64? = nil, exitStatus: Int? = nil, signal: Int? = nil, timedOut: Bool = false,
        reason: String? = nil, stdoutBytes: Int? = nil, stderrBytes: Int? = nil, nodename: String? = nil
    ) {
        self.job = job
        self.number = number
        self.outcome = outcome
        self.counted = counted
        self.host = host
        self.start = start
        self.ended = ended
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
        self.nodename = nodename
    }

    /// When it ended, or `now` while it runs; never before its start.
    public func end(now: Double) -> Double {
        max(start, ended ?? max(start, now))
    }

    /// How long it ran: the monotonic wall time when recorded, else end minus start (`now` while it runs).
    public func duration(now: Double) -> Double {
        if let wallTime, wallTime >= 0 { return wallTime }
        return end(now: now) - start
    }

    /// User plus system CPU seconds, when recorded.
    public var cpu: Double? {
        guard userCPU != nil || systemCPU != nil else { return nil }
        return (userCPU ?? 0) + (systemCPU ?? 0)
    }

    /// Whether it succeeded and its success made the job done (or would have, had nothing changed meanwhile).
    public var isGood: Bool { outcome == .succeeded && counted }

    /// Whether its time was wasted: it failed, was interrupted or lost, or its success did not count.
    public var isBad: Bool {
        switch outcome {
        case .failed, .interrupted, .lost: true
        case .succeeded: !counted
        case .running: false
        }
    }
}
