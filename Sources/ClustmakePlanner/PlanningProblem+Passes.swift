import ClustmakeModel

extension PlanningProblem {
    /// Plain HEFT: jobs in decreasing upward rank (ties: topological position), each on the slot where it ends
    /// first (ties: the lowest slot index), after the last job already on that slot.
    ///
    /// No insertion into idle gaps. This is the reference the planner is measured against, and one of its
    /// candidates, so the planner is never worse than it.
    func heft() -> Schedule {
        var order = [Int32](repeating: 0, count: count)
        for job in 0..<count { order[Int(position[job])] = Int32(job) }
        upwardRank.withUnsafeBufferPointer { rank in
            position.withUnsafeBufferPointer { position in
                order.sort { a, b in
                    let ra = rank[Int(a)]
                    let rb = rank[Int(b)]
                    return ra > rb || (ra == rb && position[Int(a)] < position[Int(b)])
                }
            }
        }
        var schedule = Schedule(count: count)
        var pool = SlotPool(groups)
        predecessors.offsets.withUnsafeBufferPointer { offsets in
            predecessors.targets.withUnsafeBufferPointer { targets in
                for job in order {
                    let job = Int(job)
                    var ready = 0.0
                    for edge in Int(offsets[job])..<Int(offsets[job + 1]) {
                        let end = schedule.end[Int(targets[edge])]
                        if end > ready { ready = end }
                    }
                    let choice = pool.choose(cost: costs[job], notBefore: ready)
                    pool.occupy(choice)
                    schedule.place(job, slot: choice.slot, start: choice.start, end: choice.end)
                }
            }
        }
        return schedule
    }

    /// Event-driven list scheduling: the clock moves from one event to the next (a slot becomes free, a job
    /// becomes ready); whenever a slot is free and jobs are ready, the ready job with the smallest
    /// `(key, tie)` goes where it ends first, as in ``heft()`` (possibly on a faster slot that is still busy).
    ///
    /// Unlike a static order, a job never waits behind a job that was ranked earlier but became ready later,
    /// so the schedule has no avoidable idle gaps. Jobs are placed at times that never decrease, so slots
    /// that are free now are interchangeable and the slot tie-break does not change the makespan.
    ///
    /// - Parameters:
    ///   - reversed: Schedule the reversed graph (successors become dependencies), for the backward pass of
    ///     ``improve(_:rounds:goodEnough:)``.
    ///   - key: The priority of each job; smaller goes first.
    ///   - tie: Breaks ties of `key`; all different.
    func listSchedule(reversed: Bool, key: [Double], tie: [Int32]) -> Schedule {
        let waitsFor = reversed ? successors : predecessors
        let unblocks = reversed ? predecessors : successors
        var remaining = [Int32](repeating: 0, count: count)
        var readyAt = [Double](repeating: 0, count: count)
        var ready = MinHeap<HeapEntry>(capacity: count)
        var pending = MinHeap<HeapEntry>(capacity: count)
        for job in 0..<count {
            remaining[job] = Int32(waitsFor.degree(job))
            if remaining[job] == 0 { ready.push(HeapEntry(key: key[job], tie: tie[job], item: Int32(job))) }
        }
        var schedule = Schedule(count: count)
        var pool = SlotPool(groups)
        var now = 0.0
        unblocks.offsets.withUnsafeBufferPointer { offsets in
            unblocks.targets.withUnsafeBufferPointer { targets in
                while schedule.decisions.count < count {
                    while let next = pending.peek, next.key <= now {
                        _ = pending.pop()
                        let job = Int(next.item)
                        ready.push(HeapEntry(key: key[job], tie: tie[job], item: Int32(job)))
                    }
                    if ready.isEmpty {
                        guard let next = pending.peek else { break }  // unreachable for an acyclic graph
                        now = next.key
                        continue
                    }
                    let free = pool.earliestFree
                    if free > now {
                        now = free
                        continue
                    }
                    guard let entry = ready.pop() else { break }  // not empty: checked above
                    let job = Int(entry.item)
                    let choice = pool.choose(cost: costs[job], notBefore: now)
                    pool.occupy(choice)
                    schedule.place(job, slot: choice.slot, start: choice.start, end: choice.end)
                    for edge in Int(offsets[job])..<Int(offsets[job + 1]) {
                        let next = Int(targets[edge])
                        if choice.end > readyAt[next] { readyAt[next] = choice.end }
                        remaining[next] -= 1
                        if remaining[next] == 0 {
                            if readyAt[next] <= now {
                                ready.push(HeapEntry(key: key[next], tie: tie[next], item: Int32(next)))
                            } else {
                                pending.push(HeapEntry(key: readyAt[next], tie: Int32(next), item: Int32(next)))
                            }
                        }
                    }
                }
            }
        }
        return schedule
    }

    /// List scheduling by decreasing upward rank (ties: topological position).
    func rankListSchedule() -> Schedule {
        listSchedule(reversed: false, key: upwardRank.map { -$0 }, tie: position)
    }

    /// Forward-backward improvement (double justification, as for resource-constrained project scheduling):
    /// schedule the reversed graph with the jobs that end last going first, then the graph again with the jobs
    /// that start first in that backward schedule going first. Repeats while the makespan shrinks, at most
    /// `rounds` times, and until the makespan is at most `goodEnough`.
    ///
    /// - Returns: The best schedule seen (`schedule` itself if no round helped) and the rounds run.
    func improve(
        _ schedule: Schedule, rounds: Int, goodEnough: Double = 0
    ) -> (schedule: Schedule, rounds: Int) {
        var best = schedule
        var backwardTie = [Int32](repeating: 0, count: count)
        for job in 0..<count { backwardTie[job] = Int32(count - 1) - position[job] }
        var key = [Double](repeating: 0, count: count)
        var round = 0
        while round < rounds && best.makespan > goodEnough {
            round += 1
            for job in 0..<count { key[job] = -best.end[job] }
            let backward = listSchedule(reversed: true, key: key, tie: backwardTie)
            for job in 0..<count { key[job] = -backward.end[job] }
            let forward = listSchedule(reversed: false, key: key, tie: position)
            guard forward.makespan < best.makespan else { break }
            best = forward
        }
        return (best, round)
    }
}
