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

    /// Computes the statistics of `history`.
    /// - Parameters:
    ///   - history: The run.
    ///   - plan: The plan it ran, to compare with.
    public init(_ history: RunHistory, plan: PlannedRun? = nil) {
        namespace = history.namespace
        let now = history.now
        let attempts = history.attempts
        let byJob = history.attemptsByJob()
        lanes = Lanes(history)
        timings = AttemptTimings(history, byJob: byJob)

        // The run.
        run.jobs = history.jobs.count
        for job in history.jobs { run.states[job.state, default: 0] += 1 }
        run.attempts = attempts.count
        run.retries = attempts.count - byJob.jobsWithAttempts
        run.start = history.start
        run.end = history.end
        run.wallTime = max(0, (run.end ?? 0) - (run.start ?? 0))
        for attempt in attempts {
            run.outcomes[attempt.outcome, default: 0] += 1
            let duration = attempt.duration(now: now)
            run.cumulativeWallTime += duration
            run.userCPU += attempt.userCPU ?? 0
            run.systemCPU += attempt.systemCPU ?? 0
            if attempt.isBad { run.badput += duration }
            if attempt.isGood { run.goodput += duration }
        }

        // Jobs.
        var planned: [String: PlannedRun.Job] = [:]
        if let plan {
            planned.reserveCapacity(plan.jobs.count)
            for job in plan.jobs { planned[job.id] = job }
        }
        jobs.reserveCapacity(history.jobs.count)
        for (index, record) in history.jobs.enumerated() {
            var job = Job(index: index)
            let mine = byJob[index]
            job.attempts = mine.count
            if let first = mine.first { job.queueDelay = timings.queueDelay(first, in: history) }
            let deciding =
                record.doneAttempt.flatMap { number in mine.first { attempts[$0].number == number } } ?? mine.last
            if let deciding {
                job.attempt = deciding
                job.runtime = attempts[deciding].duration(now: now)
                job.cpu = attempts[deciding].cpu
                job.host = attempts[deciding].host
            }
            for attempt in mine {
                job.totalTime += attempts[attempt].duration(now: now)
                if let rss = attempts[attempt].maxRSS { job.peakRSS = max(job.peakRSS ?? 0, rss) }
            }
            if let entry = planned[record.id] {
                job.plannedHost = entry.host
                job.plannedStart = entry.start
                job.plannedEnd = entry.end
            }
            jobs.append(job)
        }
        slowest = Self.slowest(jobs, count: Self.slowestCount)

        // Hosts.
        var hostIndex: [String: Int] = [:]
        for name in lanes.hosts {
            hostIndex[name] = hosts.count
            hosts.append(Host(name: name, lanes: lanes.counts[name] ?? 0))
        }
        var hostJobs = [Set<Int>](repeating: [], count: hosts.count)
        for attempt in attempts {
            guard let index = hostIndex[attempt.host] else { continue }
            hosts[index].attempts += 1
            hosts[index].outcomes[attempt.outcome, default: 0] += 1
            hosts[index].busy += attempt.duration(now: now)
            hostJobs[index].insert(attempt.job)
        }
        for index in hosts.indices { hosts[index].jobs = hostJobs[index].count }
        if let plan {
            for host in plan.hosts where hostIndex[host.name] == nil && host.slots > 0 {
                hostIndex[host.name] = hosts.count
                hosts.append(Host(name: host.name))
            }
            for host in plan.hosts {
                guard let index = hostIndex[host.name] else { continue }
                hosts[index].plannedSlots = host.slots
                hosts[index].plannedJobs = 0
                hosts[index].plannedBusy = 0
            }
            for job in plan.jobs {
                guard let index = hostIndex[job.host] else { continue }
                hosts[index].plannedJobs = (hosts[index].plannedJobs ?? 0) + 1
                hosts[index].plannedBusy = (hosts[index].plannedBusy ?? 0) + max(0, job.end - job.start)
            }
        }
        var capacity = 0
        var busy = 0.0
        for index in hosts.indices {
            let slots = hosts[index].plannedSlots ?? hosts[index].lanes
            capacity += slots
            busy += hosts[index].busy
            if run.wallTime > 0 && slots > 0 {
                hosts[index].utilisation = hosts[index].busy / (Double(slots) * run.wallTime)
            }
        }
        run.capacity = capacity
        if run.wallTime > 0 && capacity > 0 { run.utilisation = busy / (Double(capacity) * run.wallTime) }

        // The longest chain by measured runtimes, and the measured lower bound.
        var chain = [Double](repeating: 0, count: history.jobs.count)
        for job in Self.topologicalOrder(history.jobs) {
            let own = jobs[job].runtime ?? 0
            var longest = 0.0
            for dep in history.jobs[job].deps { longest = max(longest, chain[dep]) }
            chain[job] = own + longest
            run.longestChain = max(run.longestChain, chain[job])
        }
        run.measuredLowerBound = max(run.longestChain, capacity > 0 ? run.goodput / Double(capacity) : 0)

        // The critical path actually taken: back from the attempt that ended last, each step to whichever ended
        // last before it started (within the clock tolerance) of what released it (a dependency or an earlier
        // attempt of its job, see AttemptTimings) and the attempt before it in its lane (its slot was busy).
        var lanePrevious = [Int?](repeating: nil, count: attempts.count)
        var lastInLane: [String: Int] = [:]
        for index in attempts.indices {
            let key = Lanes.label(host: attempts[index].host, lane: lanes.lane[index])
            lanePrevious[index] = lastInLane[key]
            lastInLane[key] = index
        }
        if var current = attempts.indices.max(by: {
            let left = attempts[$0].end(now: now)
            let right = attempts[$1].end(now: now)
            return left != right ? left < right : $0 < $1
        }) {
            var path: [(attempt: Int, link: Step.Link?)] = []
            var seen: Set<Int> = [current]
            while true {
                path.append((current, nil))
                var next: (index: Int, link: Step.Link)?
                if let released = timings.releasedBy[current] {
                    next = (released, attempts[released].job == attempts[current].job ? .retry : .dependency)
                }
                if let previous = lanePrevious[current],
                    attempts[previous].end(now: now) <= attempts[current].start + AttemptTimings.clockTolerance,
                    next.map({ attempts[previous].end(now: now) > attempts[$0.index].end(now: now) }) ?? true
                {
                    next = (previous, .lane)
                }
                guard let next, !seen.contains(next.index) else { break }
                path[path.count - 1].link = next.link
                seen.insert(next.index)
                current = next.index
            }
            path.reverse()
            var previousEnd = run.start ?? 0
            for step in path {
                criticalPath.append(
                    Step(
                        attempt: step.attempt, link: step.link, wait: max(0, attempts[step.attempt].start - previousEnd)
                    ))
                previousEnd = attempts[step.attempt].end(now: now)
            }
        }

        // Tags.
        var tagIndex: [String: Int] = [:]
        var tagRuntimes: [[Double]] = []
        for (index, record) in history.jobs.enumerated() {
            for name in record.tags.count < 2 ? record.tags : Array(Set(record.tags)) {
                let tag: Int
                if let known = tagIndex[name] {
                    tag = known
                } else {
                    tag = tags.count
                    tagIndex[name] = tag
                    tags.append(Tag(name: name))
                    tagRuntimes.append([])
                }
                tags[tag].jobs += 1
                for attempt in byJob[index] {
                    let record = attempts[attempt]
                    let duration = record.duration(now: now)
                    tags[tag].attempts += 1
                    tags[tag].totalTime += duration
                    if record.isGood { tagRuntimes[tag].append(duration) }
                    if record.outcome == .failed || record.outcome == .interrupted || record.outcome == .lost {
                        tags[tag].failures += 1
                    }
                }
            }
        }
        for tag in tags.indices {
            let runtimes = tagRuntimes[tag].sorted()
            tags[tag].succeeded = runtimes.count
            guard !runtimes.isEmpty else { continue }
            tags[tag].minimum = runtimes.first
            tags[tag].maximum = runtimes.last
            tags[tag].median = Self.median(ofSorted: runtimes)
            tags[tag].mean = runtimes.reduce(0, +) / Double(runtimes.count)
        }
        tags.sort { $0.name < $1.name }

        // Planned against actual.
        if let plan {
            var comparison = PlanComparison(
                makespan: plan.makespan, lowerBound: plan.lowerBound, criticalPath: plan.criticalPath,
                criticalPathPlanned: 0, criticalPathMeasured: 0)
            var indexByID: [String: Int] = [:]
            for (index, job) in history.jobs.enumerated() { indexByID[job.id] = index }
            for id in plan.criticalPath {
                if let entry = planned[id] { comparison.criticalPathPlanned += max(0, entry.end - entry.start) }
                if let index = indexByID[id], let runtime = jobs[index].runtime {
                    comparison.criticalPathMeasured? += runtime
                } else {
                    comparison.criticalPathMeasured = nil
                }
            }
            for job in plan.jobs {
                guard let index = indexByID[job.id] else {
                    comparison.missingFromRun += 1
                    continue
                }
                if let host = jobs[index].host, host != job.host { comparison.movedJobs += 1 }
            }
            comparison.missingFromPlan = history.jobs.count - (plan.jobs.count - comparison.missingFromRun)
            self.plan = comparison
        }
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

    /// The jobs in an order where every job comes after its dependencies (Kahn's algorithm; jobs on a cycle, which
    /// a pushed graph cannot have, are left out).
    static func topologicalOrder(_ jobs: [JobRecord]) -> [Int] {
        var waiting = jobs.map { $0.deps.count }
        var dependents = [[Int]](repeating: [], count: jobs.count)
        for (index, job) in jobs.enumerated() {
            for dep in job.deps { dependents[dep].append(index) }
        }
        var order = jobs.indices.filter { waiting[$0] == 0 }
        order.reserveCapacity(jobs.count)
        var head = 0
        while head < order.count {
            for next in dependents[order[head]] {
                waiting[next] -= 1
                if waiting[next] == 0 { order.append(next) }
            }
            head += 1
        }
        return order
    }

    /// The median of sorted values (the mean of the two middle ones for an even count).
    public static func median(ofSorted values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let middle = values.count / 2
        return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
    }
}
