public import ClustmakeModel

/// Where a run stands (`clustmake status`): jobs by state; the running jobs with their host, lane and elapsed
/// time; the failed, lost and interrupted jobs with their reason; the blocked jobs with the failure that blocks them.
public struct RunStatus: Sendable {
    /// A job in progress.
    public struct Running: Sendable, Hashable {
        public var job: String
        public var attempt: Int
        public var host: String
        /// `HOST/N` (see ``Lanes``).
        public var lane: String
        public var started: Double
        public var elapsed: Double
    }

    /// A job whose last attempt failed, was interrupted or was lost.
    public struct Failed: Sendable, Hashable {
        public var job: String
        public var state: JobState
        public var attempt: Int?
        public var host: String?
        public var reason: String?
        public var exitStatus: Int?
        public var signal: Int?
        public var timedOut: Bool
        /// The last line its last attempt wrote to stderr (set by the caller, who reads the output).
        public var lastStderrLine: String?
    }

    /// A job blocked by a failed or blocked dependency.
    public struct Blocked: Sendable, Hashable {
        public var job: String
        /// The dependency that blocks it.
        public var blockedBy: String?
        /// The failed job at the root of the chain of blocked dependencies, when there is one.
        public var rootCause: String?
        public var reason: String?
    }

    public var namespace: String
    public var now: Double
    public var jobs: Int
    public var states: [JobState: Int]
    public var running: [Running]
    public var failed: [Failed]
    public var blocked: [Blocked]
    /// Where the run was handed off (`clustmake submit`), with the queue's view of it; `nil` when it was not (set by
    /// the caller, who reads the record and asks the queue).
    public var handOff: HandOffState?

    /// The attempts whose stderr's last line ``Failed/lastStderrLine`` shows, by index into ``failed``.
    public var stderrToRead: [(index: Int, job: String, attempt: Int)] {
        failed.enumerated().compactMap { index, entry in
            entry.attempt.map { (index, entry.job, $0) }
        }
    }

    /// The status of `history`.
    public init(_ history: RunHistory) {
        namespace = history.namespace
        now = history.now
        jobs = history.jobs.count
        var states: [JobState: Int] = [:]
        // By index, here and below: a job's record is read field by field, not copied whole (a million jobs).
        for index in history.jobs.indices { states[history.jobs[index].state, default: 0] += 1 }
        self.states = states
        // Lanes only label running attempts: not worked out for a run that is over.
        let lanes = history.attempts.contains { $0.outcome == .running } ? Lanes(history) : nil
        var latest = [Int?](repeating: nil, count: history.jobs.count)
        var running: [Running] = []
        for (index, attempt) in history.attempts.enumerated() {
            if latest[attempt.job].map({ history.attempts[$0].number < attempt.number }) ?? true {
                latest[attempt.job] = index
            }
            if attempt.outcome == .running {
                running.append(
                    Running(
                        job: history.jobs[attempt.job].id, attempt: attempt.number, host: attempt.host,
                        lane: Lanes.label(host: attempt.host, lane: lanes?.lane[index] ?? 0), started: attempt.start,
                        elapsed: max(0, history.now - attempt.start)))
            }
        }
        self.running = running
        var failed: [Failed] = []
        var blocked: [Blocked] = []
        // Job ids to positions, for following chains of blocked jobs: built only when some job is blocked.
        var indexByID: [String: Int] = [:]
        if states[.blocked] != nil {
            indexByID.reserveCapacity(history.jobs.count)
            for index in history.jobs.indices { indexByID[history.jobs[index].id] = index }
        }
        for index in history.jobs.indices {
            switch history.jobs[index].state {
            case .failed, .lost, .interrupted, .blocked: break
            default: continue
            }
            let job = history.jobs[index]
            switch job.state {
            case .failed, .lost, .interrupted:
                let attempt = latest[index].map { history.attempts[$0] }
                failed.append(
                    Failed(
                        job: job.id, state: job.state, attempt: attempt?.number, host: attempt?.host,
                        reason: job.reason ?? attempt?.reason, exitStatus: attempt?.exitStatus,
                        signal: attempt?.signal, timedOut: attempt?.timedOut ?? false))
            case .blocked:
                var root: String? = job.blockedBy
                var seen: Set<String> = [job.id]
                while let current = root, let next = indexByID[current], history.jobs[next].state == .blocked,
                    let further = history.jobs[next].blockedBy, !seen.contains(further)
                {
                    seen.insert(current)
                    root = further
                }
                blocked.append(Blocked(job: job.id, blockedBy: job.blockedBy, rootCause: root, reason: job.reason))
            default:
                break
            }
        }
        self.failed = failed
        self.blocked = blocked
    }

    /// The share of jobs done.
    public var doneRatio: Double { jobs > 0 ? Double(states[.done] ?? 0) / Double(jobs) : 0 }
}
