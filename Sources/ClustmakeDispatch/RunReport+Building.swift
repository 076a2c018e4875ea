import ClustmakeModel
import ClustmakePlanner
import ClustmakeScheduler

extension RunReport {
    /// What redis recorded about a failed job's last attempt, read by the executor for the report.
    struct RecordedFailure: Sendable, Hashable {
        /// Why it failed: the failed attempt's reason, else the job's (a job given up on after losing hosts).
        var reason: String?
        /// The host of that attempt.
        var host: String
        /// The last line its command wrote on stderr, if any.
        var lastStderrLine: String?
    }

    /// The report of a run that is over.
    /// - Parameters:
    ///   - namespace: The run's namespace.
    ///   - scheduler: The scheduler at the end of the run (jobs by phase, failure reasons, last hosts).
    ///   - wallTime: Seconds from the start of the run to its end.
    ///   - hostFailures: The last failure of each host that failed, by host index.
    ///   - recorded: What redis recorded about failed jobs, by job index (a job missing here is reported with
    ///     what the scheduler knows).
    init(
        namespace: String, scheduler: Scheduler, wallTime: Double, hostFailures: [Int: String],
        recorded: [Int32: RecordedFailure]
    ) {
        let plan = scheduler.plan
        let hostName = { (host: Int) in plan.cluster.hosts[host].name }
        var failures: [Failure] = []
        for job in Self.failedJobs(scheduler) {
            var reason = scheduler.failureReasons[job] ?? "failed"
            var host = scheduler.lastHost[job].map(hostName)
            var last: String?
            if let record = recorded[job] {
                reason = record.reason ?? reason
                host = record.host
                last = record.lastStderrLine
            }
            failures.append(
                Failure(job: plan.graph.jobs[Int(job)].id, host: host, reason: reason, lastStderrLine: last))
        }
        self.init(
            namespace: namespace, stopReason: scheduler.stopReason ?? .cancelled, counts: scheduler.jobCounts,
            total: plan.graph.count, wallTime: wallTime, failures: failures,
            hostFailures: hostFailures.sorted { $0.key < $1.key }.map { (hostName($0.key), $0.value) })
    }

    /// The jobs the scheduler ended failed, in graph order.
    static func failedJobs(_ scheduler: Scheduler) -> [Int32] {
        scheduler.phases.indices.filter { scheduler.phases[$0] == .failed }.map(Int32.init)
    }
}
