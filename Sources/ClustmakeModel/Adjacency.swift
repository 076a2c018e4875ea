/// Compressed adjacency lists: the neighbours of node `i` are `targets[offsets[i]..<offsets[i+1]]`.
///
/// One flat array for a million nodes instead of a million small arrays: less memory, no per-node allocation.
public struct Adjacency: Sendable, Hashable {
    public let offsets: [Int32]
    public let targets: [Int32]

    /// Wraps lists already laid out: `offsets` has one entry per node and a last one, `targets` the neighbours.
    init(offsets: [Int32], targets: [Int32]) {
        self.offsets = offsets
        self.targets = targets
    }

    /// The neighbours of node `node`.
    @inlinable public subscript(node: Int) -> ArraySlice<Int32> {
        targets[Int(offsets[node])..<Int(offsets[node + 1])]
    }

    /// The number of neighbours of node `node`.
    @inlinable public func degree(_ node: Int) -> Int {
        Int(offsets[node + 1] - offsets[node])
    }

    /// The same edges, reversed: node `t` lists `n` once for each time `n` lists `t`, in increasing `n`.
    /// - Parameter nodeCount: The number of nodes.
    public func reversed(nodeCount: Int) -> Adjacency {
        var counts = [Int32](repeating: 0, count: nodeCount + 1)
        for target in targets { counts[Int(target) + 1] += 1 }
        for index in 0..<nodeCount { counts[index + 1] += counts[index] }
        var cursor = counts
        var reversedTargets = [Int32](repeating: 0, count: targets.count)
        for node in 0..<nodeCount {
            for target in self[node] {
                reversedTargets[Int(cursor[Int(target)])] = Int32(node)
                cursor[Int(target)] += 1
            }
        }
        return Adjacency(offsets: counts, targets: reversedTargets)
    }
}
