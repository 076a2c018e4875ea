/// The result of one scheduling pass, in flat arrays indexed by job.
///
/// `decisions` lists the jobs in the order the pass placed them. Every pass places a job after all of its
/// dependencies and appends it to its slot, so each slot's jobs in decision order are sorted by start and every
/// slot's sequence is a subsequence of one dependency-respecting order: running them in order never deadlocks.
struct Schedule: Sendable {
    var slot: [Int32]
    var start: [Double]
    var end: [Double]
    var decisions: [Int32]
    var makespan: Double

    init(count: Int) {
        slot = [Int32](repeating: -1, count: count)
        start = [Double](repeating: 0, count: count)
        end = [Double](repeating: 0, count: count)
        decisions = []
        decisions.reserveCapacity(count)
        makespan = 0
    }

    /// Records that `job` runs on `slot` from `start` to `end`.
    @inline(__always) mutating func place(_ job: Int, slot: Int32, start: Double, end: Double) {
        self.slot[job] = slot
        self.start[job] = start
        self.end[job] = end
        decisions.append(Int32(job))
        if end > makespan { makespan = end }
    }
}
