import ClustmakeModel

extension RunStatistics {
    /// How many jobs the text lists one by one before it summarises instead (``text(_:allJobs:)``).
    public static let jobListLimit = 30

    /// The statistics for people (`clustmake stats`).
    /// - Parameters:
    ///   - history: The run the statistics are of.
    ///   - allJobs: List every job, however many.
    public func text(_ history: RunHistory, allJobs: Bool = false) -> String {
        let attempts = history.attempts
        let origin = run.start ?? 0
        func relative(_ time: Double) -> String { "+" + Format.duration(time - origin) }
        var text = "clustmake stats: namespace \(namespace)\n"

        let stateList = Self.counts(JobState.allCases.map { ($0.rawValue, run.states[$0] ?? 0) })
        text += "  jobs         \(run.jobs)\(stateList.isEmpty ? "" : ": " + stateList)\n"
        let outcomeList = Self.counts(AttemptState.allCases.map { ($0.rawValue, run.outcomes[$0] ?? 0) })
        text += "  attempts     \(run.attempts)\(outcomeList.isEmpty ? "" : ": " + outcomeList)"
        text += "; \(run.retries) \(run.retries == 1 ? "retry" : "retries")\n"
        if let start = run.start, let end = run.end {
            text +=
                "  wall time    \(Format.duration(run.wallTime)), \(Format.iso8601(start)) to \(Format.iso8601(end))"
            text += (run.outcomes[.running] ?? 0) > 0 ? " (now; attempts are running)\n" : "\n"
        } else {
            text += "  wall time    - (no attempt started yet)\n"
        }
        text += "  cumulative   \(Format.duration(run.cumulativeWallTime)) wall time, "
        text += "\(Format.duration(run.cumulativeCPU)) CPU (user \(Format.duration(run.userCPU)), "
        text += "system \(Format.duration(run.systemCPU)))\n"
        let share = run.cumulativeWallTime > 0 ? " (\(Format.percent(run.badput / run.cumulativeWallTime)))" : ""
        text += "  badput       \(Format.duration(run.badput))\(share) in attempts that failed, were interrupted or "
        text += "lost, or did not count\n"
        if let utilisation = run.utilisation {
            let unit = plan == nil ? "lanes" : "slots"
            text += "  utilisation  \(Format.percent(utilisation)) of \(run.capacity) \(unit) over the wall time\n"
        }
        if let plan {
            text += "  makespan     \(Format.duration(run.wallTime)) against \(Format.duration(plan.makespan)) planned"
            text += Self.ratio(run.wallTime, plan.makespan) + " and the lower bound "
            text += "\(Format.duration(plan.lowerBound))\(Self.ratio(run.wallTime, plan.lowerBound))\n"
        } else {
            text += "  makespan     \(Format.duration(run.wallTime))\n"
        }
        text += "  lower bound  \(Format.duration(run.measuredLowerBound)) from the measured runtimes (longest chain "
        text += "\(Format.duration(run.longestChain)), work over \(Format.count(run.capacity, "slot")) "
        text += "\(Format.duration(run.capacity > 0 ? run.goodput / Double(run.capacity) : 0)))\n"
        if plan == nil {
            text += "  plan         pass --plan DIR (the run's plan directory) to compare with the plan\n"
        }

        if !hosts.isEmpty {
            var table = TextTable(
                ["host", "lanes>", "slots>", "jobs>", "attempts>", "failures>", "busy>", "utilisation>"]
                    + (plan == nil ? [] : ["planned jobs>", "planned busy>"]))
            for host in hosts {
                var row = [
                    host.name, String(host.lanes), host.plannedSlots.map(String.init) ?? "-", String(host.jobs),
                    String(host.attempts), String(host.failures), Format.duration(host.busy),
                    host.utilisation.map(Format.percent) ?? "-",
                ]
                if plan != nil {
                    row += [
                        host.plannedJobs.map(String.init) ?? "-", host.plannedBusy.map(Format.duration) ?? "-",
                    ]
                }
                table.append(row)
            }
            text += "\nhosts\n" + table.render()
        }

        if !criticalPath.isEmpty {
            let running = criticalPath.reduce(0.0) { $0 + attempts[$1.attempt].duration(now: history.now) }
            let waiting = criticalPath.reduce(0.0) { $0 + $1.wait }
            text +=
                "\ncritical path actually taken: \(Format.count(criticalPath.count, "attempt")), "
            text += "\(Format.duration(running)) running, \(Format.duration(waiting)) waiting\n"
            var table = TextTable(
                ["job", "attempt>", "outcome", "lane", "after", "start>", "end>", "runtime>", "waited>"])
            // Past the job list's limit, its first and last steps, with a line saying how many are left out between
            // them (a line of its own, so that it widens no column).
            let shown = Self.criticalPathShown(criticalPath.count, all: allJobs)
            for (position, step) in criticalPath.enumerated()
            where shown.first.contains(position) || shown.last.contains(position) {
                let attempt = attempts[step.attempt]
                table.append([
                    history.jobs[attempt.job].id, String(attempt.number), attempt.outcome.rawValue,
                    Lanes.label(host: attempt.host, lane: lanes.lane[step.attempt]), step.link?.rawValue ?? "start",
                    relative(attempt.start), relative(attempt.end(now: history.now)),
                    Format.duration(attempt.duration(now: history.now)), Format.duration(step.wait),
                ])
            }
            var lines = table.render().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let left = shown.last.lowerBound - shown.first.upperBound
            if left > 0 {
                // After the header and the first steps.
                lines.insert("  … \(Format.count(left, "attempt")) more: --jobs, or --json", at: 1 + shown.first.count)
            }
            text += lines.joined(separator: "\n")
        }
        if let plan {
            let actual = criticalPath.map { history.jobs[attempts[$0.attempt].job].id }
            text += "planned critical path: \(Format.count(plan.criticalPath.count, "job")), "
            text += "\(Format.duration(plan.criticalPathPlanned)) planned, "
            text += plan.criticalPathMeasured.map { "\(Format.duration($0)) measured" } ?? "not all measured"
            text += actual == plan.criticalPath ? " (the same jobs as actually taken)\n" : "\n"
            text += "  " + Format.printable(plan.criticalPath.joined(separator: " → "), limit: 400) + "\n"
            if plan.movedJobs > 0 {
                text += "  \(Format.count(plan.movedJobs, "job")) ran on another host than planned\n"
            }
            if plan.missingFromRun > 0 || plan.missingFromPlan > 0 {
                text += "  the plan has \(Format.count(plan.missingFromRun, "job")) the namespace lacks, and lacks "
                text += "\(plan.missingFromPlan) of its jobs: is it this run's plan?\n"
            }
        }

        if !slowest.isEmpty {
            text += "\nslowest jobs\n" + jobTable(slowest, history, planned: false).render()
        }

        if !tags.isEmpty {
            var table = TextTable(
                ["tag", "jobs>", "attempts>", "failures>", "min>", "median>", "mean>", "max>", "total>"])
            for tag in tags {
                table.append([
                    tag.name, String(tag.jobs), String(tag.attempts), String(tag.failures),
                    tag.minimum.map(Format.duration) ?? "-", tag.median.map(Format.duration) ?? "-",
                    tag.mean.map(Format.duration) ?? "-", tag.maximum.map(Format.duration) ?? "-",
                    Format.duration(tag.totalTime),
                ])
            }
            text += "\ntags\n" + table.render()
        }

        if allJobs || jobs.count <= Self.jobListLimit {
            text += "\njobs\n" + jobTable(Array(jobs.indices), history, planned: plan != nil).render()
        } else {
            text += "\njobs: \(jobs.count); list them all with --jobs, or read --json\n"
        }
        return text
    }

