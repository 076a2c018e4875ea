/// Which job of a plan each job of a run is: the plan lists the jobs in the graph's order, as the run does, so
/// nearly all match by position and only the others are looked up by id (a dictionary of a million ids costs a
/// run's statistics more than all their arithmetic).
struct PlanAlignment: Sendable {
    /// The plan.
    let plan: PlannedRun
    /// For each job of the history, the position of its job in ``PlannedRun/jobs``, or -1 when the plan has none.
    /// A plan that lists an id twice (none that clustmake wrote does) gives the job its last entry.
    var planPosition: [Int32]
    /// The plan's jobs whose ids the history does not have.
    var missingFromRun = 0
    /// The history's jobs that the plan does not have.
    var missingFromPlan = 0

    /// Matches the jobs of `history` with those of `plan`.
    init(_ plan: PlannedRun, history: RunHistory) {
        self.plan = plan
        let jobs = history.jobs
        let planned = plan.jobs
        var position = [Int32](repeating: -1, count: jobs.count)
        var unmatched: [Int] = []
        for index in 0..<min(jobs.count, planned.count) {
            if planned[index].id == jobs[index].id {
                position[index] = Int32(index)
            } else {
                unmatched.append(index)
            }
        }
        if planned.count > jobs.count { unmatched.append(contentsOf: jobs.count..<planned.count) }
        if !unmatched.isEmpty {
            var indexByID: [String: Int] = [:]
            indexByID.reserveCapacity(jobs.count)
            for (index, job) in jobs.enumerated() { indexByID[job.id] = index }
            for entry in unmatched {
                guard let index = indexByID[planned[entry].id] else {
                    missingFromRun += 1
                    continue
                }
                position[index] = max(position[index], Int32(entry))
            }
        }
        planPosition = position
        missingFromPlan = position.count { $0 < 0 }
    }

    /// The plan's job for the history's job `index`, if it has one.
    func job(_ index: Int) -> PlannedRun.Job? {
        let position = planPosition[index]
        return position < 0 ? nil : plan.jobs[Int(position)]
    }
}
