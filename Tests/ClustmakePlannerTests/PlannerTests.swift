import ClustmakeModel
import ClustmakePlanner
import Testing

@Suite struct PlannerTests {
    @Test("a chain runs back to back and its length is both the makespan and the bound")
    func chain() throws {
        let plan = Planner().plan(
            try graph([("a", 1, []), ("b", 2, ["a"]), ("c", 3, ["b"])]), on: cluster([(2, 1)]))
        expectValid(plan)
        #expect(plan.makespan == 6)
        #expect(plan.lowerBound == 6)
        #expect(plan.placement(of: "b").start == 1)
        #expect(plan.placement(of: "c").start == 3)
        #expect(plan.criticalPath == [0, 1, 2])
    }

    @Test("a fork-join spreads the branches over the slots between the fork and the join")
    func forkJoin() throws {
        let plan = Planner().plan(
            try graph([
                ("fork", 1, []), ("x1", 2, ["fork"]), ("x2", 2, ["fork"]), ("x3", 2, ["fork"]), ("x4", 2, ["fork"]),
                ("join", 1, ["x1", "x2", "x3", "x4"]),
            ]), on: cluster([(2, 1)]))
        expectValid(plan)
        #expect(plan.makespan == 6)
        #expect(plan.lowerBound == 5)  // 10 s of work on 2 slots
        #expect(plan.placement(of: "join").start == 5)
        #expect(Set(["x1", "x2", "x3", "x4"].map { plan.placement(of: $0).start }) == [1, 3])
    }

    @Test("independent jobs of equal cost are spread evenly over the slots")
    func independentJobs() throws {
        let plan = Planner().plan(
            try graph((0..<8).map { ("j\($0)", 3, []) }), on: cluster([(2, 1), (2, 1)]))
        expectValid(plan)
        #expect(plan.makespan == 6)
        #expect(plan.makespan == plan.lowerBound)
        #expect(plan.sequences.map(\.count) == [2, 2, 2, 2])
    }

    @Test("on hosts of different speeds, the critical path goes to the fast host")
    func heterogeneousSpeeds() throws {
        let jobs: [(String, Double, [String])] =
            [("a", 10, []), ("b", 10, ["a"]), ("c", 10, ["b"]), ("s1", 2, []), ("s2", 2, []), ("s3", 2, [])]
        let plan = Planner().plan(try graph(jobs), on: cluster([(1, 1), (1, 2)]))
        expectValid(plan)
        let fastSlot = try #require(plan.slots.firstIndex { $0.host == 1 })
        #expect(Array(plan.ids(onSlot: fastSlot).filter { $0.count == 1 }) == ["a", "b", "c"])
        #expect(plan.makespan == 15)
        #expect(plan.lowerBound == 15)  // the chain at speed 2
    }

    @Test("learned costs replace declared costs, unless they are not usable numbers")
    func costMapOverridesDeclaredCosts() throws {
        let jobs: [(String, Double, [String])] = [("a", 1, []), ("b", 1, ["a"]), ("c", 1, []), ("d", 4, [])]
        let planner = Planner(costs: ["b": 100, "c": -5, "d": .nan, "unknown": 7])
        let plan = planner.plan(try graph(jobs), on: cluster([(2, 2)]))
        expectValid(plan)
        #expect(plan.costs == [1, 100, 1, 4])
        #expect(plan.placement(of: "b").end - plan.placement(of: "b").start == 50)
        #expect(plan.lowerBound == 50.5)  // a then b, at speed 2
        #expect(plan.makespan == 50.5)
        #expect(plan.criticalPath == [0, 1])
    }

    @Test("list scheduling fills the gap that plain HEFT leaves, and the planner keeps the shorter plan")
    func betterThanHEFT() throws {
        // HEFT places a, b, d (upward ranks 12, 6, 6) before c (4), which then waits for a free slot at 12.
        let jobs: [(String, Double, [String])] = [("a", 6, []), ("b", 6, ["a"]), ("c", 4, []), ("d", 6, ["a"])]
        let heft = Planner(strategy: .heft).plan(try graph(jobs), on: cluster([(2, 1)]))
        let best = Planner().plan(try graph(jobs), on: cluster([(2, 1)]))
        expectValid(heft)
        expectValid(best)
        #expect(heft.makespan == 16)
        #expect(best.makespan == 12)
        #expect(best.placement(of: "c").start == 0)
    }

