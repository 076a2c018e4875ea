public import ClustmakeModel

/// The statistics of a run, as `clustmake stats` reports them (docs/collector.md defines each figure): for the run,
/// per host, per job and per tag; the critical path actually taken; and, given the plan, planned against actual.
///
/// A pure function of a ``RunHistory`` (and optionally a ``PlannedRun``).
public struct RunStatistics: Sendable {
    /// Figures for the whole run.
    public struct Run: Sendable, Hashable {
        public var jobs = 0
        /// Jobs by state.
        public var states: [JobState: Int] = [:]
        public var attempts = 0
        /// Attempts by outcome.
        public var outcomes: [AttemptState: Int] = [:]
        /// Attempts beyond each job's first.
        public var retries = 0
        /// When the first attempt started and the last ended (``RunHistory/now`` while attempts run).
        public var start: Double?
        public var end: Double?
        /// End minus start: the makespan as it happened.
        public var wallTime = 0.0
        /// The sum of every attempt's wall time.
        public var cumulativeWallTime = 0.0
        /// The sum of every attempt's user and system CPU time.
        public var userCPU = 0.0
        public var systemCPU = 0.0
        /// Wall time of attempts that failed, were interrupted or lost, or whose success did not count.
        public var badput = 0.0
        /// Wall time of attempts whose success counted.
        public var goodput = 0.0
        /// The longest chain of dependent jobs by their measured runtimes.
        public var longestChain = 0.0
        /// `max(longest chain, good work / capacity)`: no schedule of these runtimes on this capacity is shorter.
        public var measuredLowerBound = 0.0
        /// The slots the run had: the plan's (with a plan), else the lanes of the timeline.
        public var capacity = 0
        /// Busy time of all hosts over capacity × wall time.
        public var utilisation: Double?

        public var cumulativeCPU: Double { userCPU + systemCPU }
    }

    /// Figures for one host.
    public struct Host: Sendable, Hashable {
        public var name: String
        /// Lanes of the timeline (attempts at once, at most).
        public var lanes = 0
        /// Slots in the plan, when a plan was given and has the host.
        public var plannedSlots: Int?
        /// Distinct jobs with an attempt here.
        public var jobs = 0
        public var attempts = 0
        public var outcomes: [AttemptState: Int] = [:]
        /// The sum of its attempts' wall time.
        public var busy = 0.0
        /// Busy over (slots, else lanes) × the run's wall time.
        public var utilisation: Double?
        /// Jobs and busy time the plan put here.
        public var plannedJobs: Int?
        public var plannedBusy: Double?

        /// Attempts that failed, were interrupted or lost.
        public var failures: Int {
            (outcomes[.failed] ?? 0) + (outcomes[.interrupted] ?? 0) + (outcomes[.lost] ?? 0)
        }
    }

    /// Figures for one job.
    public struct Job: Sendable, Hashable {
        /// Index into ``RunHistory/jobs``.
        public var index: Int
        public var attempts = 0
        /// The attempt that decides its figures: the one that made it done, else its latest; index into
        /// ``RunHistory/attempts``.
        public var attempt: Int?
        /// From ready to the start of its first attempt.
        public var queueDelay: Double?
        /// The deciding attempt's wall time, CPU time and host.
        public var runtime: Double?
        public var cpu: Double?
        public var host: String?
        /// The largest peak RSS of its attempts.
        public var peakRSS: UInt64?
        /// The wall time of all its attempts.
        public var totalTime = 0.0
        /// Where and when the plan put it (seconds from the start of the run).
        public var plannedHost: String?
        public var plannedStart: Double?
        public var plannedEnd: Double?
    }

    /// Figures for the jobs of one tag (a WfCommons task name is a tag).
    public struct Tag: Sendable, Hashable {
        public var name: String
        public var jobs = 0
        public var attempts = 0
        public var failures = 0
        /// Wall times of the attempts whose success counted.
        public var succeeded = 0
        public var minimum: Double?
        public var median: Double?
        public var mean: Double?
        public var maximum: Double?
        /// The wall time of all its attempts.
        public var totalTime = 0.0
    }

    /// One step of the critical path actually taken.
    public struct Step: Sendable, Hashable {
        /// What the previous step was to this one.
        public enum Link: String, Sendable, Hashable {
            /// A dependency of its job: the job was ready once it ended.
            case dependency
            /// An earlier attempt of the same job: it ran again after that one failed.
            case retry
            /// The attempt before it in the same lane: its slot was busy until then.
            case lane
        }

