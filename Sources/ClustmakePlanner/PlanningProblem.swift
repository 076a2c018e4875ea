import ClustmakeModel

/// A graph and a cluster, reduced to what scheduling needs: costs, adjacency, ranks and speed groups.
struct PlanningProblem: Sendable {
    /// The effective cost of each job, in seconds at speed 1.
    let costs: [Double]
    let predecessors: Adjacency
    let successors: Adjacency
    /// Each job's position in ``JobGraph/topologicalOrder``: the tie-break of every priority.
    let position: [Int32]
    /// The upward rank: a job's cost plus the largest upward rank among its successors (the longest cost chain
    /// from the job to a sink, in seconds at speed 1).
    ///
    /// HEFT scales costs by the mean time per unit of cost over the slots; with no communication costs that is
    /// the same factor for every job, so the order is the same and the ranks stay in cost units.
    let upwardRank: [Double]
    let groups: SpeedGroups
    /// `max(critical path / fastest speed, total cost / total slot speed)`: no schedule is shorter.
    let lowerBound: Double

    init(graph: JobGraph, costs: [Double], groups: SpeedGroups) {
        let count = costs.count
        let position = graph.topologicalPositions()
        var rank = [Double](repeating: 0, count: count)
        graph.successors.offsets.withUnsafeBufferPointer { offsets in
            graph.successors.targets.withUnsafeBufferPointer { targets in
                rank.withUnsafeMutableBufferPointer { rank in
                    for job in graph.topologicalOrder.reversed() {
                        let job = Int(job)
                        var longest = 0.0
                        for edge in Int(offsets[job])..<Int(offsets[job + 1]) {
                            let next = rank[Int(targets[edge])]
                            if next > longest { longest = next }
                        }
                        rank[job] = costs[job] + longest
                    }
                }
            }
        }
        self.costs = costs
        self.predecessors = graph.predecessors
        self.successors = graph.successors
        self.position = position
        self.upwardRank = rank
        self.groups = groups
        let longest = rank.max() ?? 0
        let total = costs.reduce(0, +)
        self.lowerBound = max(longest / groups.fastest, total / groups.totalSpeed)
    }

    var count: Int { costs.count }

    /// The longest cost chain, from a source to a sink: the first source (in topological order) of largest
    /// upward rank, then at each step the first successor of largest upward rank.
    func criticalPath(topologicalOrder: [Int32]) -> [Int32] {
        var current = -1
        for job in topologicalOrder where predecessors.degree(Int(job)) == 0 {
            if current < 0 || upwardRank[Int(job)] > upwardRank[current] { current = Int(job) }
        }
        var path = [Int32]()
        while current >= 0 {
            path.append(Int32(current))
            var next = -1
            for successor in successors[current] where next < 0 || upwardRank[Int(successor)] > upwardRank[next] {
                next = Int(successor)
            }
            current = next
        }
        return path
    }

}
