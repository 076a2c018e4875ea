extension RunStatistics {
    /// Planned against actual: the plan's figures, its critical path planned and measured, and the jobs that moved
    /// or that only one of plan and run has.
    /// - Parameters:
    ///   - jobs: The run's job figures (``jobs``).
    ///   - planned: The plan's jobs by id.
    static func comparison(
        _ plan: PlannedRun, history: RunHistory, jobs: [Job], planned: [String: PlannedRun.Job]
    ) -> PlanComparison {
        var comparison = PlanComparison(
            makespan: plan.makespan, lowerBound: plan.lowerBound, criticalPath: plan.criticalPath,
            criticalPathPlanned: 0, criticalPathMeasured: 0)
        var indexByID: [String: Int] = [:]
        for (index, job) in history.jobs.enumerated() { indexByID[job.id] = index }
        for id in plan.criticalPath {
            if let entry = planned[id] { comparison.criticalPathPlanned += max(0, entry.end - entry.start) }
            if let index = indexByID[id], let runtime = jobs[index].runtime {
                comparison.criticalPathMeasured? += runtime
            } else {
                comparison.criticalPathMeasured = nil
            }
        }
        for job in plan.jobs {
            guard let index = indexByID[job.id] else {
                comparison.missingFromRun += 1
                continue
            }
            if let host = jobs[index].host, host != job.host { comparison.movedJobs += 1 }
        }
        comparison.missingFromPlan = history.jobs.count - (plan.jobs.count - comparison.missingFromRun)
        return comparison
    }
}