    /// The positions of the critical path's steps the text lists: every one up to ``jobListLimit`` steps or with
    /// `all`; otherwise the first 10 and the last 20.
    static func criticalPathShown(_ count: Int, all: Bool) -> (first: Range<Int>, last: Range<Int>) {
        guard !all && count > jobListLimit else { return (0..<count, count..<count) }
        return (0..<10, (count - (jobListLimit - 10))..<count)
    }

    private func jobTable(_ indices: [Int], _ history: RunHistory, planned: Bool) -> TextTable {
        var table = TextTable(
            ["job", "state", "attempts>", "host", "queued>", "runtime>", "cpu>", "peak rss>"]
                + (planned ? ["planned host", "planned start>", "planned runtime>"] : []))
        for index in indices {
            let job = jobs[index]
            var row = [
                history.jobs[job.index].id, history.jobs[job.index].state.rawValue, String(job.attempts),
                job.host ?? "-", job.queueDelay.map(Format.duration) ?? "-", job.runtime.map(Format.duration) ?? "-",
                job.cpu.map(Format.duration) ?? "-", job.peakRSS.map(Format.bytes) ?? "-",
            ]
            if planned {
                row += [
                    job.plannedHost ?? "-", job.plannedStart.map { "+" + Format.duration($0) } ?? "-",
                    job.plannedStart.flatMap { start in job.plannedEnd.map { Format.duration($0 - start) } } ?? "-",
                ]
            }
            table.append(row)
        }
        return table
    }

    /// `4 done, 1 failed` from (name, count) pairs, leaving out zeros.
    static func counts(_ pairs: [(String, Int)]) -> String {
        pairs.filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
    }

    /// ` (1.25x)`, or nothing when `reference` is zero.
    static func ratio(_ value: Double, _ reference: Double) -> String {
        reference > 0 ? " (\(Format.fixed(value / reference, 2))x)" : ""
    }
}
