import ClustmakeModel
import ClustmakePlanner
import Testing

/// Builds a graph from `(id, cost, deps)` triples; every job runs `true`.
func graph(_ jobs: [(String, Double, [String])]) throws -> JobGraph {
    try JobGraph(jobs: jobs.map { Job(id: $0.0, command: .shell("true"), deps: $0.2, cost: $0.1) })
}

/// A cluster of hosts `h0`, `h1`, … with the given processors and speeds.
func cluster(_ hosts: [(processors: Int, speed: Double)]) -> Cluster {
    Cluster(
        hosts: hosts.enumerated().map {
            Host(name: "h\($0.offset)", processors: $0.element.processors, speed: $0.element.speed)
        })
}

extension Plan {
    /// The placement of the job with id `id`.
    func placement(of id: String) -> Placement {
        placements[graph.index(of: id)!]
    }

    /// The ids of the jobs of `slot`, in order.
    func ids(onSlot slot: Int) -> [String] {
        sequences[slot].map { graph.jobs[Int($0)].id }
    }

    /// Whether running every slot's sequence in order, each job once its dependencies are done, runs every job:
    /// what a host script does. False means the scripts would deadlock.
    var runsToCompletion: Bool {
        var done = [Bool](repeating: false, count: graph.count)
        var next = [Int](repeating: 0, count: sequences.count)
        var progress = true
        while progress {
            progress = false
            for slot in sequences.indices {
                while next[slot] < sequences[slot].count {
                    let job = Int(sequences[slot][next[slot]])
                    guard graph.predecessors[job].allSatisfy({ done[Int($0)] }) else { break }
                    done[job] = true
                    next[slot] += 1
                    progress = true
                }
            }
        }
        return done.allSatisfy { $0 }
    }
}

/// The length of the longest cost chain, by dynamic programming over the topological order.
func longestChain(_ graph: JobGraph, costs: [Double]) -> Double {
    var finish = [Double](repeating: 0, count: graph.count)
    for job in graph.topologicalOrder.map(Int.init) {
        finish[job] = costs[job] + (graph.predecessors[job].map { finish[Int($0)] }.max() ?? 0)
    }
    return finish.max() ?? 0
}

/// Checks every invariant a plan promises, recording an issue for each one broken.
func expectValid(_ plan: Plan, sourceLocation: SourceLocation = #_sourceLocation) {
    let graph = plan.graph
    let relative = 1e-9
    #expect(plan.placements.count == graph.count, sourceLocation: sourceLocation)
    #expect(plan.sequences.count == plan.slots.count, sourceLocation: sourceLocation)
    #expect(plan.slots == plan.cluster.slots, sourceLocation: sourceLocation)

    // Every job is in exactly one sequence, once, where its placement says.
    var seen = [Int](repeating: 0, count: graph.count)
    for (slot, sequence) in plan.sequences.enumerated() {
        for (order, job) in sequence.enumerated() {
            seen[Int(job)] += 1
            let placement = plan.placements[Int(job)]
            #expect(
                placement.slot == Int32(slot), "job \(job) is in slot \(slot)'s sequence",
                sourceLocation: sourceLocation)
            #expect(
                placement.order == Int32(order), "job \(job) is at position \(order)", sourceLocation: sourceLocation)
        }
    }
    #expect(seen.allSatisfy { $0 == 1 }, "every job is placed exactly once", sourceLocation: sourceLocation)

    // Durations follow cost and speed; dependencies end before a job starts.
    for job in 0..<graph.count {
        let placement = plan.placements[job]
        let speed = plan.cluster.hosts[plan.slots[Int(placement.slot)].host].speed
        let duration = plan.costs[job] / speed
        #expect(
            abs(placement.end - placement.start - duration) <= relative * max(1, placement.end),
            "job \(job) runs \(placement.end - placement.start) s, expected \(duration)", sourceLocation: sourceLocation
        )
        for dep in graph.predecessors[job] {
            let depEnd = plan.placements[Int(dep)].end
            #expect(
                depEnd <= placement.start,
                "job \(job) starts at \(placement.start) before its dependency \(dep) ends at \(depEnd)",
                sourceLocation: sourceLocation)
        }
    }

    // Each slot runs one job at a time, in start order.
    for (slot, sequence) in plan.sequences.enumerated() {
        for (earlier, later) in zip(sequence, sequence.dropFirst()) {
            let first = plan.placements[Int(earlier)]
            let second = plan.placements[Int(later)]
            #expect(first.start <= second.start, "slot \(slot) is not sorted by start", sourceLocation: sourceLocation)
            #expect(
                first.end <= second.start, "jobs \(earlier) and \(later) overlap on slot \(slot)",
                sourceLocation: sourceLocation)
        }
    }
    #expect(plan.runsToCompletion, "running the sequences in order deadlocks", sourceLocation: sourceLocation)

    // Makespan and bound.
    #expect(plan.makespan == plan.placements.map(\.end).max(), sourceLocation: sourceLocation)
    #expect(plan.makespan >= plan.lowerBound * (1 - relative), sourceLocation: sourceLocation)
    let fastest = plan.slots.map { plan.cluster.hosts[$0.host].speed }.max()!
    let totalSpeed = plan.cluster.hosts.reduce(0.0) { $0 + Double(max(0, $1.processors)) * $1.speed }
    let chain = longestChain(graph, costs: plan.costs)
    let expectedBound = max(chain / fastest, plan.costs.reduce(0, +) / totalSpeed)
    #expect(abs(plan.lowerBound - expectedBound) <= relative * max(1, expectedBound), sourceLocation: sourceLocation)

    // The critical path is a source-to-sink chain of the longest length.
    let path = plan.criticalPath.map(Int.init)
    #expect(!path.isEmpty, sourceLocation: sourceLocation)
    if let first = path.first, let last = path.last {
        #expect(
            graph.predecessors.degree(first) == 0, "the critical path starts at a source",
            sourceLocation: sourceLocation)
        #expect(graph.successors.degree(last) == 0, "the critical path ends at a sink", sourceLocation: sourceLocation)
    }
    for (job, next) in zip(path, path.dropFirst()) {
        #expect(
            graph.successors[job].contains(Int32(next)), "\(next) does not depend on \(job)",
            sourceLocation: sourceLocation)
    }
    let length = path.reduce(0.0) { $0 + plan.costs[$1] }
    #expect(abs(length - chain) <= relative * max(1, chain), sourceLocation: sourceLocation)
}

/// Whether two plans are the same, field by field.
func identical(_ a: Plan, _ b: Plan) -> Bool {
    a.placements == b.placements && a.sequences == b.sequences && a.makespan == b.makespan
        && a.lowerBound == b.lowerBound && a.criticalPath == b.criticalPath && a.costs == b.costs && a.slots == b.slots
}
