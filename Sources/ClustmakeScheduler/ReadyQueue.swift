import ClustmakeModel

/// The ready jobs in planner order: job indices by priority (smaller first), ties by index, in a ``MinHeap``.
///
/// Entries are not removed when a job stops being ready; the scheduler checks each one it pops (lazy deletion).
struct ReadyQueue: Sendable {
    /// A job and its priority, ordered by priority, then by job index.
    struct Entry: Sendable, Comparable {
        var priority: Double
        var job: Int32

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            lhs.priority < rhs.priority || (lhs.priority == rhs.priority && lhs.job < rhs.job)
        }
    }

    private var heap = MinHeap<Entry>()

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    mutating func push(_ job: Int32, priority: Double) {
        heap.push(Entry(priority: priority, job: job))
    }

    mutating func pop() -> Int32? {
        heap.pop()?.job
    }
}
