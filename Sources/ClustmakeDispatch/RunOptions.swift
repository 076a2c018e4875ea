public import ClustmakeModel
public import ClustmakePlanner
public import ClustmakeRedis
public import ClustmakeScheduler
public import ClustmakeScripts

/// Everything a run needs: the plan, what the job lines tell the workers, where redis is, how to schedule, how
/// to report.
public struct RunOptions: Sendable {
    /// The plan: graph, cluster, slots, priorities.
    public var plan: Plan
    /// The namespace, redis address as the job lines carry it, `more` and `wait`.
    public var settings: WorkerSettings
    /// redis as this machine reaches it (with its password, never shown).
    public var endpoint: RedisEndpoint
    /// How the scheduler behaves (keep going or halt, bundling, host losses, probes, following the plan).
    public var scheduling: Scheduler.Configuration
    /// How events are reported.
    public var output: RunOutputMode
    /// The private directory for control sockets and the run lock.
    public var directory: RunDirectory
    /// Push the graph to the namespace before running (false when it was pushed already).
    public var push: Bool
    /// Seconds between checks for jobs whose lease expired while their line runs (a hung host).
    public var leaseCheckInterval: Double
    /// Seconds between SIGTERM and SIGKILL when stopping the running lines.
    public var killGrace: Double
    /// The SLURM allocation the run is inside, or `nil`: with one, the hosts are its nodes and every job line runs
    /// on its node through `srun` (``SrunLine``), the worker reaching redis at ``WorkerSettings/redis`` and reading
    /// the password on standard input.
    public var allocation: SlurmAllocation?
    /// How long the run's lease on its namespace in redis lasts unless renewed (renewed every third of it): how
    /// long a run that was killed keeps other machines from running the namespace.
    public var runLeaseTTL: Duration = .seconds(30)
    /// Run the lines of a slot through one streamed session (`make_single … stream=True`): a worker that stays,
    /// reading each next line's job ids from its standard input, instead of an ssh session (or an srun step inside
    /// a SLURM allocation) and a worker per line.
    public var streams: Bool
    /// Told each step of the run's start as it ends (`clustmake run -v` logs them with their times): the push, the
    /// reading of what is done, the plan kept in redis, the scheduler ready.
    public var step: (@Sendable (String) -> Void)?

    public init(
        plan: Plan, settings: WorkerSettings, endpoint: RedisEndpoint,
        scheduling: Scheduler.Configuration = Scheduler.Configuration(), output: RunOutputMode = .plain,
        directory: RunDirectory, push: Bool = true, leaseCheckInterval: Double = 2, killGrace: Double = 15,
        allocation: SlurmAllocation? = nil, streams: Bool = true
    ) {
        self.allocation = allocation
        self.streams = streams
        self.plan = plan
        self.settings = settings
        self.endpoint = endpoint
        self.scheduling = scheduling
        self.output = output
        self.directory = directory
        self.push = push
        self.leaseCheckInterval = leaseCheckInterval
        self.killGrace = killGrace
    }
}
