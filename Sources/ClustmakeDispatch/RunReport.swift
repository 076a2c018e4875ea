import ClustmakeModel
public import ClustmakeScheduler

/// How a run ended: what the summary shows and the exit status.
public struct RunReport: Sendable {
    /// One failed job.
    public struct Failure: Sendable, Hashable {
        public var job: String
        /// The host of its last attempt.
        public var host: String?
        /// Why it failed.
        public var reason: String
        /// The last line its command wrote on stderr, if any.
        public var lastStderrLine: String?
    }

    public var namespace: String
    public var stopReason: StopReason
    /// Jobs by phase at the end.
    public var counts: Scheduler.Counts
    public var total: Int
    /// Seconds from the start of the run to its end.
    public var wallTime: Double
    public var failures: [Failure]
    /// Hosts that failed during the run, with the last reason.
    public var hostFailures: [(host: String, reason: String)]
    /// Why the graph could not be written to redis, when the run stopped for that (its push went on while the first
    /// jobs ran, and failed).
    public var pushFailure: String?

    /// 0 when every job is done, 130 when cancelled, 1 otherwise (some failed, were blocked, or did not run; or the
    /// graph could not be written).
    public var exitStatus: Int32 {
        if pushFailure != nil { return 1 }
        if stopReason == .cancelled { return 130 }
        return counts.done == total ? 0 : 1
    }

    /// The summary for people.
    public var summary: String {
        var lines: [String] = []
        let notRun = counts.waiting + counts.ready + counts.running + counts.elsewhere
        var states = ["\(counts.done) done"]
        if counts.failed > 0 { states.append("\(counts.failed) failed") }
        if counts.blocked > 0 { states.append("\(counts.blocked) blocked") }
        if counts.interrupted > 0 { states.append("\(counts.interrupted) interrupted") }
        if notRun > 0 { states.append("\(notRun) not run") }
        let how: String
        switch stopReason {
        case .finished: how = counts.done == total ? "finished" : "finished with failures"
        case .halted(_): how = "halted after a failure (--halt-on-failure)"
        case .noHostsLeft: how = "stopped: no host is left (every host failed and did not come back)"
        case .cancelled: how = pushFailure == nil ? "cancelled" : "stopped: its graph could not be written to redis"
        }
        lines.append(
            "clustmake: run \(namespace) \(how): \(Format.count(total, "job")), \(states.joined(separator: ", ")) in "
                + "\(Format.clock(wallTime)) (\(Format.seconds(wallTime)))")
        for failure in failures.prefix(10) {
            var line = "  failed: \(failure.job)"
            if let host = failure.host { line += " on \(host)" }
            line += ": \(failure.reason)"
            if let last = failure.lastStderrLine { line += " | stderr: \(last)" }
            lines.append(line)
        }
        if failures.count > 10 { lines.append("  … and \(Format.count(failures.count - 10, "more failed job"))") }
        if let pushFailure { lines.append("  writing the graph failed: \(pushFailure)") }
        for (host, reason) in hostFailures.prefix(10) { lines.append("  host \(host) failed: \(reason)") }
        if !failures.isEmpty || counts.blocked > 0 {
            lines.append(
                "  Every attempt's record and output are in redis, namespace \(namespace) (docs/redis-schema.md); "
                    + "run again with the same namespace to retry what is not done.")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
