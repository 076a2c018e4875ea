public import ClustmakeModel

/// Assigns every job of a graph to a slot and an order (the algorithm is documented in docs/planner.md).
///
/// The planner is pure: no I/O, no clock, no randomness. The same graph, cluster, costs and strategy give the same
/// plan, bit for bit.
public struct Planner: Sendable {
    /// How hard the planner tries.
    public enum Strategy: String, Sendable, Hashable, CaseIterable {
        /// The shortest of several candidate schedules (plain HEFT among them, so never longer than HEFT).
        case best
        /// Plain HEFT only: upward-rank order, earliest-finish slot, no insertion. The quality benchmark's
        /// reference.
        case heft
    }

    /// Costs learned from earlier runs, by job id; they replace the declared costs.
    public var costs: [String: Double]
    /// How hard the planner tries; ``Strategy/best`` unless told otherwise.
    public var strategy: Strategy

    /// The most forward-backward improvement rounds run on any graph.
    public static let maximumImprovementRounds = 4
    /// A schedule this close to the lower bound (relative) is kept without trying further candidates.
    public static let closeEnough = 1e-5
    /// How many jobs + edges the improvement rounds may go through in all: a graph of n jobs and e edges gets
    /// `improvementBudget / (n + e)` rounds, at least one and at most ``maximumImprovementRounds``.
    public static let improvementBudget = 4_000_000

    public init(costs: [String: Double] = [:], strategy: Strategy = .best) {
        self.costs = costs
        self.strategy = strategy
    }

    /// Plans `graph` on `cluster`. Deterministic: the same inputs give the same plan.
    ///
    /// A job's cost is its entry in ``costs`` when there is one (and it is a finite number ≥ 0), else its
    /// declared cost (taken as 0 if it is not a finite number ≥ 0). On a host of speed s it takes cost / s seconds.
    ///
    /// - Parameters:
    ///   - graph: The jobs and their dependencies.
    ///   - cluster: The hosts. It must have at least one slot, and every host with slots a positive, finite
    ///     speed (the cluster loader rejects anything else); the planner stops the program otherwise.
    /// - Returns: Where and when each job runs, and the bounds the plan is measured against.
    public func plan(_ graph: JobGraph, on cluster: Cluster) -> Plan {
        let groups = SpeedGroups(cluster)
        let problem = PlanningProblem(graph: graph, costs: effectiveCosts(of: graph), groups: groups)
        let schedule = bestSchedule(for: problem)

        var sequences = [[Int32]](repeating: [], count: groups.slots.count)
        var placements = [Plan.Placement](
            repeating: Plan.Placement(slot: 0, order: 0, start: 0, end: 0), count: problem.count)
        for job in schedule.decisions {
            let job = Int(job)
            let slot = Int(schedule.slot[job])
            placements[job] = Plan.Placement(
                slot: Int32(slot), order: Int32(sequences[slot].count), start: schedule.start[job],
                end: schedule.end[job])
            sequences[slot].append(Int32(job))
        }
        return Plan(
            graph: graph, cluster: cluster, slots: groups.slots, costs: problem.costs, placements: placements,
            sequences: sequences, makespan: schedule.makespan, lowerBound: problem.lowerBound,
            criticalPath: problem.criticalPath(topologicalOrder: graph.topologicalOrder))
    }

    /// The cost of each job, by index: the learned cost if there is a usable one, else the declared cost.
    func effectiveCosts(of graph: JobGraph) -> [Double] {
        func usable(_ cost: Double) -> Bool { cost.isFinite && cost >= 0 }
        return graph.jobs.map { job in
            if !costs.isEmpty, let learned = costs[job.id], usable(learned) { return learned }
            return usable(job.cost) ? job.cost : 0
        }
    }

    /// The candidates, shortest kept (ties: the earlier candidate):
    /// 1. plain HEFT;
    /// 2. event-driven list scheduling by upward rank;
    /// 3. forward-backward improvement of the better of the two, while it helps, within the round limit.
    ///
    /// The search stops as soon as a schedule is within ``closeEnough`` of the lower bound.
    func bestSchedule(for problem: PlanningProblem) -> Schedule {
        let heft = problem.heft()
        if strategy == .heft { return heft }
        let goodEnough = problem.lowerBound * (1 + Self.closeEnough)
        var best = heft
        if best.makespan <= goodEnough { return best }
        let list = problem.rankListSchedule()
        if list.makespan < best.makespan { best = list }
        if best.makespan <= goodEnough { return best }
        let rounds = Self.improvementRounds(jobs: problem.count, edges: problem.predecessors.targets.count)
        return problem.improve(best, rounds: rounds, goodEnough: goodEnough).schedule
    }

    /// The improvement rounds for a graph: `improvementBudget / (jobs + edges)`, between 1 and
    /// ``maximumImprovementRounds``.
    static func improvementRounds(jobs: Int, edges: Int) -> Int {
        max(1, min(maximumImprovementRounds, improvementBudget / max(1, jobs + edges)))
    }
}
