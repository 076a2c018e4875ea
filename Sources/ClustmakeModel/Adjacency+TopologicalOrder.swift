extension Adjacency {
    /// Lists laid out from one collection of neighbours per node, in order (repeats kept).
    /// - Parameter lists: The neighbours of each node, as indices into `lists`.
    public init(lists: some Collection<some Collection<Int>>) {
        var offsets = [Int32]()
        offsets.reserveCapacity(lists.count + 1)
        offsets.append(0)
        var targets = [Int32]()
        for list in lists {
            for node in list {
                precondition(node >= 0 && node < lists.count, "neighbour \(node) is not a node of the lists")
                targets.append(Int32(node))
            }
            offsets.append(Int32(targets.count))
        }
        self.init(offsets: offsets, targets: targets)
    }

    /// The nodes in an order where each comes after all of the nodes it lists (these lists are the predecessors):
    /// Kahn's algorithm with a FIFO seeded in node order, so ties keep node order and the result is deterministic.
    ///
    /// Nodes on a cycle, and nodes after one, are left out: the result is shorter than the node count exactly when
    /// the lists have a cycle.
    /// - Parameter successors: The same edges reversed (``reversed(nodeCount:)``).
    public func topologicalOrder(successors: Adjacency) -> [Int32] {
        let count = offsets.count - 1
        var remaining = [Int32](repeating: 0, count: count)
        var order = [Int32]()
        order.reserveCapacity(count)
        for node in 0..<count {
            remaining[node] = Int32(degree(node))
            if remaining[node] == 0 { order.append(Int32(node)) }
        }
        var head = 0
        while head < order.count {
            let node = Int(order[head])
            head += 1
            for next in successors[node] {
                remaining[Int(next)] -= 1
                if remaining[Int(next)] == 0 { order.append(next) }
            }
        }
        return order
    }
}
