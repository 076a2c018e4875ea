import ClustmakeScheduler

/// Something that happened during a run, as ``RunOutput`` shows it: a line for people (`clustmake: [m:ss] …`)
/// or, with `--json`, one object named after the event (docs/run.md, "What the user sees").
///
/// Jobs and hosts are carried by name, so that rendering needs neither the plan nor the scheduler.
enum RunEvent: Sendable, Hashable {
    /// The run starts: `jobs` jobs on `hosts` hosts of `slots` slots; `done` are done already, `adopted` run under
    /// workers of an earlier run.
    case runStarted(namespace: String, jobs: Int, hosts: Int, slots: Int, done: Int, adopted: Int)
    /// The graph pushed differs from the one in redis: one kind of change (``ClustmakeStore/PushReport/Change``),
    /// as `clustmake push` reports it.
    case graphChanged(kind: String, jobs: [String])
    /// Every job of the graph is in redis: the push that made the namespace wrote them while the first ones ran.
    case graphWritten(jobs: Int)
    /// The push that made the namespace did not write every job (`error` says why): it failed, and the run stops;
    /// or, `stopped`, the run was cancelled and stopped it.
    case graphNotWritten(error: String, stopped: Bool)
    /// The plan is larger than redis keeps (`limit` bytes).
    case planTooLarge(limit: Int)
    /// The plan could not be kept in redis.
    case planNotKept(error: String)
    /// A signal or `clustmake cancel` stops the run; `lines` lines are running.
    case runCancelling(lines: Int)
    /// The run took over the namespace's lease in redis from an earlier run (pid `pid` on `host`) that expired
    /// `expiredFor` seconds ago, or whose process no longer runs on this machine (`nil`).
    case runLeaseTakenOver(host: String, pid: Int32, expiredFor: Double?)
    /// Another run (pid `pid` on `host`) holds the namespace's lease now (this run could not renew it in time):
    /// this run stops.
    case runLeaseLost(host: String, pid: Int32)
    /// A job line started on a host's slot; `ahead`: it was sent into the slot's session while the line before it
    /// ran (look-ahead), and started as that one ended.
    case lineStarted(jobs: [String], host: String, slot: Int, ahead: Bool = false)
    /// Jobs of a line are done on a host.
    case jobsDone(jobs: [String], host: String)
    /// A job an earlier run's worker was running is done (`host`: its host as redis says, empty if unknown).
    case doneElsewhere(job: String, host: String)
    /// A job failed on a host; `retrying` when it runs again.
    case jobFailed(job: String, host: String, reason: String, retrying: Bool)
    /// A job was given up on because it lost too many hosts.
    case jobGivenUp(job: String, reason: String)
    /// A job lost its host and runs elsewhere.
    case jobRequeued(job: String, host: String, reason: String)
    /// A job was stopped because the run is cancelled.
    case jobInterrupted(job: String, host: String)
    /// Another worker holds a job's lease; the run waits for it.
    case jobElsewhere(job: String)
    /// A line ended 0 on a SLURM node but redis did not answer the check of its jobs: their outcomes are read from
    /// redis once it answers.
    case outcomeUnread(jobs: [String], host: String)
    /// Jobs were recorded blocked by a failed dependency (`recorded` of them in redis).
    case jobsBlocked(jobs: [String], dependency: String, recorded: Int)
    /// A host's ssh masters are up.
    case hostConnected(host: String, masters: Int)
    /// A host failed and is out of use until a probe in `probeIn` seconds.
    case hostQuarantined(host: String, reason: String, probeIn: Double)
    /// A quarantined host answered its probe.
    case hostRestored(host: String)
    /// The run is over: its exit status, the jobs by phase, and its wall time in seconds.
    case runFinished(exit: Int32, counts: Scheduler.Counts, total: Int, wallTime: Double)

    /// The event's name in `--json` output.
    var name: String {
        switch self {
        case .runStarted: "run-started"
        case .graphChanged: "graph-changed"
        case .graphWritten: "graph-written"
        case .graphNotWritten: "graph-not-written"
        case .planTooLarge, .planNotKept: "plan-not-kept"
        case .runCancelling: "run-cancelling"
        case .runLeaseTakenOver: "run-lease-taken-over"
        case .runLeaseLost: "run-lease-lost"
        case .lineStarted: "line-started"
        case .jobsDone, .doneElsewhere: "jobs-done"
        case .jobFailed, .jobGivenUp: "job-failed"
        case .jobRequeued: "job-requeued"
        case .jobInterrupted: "job-interrupted"
        case .jobElsewhere: "job-elsewhere"
        case .outcomeUnread: "outcome-unread"
        case .jobsBlocked: "jobs-blocked"
        case .hostConnected: "host-connected"
        case .hostQuarantined: "host-quarantined"
        case .hostRestored: "host-restored"
        case .runFinished: "run-finished"
        }
    }
}
