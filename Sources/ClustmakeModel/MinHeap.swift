/// A binary min-heap in one flat array: the smallest element (by `<`) comes out first, with no allocation per
/// operation once capacity is reserved.
///
/// The planner's ready and pending jobs, the scheduler's ready queue and the collector's timeline lanes all use it.
/// Give `Element` a total order (break ties on something unique, such as an index) and the order elements come out
/// in never depends on the order they went in.
public struct MinHeap<Element: Comparable> {
    @usableFromInline var elements: [Element] = []

    /// An empty heap.
    @inlinable public init() {}

    /// An empty heap with room for `capacity` elements.
    @inlinable public init(capacity: Int) {
        elements.reserveCapacity(capacity)
    }

    /// Whether the heap holds no element.
    @inlinable public var isEmpty: Bool { elements.isEmpty }

    /// How many elements the heap holds.
    @inlinable public var count: Int { elements.count }

    /// The smallest element, if any, left in the heap.
    @inlinable public var peek: Element? { elements.first }

    /// Adds `element`.
    @inlinable public mutating func push(_ element: Element) {
        elements.append(element)
        elements.withUnsafeMutableBufferPointer { heap in
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard element < heap[parent] else { break }
                heap[child] = heap[parent]
                child = parent
            }
            heap[child] = element
        }
    }

    /// Removes and returns the smallest element, or `nil` when the heap is empty.
    @inlinable public mutating func pop() -> Element? {
        guard let first = elements.first else { return nil }
        let last = elements.removeLast()
        guard !elements.isEmpty else { return first }
        elements.withUnsafeMutableBufferPointer { heap in
            // Move the hole left at the root down along the smaller children until `last` fits in it.
            let count = heap.count
            var parent = 0
            while true {
                var child = 2 * parent + 1
                if child >= count { break }
                if child + 1 < count, heap[child + 1] < heap[child] { child += 1 }
                guard heap[child] < last else { break }
                heap[parent] = heap[child]
                parent = child
            }
            heap[parent] = last
        }
        return first
    }

    /// Removes every element, keeping the capacity.
    @inlinable public mutating func removeAll() {
        elements.removeAll(keepingCapacity: true)
    }
}

extension MinHeap: Sendable where Element: Sendable {}
