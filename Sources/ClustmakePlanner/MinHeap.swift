/// One entry of a ``MinHeap``: ordered by `key`, then by `tie`; `item` is what the entry stands for.
struct HeapEntry: Sendable {
    var key: Double
    var tie: Int32
    var item: Int32

    /// Whether `self` comes out of a min-heap before `other`.
    @inline(__always) func precedes(_ other: HeapEntry) -> Bool {
        key < other.key || (key == other.key && tie < other.tie)
    }
}

/// A binary min-heap of ``HeapEntry`` values in one flat array: no allocation per operation once reserved.
///
/// Ties on `key` are broken by `tie`, so the order things come out in never depends on the order they went in.
struct MinHeap: Sendable {
    private(set) var entries: [HeapEntry] = []

    init(capacity: Int) {
        entries.reserveCapacity(capacity)
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The smallest entry, if any.
    var top: HeapEntry? { entries.first }

    mutating func push(_ entry: HeapEntry) {
        entries.append(entry)
        entries.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard entry.precedes(heap[parent]) else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = entry
        }
    }

    /// Removes and returns the smallest entry. The heap must not be empty.
    mutating func pop() -> HeapEntry {
        let first = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries.withUnsafeMutableBufferPointer { heap in
                MinHeap.siftDown(last, in: heap)
            }
        }
        return first
    }

    /// Places `entry` at the root of `heap` and moves it down to where it belongs.
    @inline(__always)
    static func siftDown(_ entry: HeapEntry, in heap: UnsafeMutableBufferPointer<HeapEntry>) {
        let count = heap.count
        var parent = 0
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count, heap[child + 1].precedes(heap[child]) { child += 1 }
            guard heap[child].precedes(entry) else { break }
            heap[parent] = heap[child]
            parent = child
        }
        heap[parent] = entry
    }
}
