import ClustmakeCollector
import ClustmakeModel
import ClustmakeStore
import Testing

@Suite struct LearnedCostsTests {
    /// Earlier runs: p1 ran 3 times (10, 20 s ok; 90 s failed), p2 once (40 s) on a host of speed 2, q1 lost.
    static let history = RunHistory(
        namespace: "earlier", now: Histories.t0 + 1000,
        jobs: [
            Histories.job("p1", tags: ["mProject"], doneAttempt: 3), Histories.job("p2", tags: ["mProject", "extra"]),
            Histories.job("q1", state: .lost, tags: ["mDiff"]),
        ],
        attempts: [
            Histories.attempt(0, 1, on: "slow", from: 0, to: 10),
            Histories.attempt(0, 2, on: "slow", from: 10, to: 100, .failed),
            Histories.attempt(0, 3, on: "slow", from: 100, to: 120),
            Histories.attempt(1, 1, on: "fast", from: 0, to: 40),
            Histories.attempt(2, 1, on: "slow", from: 0, to: 5, .lost),
        ])

    static func graph() throws -> JobGraph {
        try JobGraph(jobs: [
            Job(id: "p1", command: .shell("true"), cost: 7),
            Job(id: "p3", command: .shell("true"), cost: 7, tags: ["other", "mProject"]),
            Job(id: "q2", command: .shell("true"), cost: 7, tags: ["mDiff"]),
            Job(id: "new", command: .shell("true"), cost: 7),
        ])
    }

    @Test("a job seen before takes the median of its successful runtimes, at speed 1")
    func ownMedian() throws {
        let learned = LearnedCosts(graph: try Self.graph(), history: Self.history, speeds: ["fast": 2, "slow": 1])
        #expect(learned.costs["p1"] == 15)
        #expect(learned.samples == 3)
    }

    @Test("a new job takes the median of its first tag that has samples; others keep their declared cost")
    func tagMedian() throws {
        let learned = LearnedCosts(graph: try Self.graph(), history: Self.history, speeds: ["fast": 2, "slow": 1])
        // mProject samples: 10, 20 (p1) and 80 (p2: 40 s at speed 2).
        #expect(learned.costs["p3"] == 20)
        #expect(learned.costs["q2"] == nil)  // q1 was lost: no sample
        #expect(learned.costs["new"] == nil)
        #expect(learned.fromJob == 1)
        #expect(learned.fromTag == 1)
        #expect(learned.declared == 2)
    }

    @Test("tags are needed only when a tagged job of the graph has no sample of its own")
    func needsTags() throws {
        let samples = CostSamples(
            jobs: [CostSamples.Job(id: "p1", tags: []), CostSamples.Job(id: "p2", tags: [])],
            samples: [CostSamples.Sample(job: 0, host: "slow", wallTime: 10)])
        func graph(_ jobs: [(String, [String])]) throws -> JobGraph {
            try JobGraph(jobs: jobs.map { Job(id: $0.0, command: .shell("true"), cost: 7, tags: $0.1) })
        }
        // Every tagged job has its own samples; an untagged new job cannot use a tag's median.
        #expect(!LearnedCosts.needsTags(graph: try graph([("p1", ["mProject"]), ("new", [])]), samples: samples))
        // A tagged job without samples (p2 ran, but without success) may.
        #expect(LearnedCosts.needsTags(graph: try graph([("p1", []), ("p2", ["mProject"])]), samples: samples))
        // No samples at all: no median of any kind.
        #expect(
            !LearnedCosts.needsTags(
                graph: try graph([("p3", ["mProject"])]), samples: CostSamples(jobs: samples.jobs, samples: [])))
    }

    @Test("samples in any order, found by position or by id: each job's median, a tag's for the others")
    func samplesInAnyOrder() throws {
        // a: 4 s on slow, 3 s on fast (speed 2: 6), 5 s on slow: median 5. b: 1 s and 2 s on fast: median 3. c: only
        // samples that do not count (not finite, negative, another job's position). d: 10 s on slow.
        let samples = CostSamples(
            jobs: [
                CostSamples.Job(id: "a", tags: ["t"]), CostSamples.Job(id: "b", tags: ["t", "t"]),
                CostSamples.Job(id: "c", tags: ["t"]), CostSamples.Job(id: "d", tags: []),
            ],
            samples: [
                CostSamples.Sample(job: 1, host: "fast", wallTime: 2),
                CostSamples.Sample(job: 0, host: "slow", wallTime: 4),
                CostSamples.Sample(job: 3, host: "slow", wallTime: 10),
                CostSamples.Sample(job: 0, host: "fast", wallTime: 3),
                CostSamples.Sample(job: 2, host: "slow", wallTime: .nan),
                CostSamples.Sample(job: 1, host: "fast", wallTime: 1),
                CostSamples.Sample(job: 2, host: "fast", wallTime: -1),
                CostSamples.Sample(job: 7, host: "slow", wallTime: 1),
                CostSamples.Sample(job: 0, host: "slow", wallTime: 5),
            ])
        // a and b where the history has them; d and c swapped (found by id); c and e tagged t.
        let graph = try JobGraph(
            jobs: ["a", "b", "d", "c", "e"].map {
                Job(id: $0, command: .shell("true"), cost: 7, tags: ["c", "e"].contains($0) ? ["t"] : [])
            })
        let learned = LearnedCosts(graph: graph, samples: samples, speeds: ["fast": 2, "slow": 1])
        // t: a's 4, 5, 6 and b's 2, 4 (b's tag listed twice counts once): median 4. c has no sample: t's median.
        #expect(learned.costs == ["a": 5, "b": 3, "d": 10, "c": 4, "e": 4])
        #expect(learned.samples == 6)
        #expect(learned.fromJob == 3)
        #expect(learned.fromTag == 2)
        #expect(learned.declared == 0)
    }

    @Test("hosts the cluster does not know count as speed 1")
    func unknownHosts() throws {
        let learned = LearnedCosts(graph: try Self.graph(), history: Self.history)
        #expect(learned.costs["p3"] == 20)  // 10, 20, 40
        #expect(RunStatistics.median(ofSorted: [1, 2, 3, 4]) == 2.5)
        #expect(RunStatistics.median(ofSorted: []) == nil)
    }
}
