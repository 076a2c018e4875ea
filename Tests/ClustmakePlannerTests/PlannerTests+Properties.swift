import ClustmakeModel
import ClustmakePlanner
import PropertyBased
import Testing

/// A random graph and cluster for the property tests.
struct PlanningInstance: Sendable, CustomStringConvertible {
    let graph: JobGraph
    let cluster: Cluster

    var description: String {
        let jobs = graph.jobs.map { "\($0.id)(\($0.cost))<-\($0.deps.joined(separator: ","))" }
        let hosts = cluster.hosts.map { "\($0.processors)x\($0.speed)" }
        return "jobs: \(jobs.joined(separator: " ")); hosts: \(hosts.joined(separator: " "))"
    }

    /// Jobs `j0…`: each a cost kind (0: zero, 1: whole seconds, so that ties are common, else any) and up to
    /// three dependencies on jobs 1 to 6 places before it; listed in reverse when `reversed`. Hosts: processors
    /// (0 to 4; the first host gets one if none has any) and a speed.
    static func generator(
        jobs: ClosedRange<Int> = 1...40, hosts: ClosedRange<Int> = 1...4
    ) -> Generator<PlanningInstance, some Sequence & SendableMetatype> {
        zip(
            zip(Gen.int(in: 0...4), Gen.double(in: 0...10), Gen.int(in: 1...6).array(of: 0...3)).array(of: jobs),
            zip(Gen.int(in: 0...4), Gen.int(in: 0...4)).array(of: hosts),
            Gen.bool
        ).map { (specification: ([(Int, Double, [Int])], [(Int, Int)], Bool)) -> PlanningInstance in
            make(jobs: specification.0, hosts: specification.1, reversed: specification.2)
        }
    }

    static func make(jobs jobSpecs: [(Int, Double, [Int])], hosts hostSpecs: [(Int, Int)], reversed: Bool)
        -> PlanningInstance
    {
        let speeds = [0.5, 1, 1, 2, 3]
        var jobs = [Job]()
        for (index, (kind, amount, back)) in jobSpecs.enumerated() {
            let cost = kind == 0 ? 0 : kind == 1 ? amount.rounded() : amount
            let deps = back.map { index - $0 }.filter { $0 >= 0 }.map { "j\($0)" }
            jobs.append(Job(id: "j\(index)", command: .shell("true"), deps: deps, cost: cost))
        }
        if reversed { jobs.reverse() }
        var hosts = [Host]()
        for (index, (processors, speed)) in hostSpecs.enumerated() {
            hosts.append(Host(name: "h\(index)", processors: processors, speed: speeds[speed]))
        }
        if hosts.allSatisfy({ $0.processors == 0 }) { hosts[0].processors = 1 }
        // The ids are valid, unique and only point backwards, so the graph is always valid.
        return PlanningInstance(graph: try! JobGraph(jobs: jobs), cluster: Cluster(hosts: hosts))
    }
}

extension PlannerTests {
    @Test("every plan of a random graph on a random cluster keeps every invariant")
    func invariantsHold() async {
        await propertyCheck(count: 300, input: PlanningInstance.generator()) { instance in
            expectValid(Planner().plan(instance.graph, on: instance.cluster))
            expectValid(Planner(strategy: .heft).plan(instance.graph, on: instance.cluster))
        }
    }

    @Test("plans of larger random graphs, where the improvement rounds have work to do, keep every invariant")
    func invariantsHoldOnLargerGraphs() async {
        await propertyCheck(count: 25, input: PlanningInstance.generator(jobs: 100...400, hosts: 1...6)) { instance in
            let plan = Planner().plan(instance.graph, on: instance.cluster)
            expectValid(plan)
            #expect(plan.makespan <= Planner(strategy: .heft).plan(instance.graph, on: instance.cluster).makespan)
        }
    }

    @Test("the same input gives the identical plan")
    func deterministic() async {
        await propertyCheck(count: 100, input: PlanningInstance.generator()) { instance in
            let first = Planner().plan(instance.graph, on: instance.cluster)
            let rebuilt = try JobGraph(jobs: instance.graph.jobs)
            let second = Planner().plan(rebuilt, on: Cluster(hosts: instance.cluster.hosts))
            #expect(identical(first, second))
        }
    }

    @Test("the planner is never worse than plain HEFT")
    func neverWorseThanHEFT() async {
        await propertyCheck(count: 200, input: PlanningInstance.generator()) { instance in
            let heft = Planner(strategy: .heft).plan(instance.graph, on: instance.cluster)
            let best = Planner().plan(instance.graph, on: instance.cluster)
            #expect(best.makespan <= heft.makespan)
        }
    }

    @Test("a job's planned duration shrinks by its host's speed and grows with its learned cost")
    func learnedCostsScale() async {
        await propertyCheck(count: 50, input: PlanningInstance.generator()) { instance in
            let learned = Dictionary(uniqueKeysWithValues: instance.graph.jobs.map { ($0.id, $0.cost * 2 + 1) })
            let plan = Planner(costs: learned).plan(instance.graph, on: instance.cluster)
            #expect(plan.costs == instance.graph.jobs.map { $0.cost * 2 + 1 })
            expectValid(plan)
        }
    }
}
