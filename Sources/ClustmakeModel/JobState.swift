/// Where a job stands, as recorded in `compmake:{NS}:states`.
///
/// compmake's states (not started, in progress, done, failed, blocked) plus what a cluster of independent workers
/// needs: ``lost`` (a worker stopped renewing its lease, so nobody knows how the job ended) and ``interrupted``
/// (a worker was told to stop and stopped the job). Only ``done`` is up to date; every other state is run again
/// by the next `make_single` of the job.
public enum JobState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Never run since it was pushed, or no longer up to date (its definition or a dependency changed).
    case notStarted = "not-started"
    /// A worker holds the job's lease and runs it.
    case inProgress = "in-progress"
    /// The last attempt succeeded, after every dependency was done: the job is up to date.
    case done
    /// The last attempt failed (non-zero exit, signal, timeout, or the command could not start).
    case failed
    /// A dependency failed or is blocked, so the job could not run.
    case blocked
    /// The job was in progress but its worker's lease expired: the worker was killed or lost its host or network.
    case lost
    /// The worker was interrupted (SIGINT, SIGTERM, SIGHUP, the session dropped) and stopped the job.
    case interrupted

    public var description: String { rawValue }

    /// Whether a worker may start the job (given its dependencies are done): every state but in progress.
    public var isRunnable: Bool { self != .inProgress }
}

/// How one attempt of a job went, as recorded in its attempt hash (`state`).
public enum AttemptState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The worker runs it now.
    case running
    /// The command exited with status 0.
    case succeeded
    /// The command exited non-zero, was killed by a signal, timed out, or could not be started.
    case failed
    /// The worker was interrupted and stopped the command.
    case interrupted
    /// The worker's lease expired before it recorded an outcome.
    case lost

    public var description: String { rawValue }
}
