import ClustmakeJSON
import ClustmakeModel

extension RunStatistics {
    /// The format name of `clustmake stats --json`.
    public static let jsonFormat = "clustmake-stats/1"

    /// The statistics as JSON (`clustmake stats --json`; schema in docs/collector.md), written in pieces to
    /// `sink` so that a run of 100,000 jobs is never held as one string.
    /// - Parameters:
    ///   - history: The run the statistics are of.
    ///   - pretty: Indent the document.
    ///   - sink: Receives the bytes, in order.
    public func writeJSON<Failure: Error>(
        _ history: RunHistory, pretty: Bool = false, to sink: ([UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        let attempts = history.attempts
        var writer = JSONWriter(pretty: pretty, reservingCapacity: 1 << 16)
        func flush() throws(Failure) {
            if writer.bytes.count >= 1 << 20 { try sink(writer.takeBytes()) }
        }
        writer.beginObject()
        writer.member("format", Self.jsonFormat)
        writer.member("namespace", namespace)
        writer.member("read_at", time: history.now)

        writer.key("run")
        writer.beginObject()
        writer.member("jobs", run.jobs)
        writer.member("states", counts: JobState.allCases.map { ($0.rawValue, run.states[$0] ?? 0) })
        writer.member("attempts", run.attempts)
        writer.member("outcomes", counts: AttemptState.allCases.map { ($0.rawValue, run.outcomes[$0] ?? 0) })
        writer.member("retries", run.retries)
        writer.member("start", time: run.start)
        writer.member("end", time: run.end)
        writer.member("wall_time", seconds: run.wallTime)
        writer.member("cumulative_wall_time", seconds: run.cumulativeWallTime)
        writer.member("cumulative_cpu_time", seconds: run.cumulativeCPU)
        writer.member("user_cpu_time", seconds: run.userCPU)
        writer.member("system_cpu_time", seconds: run.systemCPU)
        writer.member("badput", seconds: run.badput)
        writer.member("goodput", seconds: run.goodput)
        writer.member("capacity", run.capacity)
        writer.member("utilisation", ratio: run.utilisation)
        writer.member("makespan", seconds: run.wallTime)
        writer.member("longest_chain", seconds: run.longestChain)
        writer.member("measured_lower_bound", seconds: run.measuredLowerBound)
        writer.endObject()

        writer.key("plan")
        if let plan {
            writer.beginObject()
            writer.member("makespan", seconds: plan.makespan)
            writer.member("lower_bound", seconds: plan.lowerBound)
            writer.member("makespan_ratio", ratio: plan.makespan > 0 ? run.wallTime / plan.makespan : nil)
            writer.member("lower_bound_ratio", ratio: plan.lowerBound > 0 ? run.wallTime / plan.lowerBound : nil)
            writer.member("critical_path", array: plan.criticalPath)
            writer.member("critical_path_planned", seconds: plan.criticalPathPlanned)
            writer.member("critical_path_measured", seconds: plan.criticalPathMeasured)
            writer.member("moved_jobs", plan.movedJobs)
            writer.member("missing_from_run", plan.missingFromRun)
            writer.member("missing_from_plan", plan.missingFromPlan)
            writer.endObject()
        } else {
            writer.null()
        }

        writer.member("hosts", objects: hosts) { writer, host in
            writer.member("host", host.name)
            writer.member("lanes", host.lanes)
            writer.member("slots", host.plannedSlots)
            writer.member("jobs", host.jobs)
            writer.member("attempts", host.attempts)
            writer.member("outcomes", counts: AttemptState.allCases.map { ($0.rawValue, host.outcomes[$0] ?? 0) })
            writer.member("failures", host.failures)
            writer.member("busy", seconds: host.busy)
            writer.member("utilisation", ratio: host.utilisation)
            writer.member("planned_jobs", host.plannedJobs)
            writer.member("planned_busy", seconds: host.plannedBusy)
        }

        writer.key("critical_path")
        writer.beginArray()
        for step in criticalPath {
            let attempt = attempts[step.attempt]
            writer.beginObject()
            writer.member("job", history.jobs[attempt.job].id)
            writer.member("attempt", attempt.number)
            writer.member("outcome", attempt.outcome.rawValue)
            writer.member("host", attempt.host)
            writer.member("lane", Lanes.label(host: attempt.host, lane: lanes.lane[step.attempt]))
            writer.member("after", step.link?.rawValue)
            writer.member("start", time: attempt.start)
            writer.member("end", time: attempt.end(now: history.now))
            writer.member("runtime", seconds: attempt.duration(now: history.now))
            writer.member("wait", seconds: step.wait)
            writer.endObject()
        }
        writer.endArray()

        writer.member("slowest", array: slowest.lazy.map { index in history.jobs[jobs[index].index].id })

        writer.member("tags", objects: tags) { writer, tag in
            writer.member("tag", tag.name)
            writer.member("jobs", tag.jobs)
            writer.member("attempts", tag.attempts)
            writer.member("failures", tag.failures)
            writer.member("succeeded", tag.succeeded)
            writer.member("min", seconds: tag.minimum)
            writer.member("median", seconds: tag.median)
            writer.member("mean", seconds: tag.mean)
            writer.member("max", seconds: tag.maximum)
            writer.member("total_time", seconds: tag.totalTime)
        }
        try flush()

        writer.key("jobs")
        writer.beginArray()
        for job in jobs {
            let record = history.jobs[job.index]
            writer.beginObject()
            writer.member("job", record.id)
            writer.member("state", record.state.rawValue)
            writer.member("attempts", job.attempts)
            writer.member("host", job.host)
            writer.member("queue_delay", seconds: job.queueDelay)
            writer.member("runtime", seconds: job.runtime)
            writer.member("cpu_time", seconds: job.cpu)
            writer.member("peak_rss", job.peakRSS)
            writer.member("total_time", seconds: job.totalTime)
            if plan != nil {
                writer.member("planned_host", job.plannedHost)
                writer.member("planned_start", seconds: job.plannedStart)
                writer.member("planned_end", seconds: job.plannedEnd)
            }
            writer.endObject()
            try flush()
        }
        writer.endArray()
        writer.endObject()
        try sink(writer.takeBytes() + [UInt8(ascii: "\n")])
    }
}
