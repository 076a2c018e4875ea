public import ClustmakeModel

/// Where and when every job of a graph runs: the planner's answer, and what the script writer renders.
///
/// Jobs are addressed by their index in ``graph``; slots by their index in ``slots``. Times are estimates in
/// seconds from the start of the run, computed from job costs and host speeds.
public struct Plan: Sendable {
    /// Where one job runs.
    public struct Placement: Sendable, Hashable {
        /// The index of the slot in ``Plan/slots``.
        public var slot: Int32
        /// The job's position in its slot's sequence, from 0.
        public var order: Int32
        /// Estimated start, in seconds from the start of the run.
        public var start: Double
        /// Estimated end.
        public var end: Double

        public init(slot: Int32, order: Int32, start: Double, end: Double) {
            self.slot = slot
            self.order = order
            self.start = start
            self.end = end
        }
    }

    /// The graph that was planned.
    public let graph: JobGraph
    /// The cluster it was planned on.
    public let cluster: Cluster
    /// Every slot of the cluster (``Cluster/slots``).
    public let slots: [Slot]
    /// The cost used for each job (declared, or from the cost map), by job index.
    public let costs: [Double]
    /// Where each job runs, by job index.
    public let placements: [Placement]
    /// For each slot, the indices of its jobs in the order they run.
    public let sequences: [[Int32]]
    /// The estimated end of the last job.
    public let makespan: Double
    /// `max(critical path at the fastest speed, total cost / total slot speed)`: no plan can be shorter.
    public let lowerBound: Double
    /// The longest chain of dependent jobs by cost (its length, at the fastest host speed, is part of the bound).
    public let criticalPath: [Int32]

    public init(
        graph: JobGraph, cluster: Cluster, slots: [Slot], costs: [Double], placements: [Placement],
        sequences: [[Int32]], makespan: Double, lowerBound: Double, criticalPath: [Int32]
    ) {
        self.graph = graph
        self.cluster = cluster
        self.slots = slots
        self.costs = costs
        self.placements = placements
        self.sequences = sequences
        self.makespan = makespan
        self.lowerBound = lowerBound
        self.criticalPath = criticalPath
    }
}
