/// What the scheduler knows about a job when a run starts (read from redis by the executor).
public enum InitialJobState: Sendable, Hashable {
    /// It must run (never run, failed, blocked, interrupted or lost in an earlier run).
    case pending
    /// It is done and up to date: it does not run again.
    case done
    /// A worker of an earlier run holds its live lease on the host with this index in the cluster (`nil` when the
    /// host is not in the cluster): wait for that worker instead of starting the job twice.
    case running(host: Int?)
}

/// How one dispatch (one job line, one or several jobs) ended for one of its jobs, as the executor read it from
/// the worker's exit status and redis.
public enum JobOutcome: Sendable, Hashable {
    /// The job is done.
    case done
    /// The job ran and failed (worker exit 113); `reason` says how (for the summary).
    case failed(reason: String)
    /// The worker found a failed or blocked dependency and recorded the job blocked (exit 115).
    case blocked
    /// The job was not run (a bundle stopped before it, or its dependencies were not ready): run it again, no
    /// penalty.
    case notRun
    /// Another worker holds the job's lease (exit 117, or 124): wait for it rather than run it.
    case runningElsewhere
    /// The host or the connection failed while the job was on it (ssh 255, tunnel, worker infrastructure codes, a
    /// lease that expired): run it on another slot.
    case hostLost(reason: String)
    /// The run was cancelled and the worker stopped the job.
    case interrupted
}

/// How a job that an earlier run's worker was running (``InitialJobState/running(host:)``, or
/// ``JobOutcome/runningElsewhere``) ended, as read from redis.
public enum ElsewhereOutcome: Sendable, Hashable {
    case done
    case failed(reason: String)
    case blocked
    /// The lease expired or the worker was interrupted: the job must run again.
    case lost
}

/// One job line: jobs to run, in order, on one slot.
public struct Dispatch: Sendable, Hashable {
    /// A number unique in the run, to report the dispatch's end with.
    public var id: Int
    /// The index of the slot in ``ClustmakePlanner/Plan/slots``.
    public var slot: Int
    /// The index of the slot's host in the cluster.
    public var host: Int
    /// The jobs (indices in the graph), run in this order by one worker.
    public var jobs: [Int32]
    /// A look-ahead line (``Scheduler/Configuration/lookAhead``): the id of the running dispatch of the same slot
    /// it follows. It goes into that line's streamed session at once and starts when that line ends; `nil` for a
    /// line that starts now on a free slot.
    public var after: Int?

    public init(id: Int, slot: Int, host: Int, jobs: [Int32], after: Int? = nil) {
        self.id = id
        self.slot = slot
        self.host = host
        self.jobs = jobs
        self.after = after
    }
}

/// Why the run stopped.
public enum StopReason: Sendable, Hashable {
    /// Every job is done, failed or blocked.
    case finished
    /// A job failed and the run was asked to halt on failure (running jobs were left to end).
    case halted(job: Int32)
    /// Every host failed and none came back.
    case noHostsLeft
    /// The run was cancelled (Ctrl-C, SIGTERM, `clustmake cancel`).
    case cancelled
}

/// What the executor must do next.
public enum SchedulerAction: Sendable, Hashable {
    /// Run a job line.
    case dispatch(Dispatch)
    /// Record these jobs blocked in redis (their dependency `dependency` failed), in this order.
    case recordBlocked(jobs: [Int32], dependency: Int32)
    /// A job failed for good because it lost too many hosts (`reason`); record it if possible.
    case recordLost(job: Int32, reason: String)
    /// The host failed: take it out of use until it answers a probe (at `probeAt`, in the scheduler's clock).
    case quarantine(host: Int, reason: String, probeAt: Double)
    /// Check whether the host answers again (re-establish its connection); report with
    /// ``Scheduler/probeEnded(host:succeeded:now:)``.
    case probe(host: Int)
    /// The host answered its probe and is in use again.
    case restore(host: Int)
    /// Stop these running dispatches (their process groups): the run is cancelled.
    case stop(dispatches: [Int])
    /// The run is over.
    case finish(StopReason)
}

/// How the scheduler groups short jobs into one job line.
public enum BundlePolicy: Sendable, Hashable {
    /// One job per line.
    case off
    /// Up to this many jobs per line, whatever their costs.
    case fixed(Int)
    /// Jobs whose estimated time is under ``Scheduler/Configuration/bundleTarget`` are grouped so that a line's
    /// estimated time reaches about that target, at most ``Scheduler/Configuration/maximumBundle`` jobs.
    case auto
}
