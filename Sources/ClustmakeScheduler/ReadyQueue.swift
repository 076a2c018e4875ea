/// A binary min-heap of job indices by priority (smaller first), ties by index: the ready jobs in planner order.
///
/// Entries are not removed when a job stops being ready; the scheduler checks each one it pops (lazy deletion).
struct ReadyQueue: Sendable {
    private var heap: [(priority: Double, job: Int32)] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    private static func less(_ a: (priority: Double, job: Int32), _ b: (priority: Double, job: Int32)) -> Bool {
        a.priority < b.priority || (a.priority == b.priority && a.job < b.job)
    }

    mutating func push(_ job: Int32, priority: Double) {
        heap.append((priority, job))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int32? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count && Self.less(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count && Self.less(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.job
    }
}
