extension RunStatistics {
    /// Planned against actual: the plan's figures, its critical path planned and measured, and the jobs that moved
    /// or that only one of plan and run has.
    /// - Parameters:
    ///   - alignment: The plan, and which of its jobs each job of the run is.
    ///   - jobs: The run's job figures (``jobs``).
    static func comparison(_ alignment: PlanAlignment, history: RunHistory, jobs: [Job]) -> PlanComparison {
        let plan = alignment.plan
        var comparison = PlanComparison(
            makespan: plan.makespan, lowerBound: plan.lowerBound, criticalPath: plan.criticalPath,
            criticalPathPlanned: 0, criticalPathMeasured: 0)
        // The planned critical path's jobs: each one's (last) entry in the plan and its job in the run, found in
        // one pass over each.
        if !plan.criticalPath.isEmpty {
            var onPath: [String: (entry: Int, job: Int)] = [:]
            for id in plan.criticalPath { onPath[id] = (-1, -1) }
            for (position, job) in plan.jobs.enumerated() {
                if let found = onPath.index(forKey: job.id) { onPath.values[found].entry = position }
            }
            for (index, job) in history.jobs.enumerated() {
                if let found = onPath.index(forKey: job.id) { onPath.values[found].job = index }
            }
            for id in plan.criticalPath {
                guard let found = onPath[id] else { continue }
                if found.entry >= 0 {
                    let entry = plan.jobs[found.entry]
                    comparison.criticalPathPlanned += max(0, entry.end - entry.start)
                }
                if found.job >= 0, let runtime = jobs[found.job].runtime {
                    comparison.criticalPathMeasured? += runtime
                } else {
                    comparison.criticalPathMeasured = nil
                }
            }
        }
        for index in history.jobs.indices {
            guard let entry = alignment.job(index), let host = jobs[index].host else { continue }
            if host != entry.host { comparison.movedJobs += 1 }
        }
        comparison.missingFromRun = alignment.missingFromRun
        comparison.missingFromPlan = alignment.missingFromPlan
        return comparison
    }
}
