import ClustmakeModel

/// How a job line's process ended: an exit status, or a signal.
public enum LineExit: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this status.
    case exited(Int32)
    /// A signal killed it.
    case killed(signal: Int32)

    /// Whether the line ended with status 0: every job of it is done.
    public var succeeded: Bool { self == .exited(WorkerExitStatus.success) }

    /// `exited with status N` or `killed by signal N`.
    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .killed(let signal): "killed by signal \(signal)"
        }
    }
}

/// What became of each job of a job line that ended: the line's exit (``LineExit``), what redis says about each of
/// its jobs, and whether the run was cancelling or the executor stopped the line because its host hung, turned
/// into one ``JobOutcome`` per job for ``Scheduler/dispatchEnded(_:outcomes:now:)``.
///
/// The worker runs a line's jobs in order and stops at the first whose status is not 0, exiting with it. So for a
/// line of several jobs the jobs before the first that is not done in redis are done, the status applies to that
/// one (``statusJob``), and the rest did not run (or were interrupted, when the run is cancelling).
///
/// Pure: the one store read it needs, the reason recorded for the failed attempt of ``statusJob`` when the worker
/// exited 113 (``needsRecordedReason``), is made by the executor and passed to
/// ``outcomes(count:recordedReason:)``.
public struct LineOutcome: Sendable, Hashable {
    /// How the line's process ended.
    public var exit: LineExit
    /// For each job of the line, in order, whether redis says it is done (`false` when redis could not say).
    /// Not read when the line succeeded, unless ``verified``.
    public var doneInRedis: [Bool]
    /// Whether ``doneInRedis`` was read although the line succeeded: a transport whose status 0 does not prove
    /// the worker's (`srun`, whose step can end 0 when its node fails under it). A job that is not done then is
    /// its host's failure, not the job's.
    public var verified: Bool
    /// Whether redis answered the read of ``doneInRedis`` (true when it was not read). A ``verified`` line whose
    /// read redis did not answer says nothing about its jobs: their outcome is what the worker recorded, which
    /// redis will tell, so each is ``JobOutcome/runningElsewhere`` (waited for from redis), never the node's failure.
    public var redisAnswered: Bool
    /// Whether the line ran over ssh (then 255 is ssh's own failure).
    public var remote: Bool
    /// The last line the line's process wrote (ssh's or the worker's message), if any.
    public var lastOutputLine: String?
    /// The run is being cancelled: the line's unfinished jobs were interrupted.
    public var cancelling: Bool
    /// The executor killed the line because its host stopped answering (its lease expired twice in a row).
    public var hung: Bool

    /// - Parameters:
    ///   - exit: How the line's process ended.
    ///   - doneInRedis: For each job of the line, whether redis says it is done.
    ///   - remote: Whether the line ran over ssh.
    ///   - lastOutputLine: The last line the process wrote, if any.
    ///   - cancelling: Whether the run is being cancelled.
    ///   - hung: Whether the executor killed the line because its host hung.
    ///   - verified: Whether `doneInRedis` was read although the line succeeded.
    ///   - redisAnswered: Whether redis answered the read of `doneInRedis`.
    public init(
        exit: LineExit, doneInRedis: [Bool], remote: Bool, lastOutputLine: String? = nil, cancelling: Bool = false,
        hung: Bool = false, verified: Bool = false, redisAnswered: Bool = true
    ) {
        self.exit = exit
        self.doneInRedis = doneInRedis
        self.verified = verified
        self.redisAnswered = redisAnswered
        self.remote = remote
        self.lastOutputLine = lastOutputLine
        self.cancelling = cancelling
        self.hung = hung
    }

    /// A line whose status 0 is checked against redis (``verified``) that redis did not answer: its jobs' outcomes
    /// are to be read from redis later.
    public var outcomeUnread: Bool { verified && !redisAnswered && !cancelling }

    /// The index in the line of the job the exit status applies to: the first one redis does not say is done
    /// (``doneInRedis``'s count when all are).
    public var statusJob: Int {
        doneInRedis.firstIndex(of: false) ?? doneInRedis.count
    }

    /// Whether ``outcomes(count:recordedReason:)`` uses the reason recorded for the attempt of ``statusJob``: the
    /// worker said that job failed (113).
    public var needsRecordedReason: Bool {
        !cancelling && !hung && exit == .exited(WorkerExitStatus.jobFailed) && statusJob < doneInRedis.count
    }

    /// The outcome of each job of the line, in order.
    /// - Parameters:
    ///   - count: The number of jobs of the line.
    ///   - recordedReason: The reason redis recorded for the failed attempt of ``statusJob``, when
    ///     ``needsRecordedReason``; `nil` says the command failed, without more.
    public func outcomes(count: Int, recordedReason: String? = nil) -> [JobOutcome] {
        if outcomeUnread { return Array(repeating: .runningElsewhere, count: count) }
        if exit.succeeded && (!verified || statusJob >= count) { return Array(repeating: .done, count: count) }
        let first = statusJob
        let applied = appliedOutcome(recordedReason: recordedReason)
        return (0..<count).map { index in
            if index < first { return .done }
            if index == first { return applied }
            return cancelling ? .interrupted : .notRun
        }
    }

    /// What the exit status says about ``statusJob``.
    private func appliedOutcome(recordedReason: String?) -> JobOutcome {
        if cancelling { return .interrupted }
        if exit.succeeded {
            return .hostLost(
                reason: "the line ended with status 0, but redis does not have the job done: its worker was stopped "
                    + "without a word (a node that failed under srun)")
        }
        if hung { return .hostLost(reason: "no heartbeat within the lease: the host stopped answering") }
        let detail = lastOutputLine.map { ": \($0)" } ?? ""
        let status: Int32
        switch exit {
        case .exited(let code): status = code
        case .killed: return .hostLost(reason: "\(exit)\(detail)")
        }
        switch status {
        case WorkerExitStatus.jobFailed:
            return .failed(reason: recordedReason ?? "the command failed (worker exit 113)")
        case WorkerExitStatus.blocked: return .blocked
        case WorkerExitStatus.dependenciesNotReady: return .notRun
        case WorkerExitStatus.leaseHeld, WorkerExitStatus.leaseLost: return .runningElsewhere
        case 255 where remote: return .hostLost(reason: "ssh exited 255\(detail)")
        default:
            let note = WorkerExitStatus.entry(status)?.failureNote
            return .hostLost(reason: "\(exit)\(note.map { " (\($0))" } ?? "")\(detail)")
        }
    }
}
