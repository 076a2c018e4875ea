import ClustmakeModel

extension RunStatistics {
    /// The longest chain of dependent jobs by their measured runtimes, and the measured lower bound
    /// `max(longest chain, good work / capacity)`; needs ``jobs`` and the run's capacity.
    mutating func measureLongestChain(_ history: RunHistory) {
        let predecessors = Adjacency(lists: history.jobs.lazy.map(\.deps))
        let order = predecessors.topologicalOrder(successors: predecessors.reversed(nodeCount: history.jobs.count))
        var chain = [Double](repeating: 0, count: history.jobs.count)
        for node in order {
            let job = Int(node)
            let own = jobs[job].runtime ?? 0
            var longest = 0.0
            for dep in history.jobs[job].deps { longest = max(longest, chain[dep]) }
            chain[job] = own + longest
            run.longestChain = max(run.longestChain, chain[job])
        }
        let capacity = run.capacity
        run.measuredLowerBound = max(run.longestChain, capacity > 0 ? run.goodput / Double(capacity) : 0)
    }

    /// The critical path actually taken: back from the attempt that ended last, each step to whichever ended last
    /// before it started (within the clock tolerance) of what released it (a dependency or an earlier attempt of
    /// its job, see ``AttemptTimings``) and the attempt before it in its lane (its slot was busy).
    /// - Parameter runStart: When the run started: the first step waits from then.
    static func criticalPath(
        _ history: RunHistory, lanes: Lanes, timings: AttemptTimings, runStart: Double?
    ) -> [Step] {
        let now = history.now
        let attempts = history.attempts
        var lanePrevious = [Int?](repeating: nil, count: attempts.count)
        var lastInLane: [String: Int] = [:]
        for index in attempts.indices {
            let key = Lanes.label(host: attempts[index].host, lane: lanes.lane[index])
            lanePrevious[index] = lastInLane[key]
            lastInLane[key] = index
        }
        guard
            var current = attempts.indices.max(by: {
                let left = attempts[$0].end(now: now)
                let right = attempts[$1].end(now: now)
                return left != right ? left < right : $0 < $1
            })
        else { return [] }
        var path: [(attempt: Int, link: Step.Link?)] = []
        var seen: Set<Int> = [current]
        while true {
            path.append((current, nil))
            var next: (index: Int, link: Step.Link)?
            if let released = timings.releasedBy[current] {
                next = (released, attempts[released].job == attempts[current].job ? .retry : .dependency)
            }
            if let previous = lanePrevious[current],
                attempts[previous].end(now: now) <= attempts[current].start + AttemptTimings.clockTolerance,
                next.map({ attempts[previous].end(now: now) > attempts[$0.index].end(now: now) }) ?? true
            {
                next = (previous, .lane)
            }
            guard let next, !seen.contains(next.index) else { break }
            path[path.count - 1].link = next.link
            seen.insert(next.index)
            current = next.index
        }
        path.reverse()
        var steps: [Step] = []
        var previousEnd = runStart ?? 0
        for step in path {
            steps.append(
                Step(attempt: step.attempt, link: step.link, wait: max(0, attempts[step.attempt].start - previousEnd)))
            previousEnd = attempts[step.attempt].end(now: now)
        }
        return steps
    }
}