        /// Index into ``RunHistory/attempts``.
        public var attempt: Int
        /// How it follows the previous step; `nil` for the first.
        public var link: Link?
        /// Time between the end of the previous step (or the start of the run) and this step's start.
        public var wait: Double
    }

    /// Planned against actual.
    public struct PlanComparison: Sendable, Hashable {
        public var makespan: Double
        public var lowerBound: Double
        /// The planned critical path, by job id.
        public var criticalPath: [String]
        /// Its length in the plan, and the sum of the measured runtimes of its jobs (when all have one).
        public var criticalPathPlanned: Double
        public var criticalPathMeasured: Double?
        /// Jobs that ran on another host than planned.
        public var movedJobs = 0
        /// Jobs of the plan that the namespace does not have, and jobs of the namespace the plan does not have.
        public var missingFromRun = 0
        public var missingFromPlan = 0
    }

    public var namespace: String
    public var run = Run()
    /// Hosts by nickname.
    public var hosts: [Host] = []
    /// Every job, in graph order.
    public var jobs: [Job] = []
    /// Up to ``slowestCount`` jobs by decreasing runtime, as indices into ``jobs``.
    public var slowest: [Int] = []
    /// Tags by name.
    public var tags: [Tag] = []
    /// The chain of attempts that ended last: each step the attempt whose end released the next (a dependency's or
    /// the job's earlier attempt), first to last.
    public var criticalPath: [Step] = []
    /// Planned against actual, with a plan.
    public var plan: PlanComparison?
    /// The timeline's lanes.
    public var lanes: Lanes
    /// When each attempt was ready.
    public var timings: AttemptTimings

    /// How many slowest jobs are listed.
    public static let slowestCount = 10

    /// Computes the statistics of `history`, parts that do not need each other at once (child tasks, so on the
    /// threads of the cooperative pool, one a core).
    /// - Parameters:
    ///   - history: The run.
    ///   - plan: The plan it ran, to compare with.
    public init(_ history: RunHistory, plan: PlannedRun? = nil) async {
        // The lanes and the match with the plan, while the attempts are grouped by job and timed.
        async let packing = Lanes(history)
        async let matching = plan.map { PlanAlignment($0, history: history) }
        let byJob = history.attemptsByJob()
        let timings = AttemptTimings(history, byJob: byJob)
        let lanes = await packing
        // The hosts, the critical path and the tags, while the run's and the jobs' figures are computed.
        async let hosts = Self.hosts(history, lanes: lanes, plan: plan)
        async let criticalPath = Self.criticalPath(history, lanes: lanes, timings: timings, runStart: history.start)
        async let tags = Self.tags(history, byJob: byJob)
        let alignment = await matching
        let run = Self.run(history, byJob: byJob)
        let jobs = Self.jobs(history, byJob: byJob, timings: timings, alignment: alignment)
        namespace = history.namespace
        self.lanes = lanes
        self.timings = timings
        self.run = run
        self.jobs = jobs
        slowest = Self.slowest(jobs, count: Self.slowestCount)
        self.plan = alignment.map { Self.comparison($0, history: history, jobs: jobs) }
        self.hosts = await hosts
        measureUtilisation()
        measureLongestChain(history)
        self.criticalPath = await criticalPath
        self.tags = await tags
    }

    /// The indices of the `count` jobs with the longest runtimes, longest first (ties: graph order), selected
    /// without sorting every job.
    static func slowest(_ jobs: [Job], count: Int) -> [Int] {
        var chosen: [(runtime: Double, index: Int)] = []
        func before(_ lhs: (runtime: Double, index: Int), _ rhs: (runtime: Double, index: Int)) -> Bool {
            lhs.runtime != rhs.runtime ? lhs.runtime > rhs.runtime : lhs.index < rhs.index
        }
        for (index, job) in jobs.enumerated() {
            guard let runtime = job.runtime else { continue }
            let entry = (runtime: runtime, index: index)
            if chosen.count == count, let last = chosen.last, !before(entry, last) { continue }
            let position = chosen.firstIndex { before(entry, $0) } ?? chosen.count
            chosen.insert(entry, at: position)
            if chosen.count > count { chosen.removeLast() }
        }
        return chosen.map(\.index)
    }

    /// The median of sorted values (the mean of the two middle ones for an even count).
    public static func median(ofSorted values: some RandomAccessCollection<Double>) -> Double? {
        guard !values.isEmpty else { return nil }
        let middle = values.index(values.startIndex, offsetBy: values.count / 2)
        return values.count % 2 == 1 ? values[middle] : (values[values.index(before: middle)] + values[middle]) / 2
    }
}
