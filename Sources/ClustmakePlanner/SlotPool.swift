/// When each slot becomes free, during one scheduling pass.
///
/// Each speed group keeps a min-tree (a segment tree of "free from" times over its slots, in ascending slot
/// order), all in one flat array; a small tree over the groups gives the time the first slot of the whole cluster
/// is free. Finding a group's best slot and placing a job both cost O(log slots); choosing where a job goes looks
/// at one slot per speed group at most.
struct SlotPool: Sendable {
    /// Where a job goes: the group, the slot, and when it would run there.
    struct Choice {
        var group: Int
        var slot: Int32
        /// The leaf of the slot in the pool's trees.
        var leaf: Int
        var start: Double
        var end: Double
    }

    let groups: SpeedGroups
    /// Group `g`'s tree is `trees[treeBase[g]..<treeBase[g] + 2 * width[g]]`: node 1 is the root, the leaves
    /// are `width[g]..<2 * width[g]` (slot `members[offsets[g] + i]` at leaf `width[g] + i`, +∞ past the last).
    private var trees: [Double]
    private let treeBase: [Int]
    private let width: [Int]
    /// Minimum of the groups' roots: leaves at `groupLeafBase + g`, root at 1.
    private var groupTree: [Double]
    private let groupLeafBase: Int

    init(_ groups: SpeedGroups) {
        self.groups = groups
        var treeBase = [Int]()
        var width = [Int]()
        var size = 0
        for group in 0..<groups.count {
            var leaves = 1
            while leaves < groups.offsets[group + 1] - groups.offsets[group] { leaves *= 2 }
            treeBase.append(size)
            width.append(leaves)
            size += 2 * leaves
        }
        var trees = [Double](repeating: .infinity, count: size)
        for group in 0..<groups.count {
            let members = groups.offsets[group + 1] - groups.offsets[group]
            for member in 0..<members { trees[treeBase[group] + width[group] + member] = 0 }
            for node in stride(from: width[group] - 1, through: 1, by: -1) {
                trees[treeBase[group] + node] = min(
                    trees[treeBase[group] + 2 * node], trees[treeBase[group] + 2 * node + 1])
            }
        }
        var groupLeafBase = 1
        while groupLeafBase < groups.count { groupLeafBase *= 2 }
        var groupTree = [Double](repeating: .infinity, count: 2 * groupLeafBase)
        for group in 0..<groups.count { groupTree[groupLeafBase + group] = 0 }
        for node in stride(from: groupLeafBase - 1, through: 1, by: -1) {
            groupTree[node] = min(groupTree[2 * node], groupTree[2 * node + 1])
        }
        self.trees = trees
        self.treeBase = treeBase
        self.width = width
        self.groupTree = groupTree
        self.groupLeafBase = groupLeafBase
    }

    /// The earliest time any slot is free.
    var earliestFree: Double { groupTree[1] }

    /// Where a job of `cost` (seconds at speed 1) that cannot start before `time` ends first; ties go to the
    /// lowest slot index.
    ///
    /// In a group, the slots free by `time` all give the same end, so the group's candidate is the first of them
    /// in slot order, or, when none is free by then, the first of those free earliest. Groups are visited
    /// fastest first, and the search stops once even starting at `time` would end later than the best so far.
    @inline(__always) func choose(cost: Double, notBefore time: Double) -> Choice {
        var best = Choice(group: 0, slot: .max, leaf: 0, start: 0, end: .infinity)
        trees.withUnsafeBufferPointer { trees in
            for group in 0..<groups.count {
                let duration = cost / groups.speeds[group]
                if time + duration > best.end { break }
                let base = treeBase[group]
                let free = trees[base + 1]
                let start = free > time ? free : time
                let end = start + duration
                guard end <= best.end else { continue }
                // The leftmost leaf free by `start`.
                var node = 1
                while node < width[group] {
                    node = trees[base + 2 * node] <= start ? 2 * node : 2 * node + 1
                }
                let slot = groups.members[groups.offsets[group] + node - width[group]]
                if end < best.end || slot < best.slot {
                    best = Choice(group: group, slot: slot, leaf: node, start: start, end: end)
                }
            }
        }
        return best
    }

    /// Marks the slot of `choice` busy until `choice.end`.
    @inline(__always) mutating func occupy(_ choice: Choice) {
        let base = treeBase[choice.group]
        trees.withUnsafeMutableBufferPointer { trees in
            var node = choice.leaf
            trees[base + node] = choice.end
            node /= 2
            while node >= 1 {
                trees[base + node] = min(trees[base + 2 * node], trees[base + 2 * node + 1])
                node /= 2
            }
        }
        var node = groupLeafBase + choice.group
        groupTree[node] = trees[base + 1]
        node /= 2
        while node >= 1 {
            groupTree[node] = min(groupTree[2 * node], groupTree[2 * node + 1])
            node /= 2
        }
    }
}