    @Test("plain HEFT breaks ties between equally early slots by the lowest slot index")
    func heftTieBreak() throws {
        let plan = Planner(strategy: .heft).plan(
            try graph([("a", 5, []), ("b", 3, []), ("c", 1, ["b"])]), on: cluster([(3, 1)]))
        expectValid(plan)
        #expect(plan.ids(onSlot: 0) == ["a"])
        // c is ready at 3: slots 1 and 2 are both free then, slot 1 comes first.
        #expect(plan.ids(onSlot: 1) == ["b", "c"])
    }

    @Test("zero-cost jobs are placed, after their dependencies, without breaking the order of any slot")
    func zeroCostJobs() throws {
        let plan = Planner().plan(
            try graph([
                ("a", 0, []), ("b", 0, ["a"]), ("c", 0, ["b"]), ("d", 2, ["c"]), ("e", 0, ["d"]), ("f", 0, []),
            ]), on: cluster([(2, 1)]))
        expectValid(plan)
        #expect(plan.makespan == 2)
    }

    @Test("a single job runs at once on the fastest slot")
    func singleJob() throws {
        let plan = Planner().plan(try graph([("only", 4, [])]), on: cluster([(1, 1), (2, 4)]))
        expectValid(plan)
        #expect(plan.placement(of: "only") == Plan.Placement(slot: 1, order: 0, start: 0, end: 1))
        #expect(plan.sequences == [[], [0], []])
    }

    @Test("hosts without processors get no slots and the others are numbered host by host")
    func hostsWithoutSlots() throws {
        let plan = Planner().plan(try graph([("a", 1, []), ("b", 1, [])]), on: cluster([(0, 9), (1, 1), (2, 1)]))
        expectValid(plan)
        #expect(plan.slots == [Slot(host: 1, instance: 0), Slot(host: 2, instance: 0), Slot(host: 2, instance: 1)])
        #expect(plan.lowerBound == 1)
    }

    @Test("a wide fan-out and fan-in is planned and balanced", arguments: [1, 3, 8])
    func fanOutFanIn(slots: Int) throws {
        let middle = (0..<200).map { ("m\($0)", Double($0 % 7 + 1), ["src"]) }
        let plan = Planner().plan(
            try graph([("src", 1, [])] + middle + [("sink", 1, middle.map(\.0))]), on: cluster([(slots, 1)]))
        expectValid(plan)
        #expect(plan.makespan <= plan.lowerBound + 9)  // Graham's bound for list scheduling
    }

    @Test("the invariant check recognises slot sequences that would deadlock the host scripts")
    func deadlockIsDetected() throws {
        // Slot 0 runs a then b, slot 1 runs c then d; a needs d and c needs b: each slot waits on the other.
        let jobs = try graph([("a", 1, ["d"]), ("b", 1, []), ("c", 1, ["b"]), ("d", 1, [])])
        let hosts = cluster([(2, 1)])
        let stuck = Plan(
            graph: jobs, cluster: hosts, slots: hosts.slots, costs: [1, 1, 1, 1],
            placements: [
                Plan.Placement(slot: 0, order: 0, start: 1, end: 2),
                Plan.Placement(slot: 0, order: 1, start: 2, end: 3),
                Plan.Placement(slot: 1, order: 0, start: 3, end: 4),
                Plan.Placement(slot: 1, order: 1, start: 4, end: 5),
            ],
            sequences: [[0, 1], [2, 3]], makespan: 5, lowerBound: 2, criticalPath: [3, 0])
        #expect(!stuck.runsToCompletion)
        #expect(Planner().plan(jobs, on: hosts).runsToCompletion)
    }
}
