import ClustmakeModel

extension RunStatistics {
    /// The figures of the whole run that its attempts give: counts, span, wall and CPU time, badput and goodput.
    /// Capacity, utilisation and the longest chain come later, from the hosts and the jobs.
    static func run(_ history: RunHistory, byJob: JobAttempts) -> Run {
        let now = history.now
        let attempts = history.attempts
        var run = Run()
        run.jobs = history.jobs.count
        for job in history.jobs { run.states[job.state, default: 0] += 1 }
        run.attempts = attempts.count
        run.retries = attempts.count - byJob.jobsWithAttempts
        run.start = history.start
        run.end = history.end
        run.wallTime = max(0, (run.end ?? 0) - (run.start ?? 0))
        for attempt in attempts {
            run.outcomes[attempt.outcome, default: 0] += 1
            let duration = attempt.duration(now: now)
            run.cumulativeWallTime += duration
            run.userCPU += attempt.userCPU ?? 0
            run.systemCPU += attempt.systemCPU ?? 0
            if attempt.isBad { run.badput += duration }
            if attempt.isGood { run.goodput += duration }
        }
        return run
    }

    /// Every job's figures, in graph order: its deciding attempt, queue delay, total time, peak RSS and where the
    /// plan put it.
    static func jobs(
        _ history: RunHistory, byJob: JobAttempts, timings: AttemptTimings, alignment: PlanAlignment?
    ) -> [Job] {
        let now = history.now
        let attempts = history.attempts
        var jobs: [Job] = []
        jobs.reserveCapacity(history.jobs.count)
        for (index, record) in history.jobs.enumerated() {
            var job = Job(index: index)
            let mine = byJob[index]
            job.attempts = mine.count
            if let first = mine.first { job.queueDelay = timings.queueDelay(first, in: history) }
            let deciding =
                record.doneAttempt.flatMap { number in mine.first { attempts[$0].number == number } } ?? mine.last
            if let deciding {
                job.attempt = deciding
                job.runtime = attempts[deciding].duration(now: now)
                job.cpu = attempts[deciding].cpu
                job.host = attempts[deciding].host
            }
            for attempt in mine {
                job.totalTime += attempts[attempt].duration(now: now)
                if let rss = attempts[attempt].maxRSS { job.peakRSS = max(job.peakRSS ?? 0, rss) }
            }
            if let entry = alignment?.job(index) {
                job.plannedHost = entry.host
                job.plannedStart = entry.start
                job.plannedEnd = entry.end
            }
            jobs.append(job)
        }
        return jobs
    }
}
