import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import ClustmakeStore
import Testing

@Suite struct StatisticsTests {
    let history = Histories.diamond()

    func close(_ value: Double?, _ expected: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let value else {
            Issue.record("expected \(expected), got nil", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(value - expected) < 1e-9, "\(value) is not \(expected)", sourceLocation: sourceLocation)
    }

    @Test("the run's figures: wall time, cumulative wall and CPU time, badput, goodput, retries")
    func run() async {
        let run = await RunStatistics(history).run
        #expect(run.jobs == 6)
        #expect(run.states == [.done: 4, .lost: 1, .blocked: 1])
        #expect(run.attempts == 6)
        #expect(run.outcomes == [.succeeded: 4, .failed: 1, .lost: 1])
        #expect(run.retries == 1)
        close(run.start, Histories.t0)
        close(run.wallTime, 12)
        close(run.cumulativeWallTime, 2 + 3 + 3 + 2 + 2.5 + 1.5)
        close(run.cumulativeCPU, 1.5)
        close(run.badput, 3 + 1.5)
        close(run.goodput, 2 + 3 + 2 + 2.5)
        #expect(run.capacity == 2)
        close(run.utilisation, 14.0 / 24)
    }

    @Test("queue delay: from the end of the dependency (or earlier attempt) that released an attempt to its start")
    func queueDelays() {
        let timings = AttemptTimings(history)
        let delays = history.attempts.indices.map { timings.queueDelay($0, in: history) }
        let byLabel = Dictionary(
            uniqueKeysWithValues: history.attempts.indices.map {
                ("\(history.jobs[history.attempts[$0].job].id)#\(history.attempts[$0].number)", delays[$0])
            })
        close(byLabel["a#1"], 0)
        close(byLabel["e#1"], 0)
        close(byLabel["c#1"], 0)
        close(byLabel["b#1"], 0.5)  // a ended at 2
        close(byLabel["b#2"], 0.5)  // its first attempt ended at 5.5
        close(byLabel["d#1"], 0.5)  // b ended at 9, c at 4
    }

    @Test("the critical path taken runs back from the last end through what released each attempt")
    func criticalPath() async {
        let statistics = await RunStatistics(history)
        let path = statistics.criticalPath.map {
            "\(history.jobs[history.attempts[$0.attempt].job].id)#\(history.attempts[$0.attempt].number)"
        }
        #expect(path == ["a#1", "b#1", "b#2", "d#1"])
        #expect(statistics.criticalPath.map(\.wait) == [0, 0.5, 0.5, 0.5])
        #expect(statistics.criticalPath.map(\.link) == [nil, .dependency, .retry, .dependency])
        close(statistics.run.longestChain, 2 + 3 + 2.5)
        close(statistics.run.measuredLowerBound, 7.5)
    }

    @Test("hosts: lanes, jobs, attempts, failures, busy time and utilisation")
    func hosts() async {
        let hosts = await RunStatistics(history).hosts
        #expect(hosts.map(\.name) == ["h1", "h2"])
        #expect(hosts.map(\.lanes) == [1, 1])
        #expect(hosts.map(\.jobs) == [3, 3])
        #expect(hosts.map(\.attempts) == [3, 3])
        #expect(hosts.map(\.failures) == [1, 1])
        close(hosts[0].busy, 7.5)
        close(hosts[1].busy, 6.5)
        close(hosts[0].utilisation, 7.5 / 12)
        #expect(hosts[0].plannedSlots == nil)
    }

    @Test("jobs: the deciding attempt's runtime, CPU and host; the largest peak RSS; the slowest first")
    func jobs() async {
        let statistics = await RunStatistics(history)
        let b = statistics.jobs[1]
        #expect(b.attempts == 2)
        close(b.runtime, 3)
        #expect(b.host == "h2")
        #expect(b.peakRSS == 300)
        close(b.totalTime, 6)
        close(b.queueDelay, 0.5)
        #expect(statistics.jobs[5].attempts == 0)
        #expect(statistics.jobs[5].runtime == nil)
        #expect(statistics.slowest.map { history.jobs[$0].id } == ["b", "d", "a", "c", "e"])
    }

    @Test("tags: counts and the spread of successful runtimes")
    func tags() async {
        let tags = await RunStatistics(history).tags
        #expect(tags.map(\.name) == ["x"])
        #expect(tags[0].jobs == 2)
        #expect(tags[0].attempts == 3)
        #expect(tags[0].failures == 1)
        #expect(tags[0].succeeded == 2)
        close(tags[0].median, 2.5)
        close(tags[0].minimum, 2)
        close(tags[0].maximum, 3)
    }

    @Test("planned against actual: makespan, critical path, moved jobs, slots as capacity")
    func plan() async {
        let statistics = await RunStatistics(history, plan: Histories.diamondPlan())
        let plan = statistics.plan!
        close(plan.makespan, 10)
        close(plan.lowerBound, 8)
        close(plan.criticalPathPlanned, 8)
        close(plan.criticalPathMeasured, 7.5)
        #expect(plan.movedJobs == 1)
        #expect(plan.missingFromRun == 0)
        #expect(plan.missingFromPlan == 0)
        #expect(statistics.run.capacity == 3)
        #expect(statistics.hosts.map(\.plannedSlots) == [2, 1])
        #expect(statistics.hosts.map(\.plannedJobs) == [4, 2])
        close(statistics.hosts[0].plannedBusy, 2 + 3 + 3 + 1)
        close(statistics.jobs[3].plannedStart, 5)
    }

    @Test(
        "a plan in another order than the run, with a job the run lacks, one it lacks and one listed twice, is matched by id",
        arguments: [false, true])
    func planMatchedByID(reversed: Bool) async {
        var plan = Histories.diamondPlan()
        // The run's job f is not in the plan; the plan's x is not in the run; b is listed twice (the last counts).
        plan.jobs.removeAll { $0.id == "f" }
        plan.jobs.append(Histories.plannedJob("x", on: "h2", from: 8, to: 9))
        plan.jobs.insert(Histories.plannedJob("b", on: "h2", from: 0, to: 1), at: 1)
        plan.criticalPath = ["a", "x", "b", "d"]
        if reversed { plan.jobs.reverse() }
        let entries = Dictionary(plan.jobs.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        let statistics = await RunStatistics(history, plan: plan)
        let comparison = statistics.plan!
        #expect(comparison.missingFromRun == 1)
        #expect(comparison.missingFromPlan == 1)
        // x has no runtime: the measured length of the path is not known.
        #expect(comparison.criticalPathMeasured == nil)
        close(comparison.criticalPathPlanned, 2 + 1 + (reversed ? 1 : 3) + 3)
        for (index, job) in statistics.jobs.enumerated() {
            let id = history.jobs[index].id
            #expect(job.plannedHost == entries[id]?.host, "\(id)")
            #expect(job.plannedStart == entries[id]?.start, "\(id)")
        }
        // b ran on h2: planned on h1 by its last entry, on h2 by its last entry in the reversed plan.
        #expect(comparison.movedJobs == (reversed ? 0 : 1))
    }

    @Test("an attempt that waited for its slot follows the attempt before it in its lane on the critical path")
    func laneLink() async {
        // x and y are independent; y waited on h for x's slot, then z ran elsewhere after y.
        let history = RunHistory(
            namespace: "lane", now: Histories.t0 + 20,
            jobs: [Histories.job("x"), Histories.job("y"), Histories.job("z", deps: [1])],
            attempts: [
                Histories.attempt(0, 1, on: "h", from: 0, to: 4), Histories.attempt(1, 1, on: "h", from: 4.5, to: 6),
                Histories.attempt(2, 1, on: "g", from: 6.5, to: 7),
            ])
        let statistics = await RunStatistics(history)
        #expect(statistics.criticalPath.map { history.jobs[history.attempts[$0.attempt].job].id } == ["x", "y", "z"])
        #expect(statistics.criticalPath.map(\.link) == [nil, .lane, .dependency])
        // The lane is not a dependency: y was ready from the start, so it queued 4.5 s.
        #expect(AttemptTimings(history).queueDelay(1, in: history) == 4.5)
    }

    @Test("a critical path longer than the job list's limit: the text shows its first 10 and last 20 steps")
    func longCriticalPath() async {
        // A chain of 40 jobs, each after the one before.
        let jobs = (0..<40).map { Histories.job("c\($0)", deps: $0 == 0 ? [] : [$0 - 1]) }
        let attempts = (0..<40).map { Histories.attempt($0, 1, on: "h", from: Double($0), to: Double($0) + 0.5) }
        let history = RunHistory(namespace: "chain", now: Histories.t0 + 50, jobs: jobs, attempts: attempts)
        let statistics = await RunStatistics(history)
        #expect(statistics.criticalPath.count == 40)
        func listed(_ text: String) -> [String] {
            text.split(separator: "\n").compactMap { line in
                let first = line.split(separator: " ").first.map(String.init) ?? ""
                return first.hasPrefix("c") && Int(first.dropFirst()) != nil ? first : nil
            }
        }
        let short = statistics.text(history)
        #expect(Array(listed(short).prefix(30)) == (0..<10).map { "c\($0)" } + (20..<40).map { "c\($0)" })
        #expect(short.contains("\n  … 10 attempts more: --jobs, or --json\n  c20 "))
        let all = statistics.text(history, allJobs: true)
        #expect(listed(all).prefix(40) == ArraySlice((0..<40).map { "c\($0)" }))
        #expect(!all.contains("attempts more"))
    }

    @Test("an empty run has no figures to divide by")
    func empty() async {
        let history = RunHistory(
            namespace: "empty", now: 0, jobs: [Histories.job("a", state: .notStarted)], attempts: [])
        let statistics = await RunStatistics(history)
        #expect(statistics.run.wallTime == 0)
        #expect(statistics.run.utilisation == nil)
        #expect(statistics.criticalPath.isEmpty)
        #expect(statistics.text(history).contains("no attempt started yet"))
    }

    @Test("the JSON parses and carries the figures")
    func json() async throws {
        let statistics = await RunStatistics(history, plan: Histories.diamondPlan())
        var bytes: [UInt8] = []
        statistics.writeJSON(history) { bytes += $0 }
        let document = try JSONValue.parse(bytes)
        #expect(document["format"]?.stringValue == "clustmake-stats/1")
        #expect(document["run"]?["badput"]?.doubleValue == 4.5)
        #expect(document["plan"]?["moved_jobs"]?.intValue == 1)
        #expect(document["jobs"]?.arrayValue?.count == 6)
        #expect(document["critical_path"]?.arrayValue?.count == 4)
    }
}
