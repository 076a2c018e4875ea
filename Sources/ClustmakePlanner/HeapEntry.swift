import ClustmakeModel

/// One entry of the planner's ``ClustmakeModel/MinHeap``s: ordered by `key`, then by `tie`; `item` is what the
/// entry stands for.
///
/// Ties on `key` are broken by `tie`, so the order entries come out in never depends on the order they went in.
struct HeapEntry: Sendable, Comparable {
    var key: Double
    var tie: Int32
    var item: Int32

    /// Whether `lhs` comes out of a min-heap before `rhs`.
    @inline(__always) static func < (lhs: HeapEntry, rhs: HeapEntry) -> Bool {
        lhs.key < rhs.key || (lhs.key == rhs.key && lhs.tie < rhs.tie)
    }
}
