/// One job of a graph: a command to run on some host, with what it needs and what it waits for.
///
/// Jobs are plain values. The graph (``JobGraph``) owns the relations between them; ``deps`` keeps the ids as the
/// user wrote them so that they can be reported and written back out unchanged.
public struct Job: Sendable, Hashable {
    /// How a job's command is run on its host.
    public enum Command: Sendable, Hashable {
        /// A string for `/bin/sh -c`.
        case shell(String)
        /// An argument vector, executed directly.
        case argv([String])
    }

    /// The job's id: unique in its graph, safe as a shell word and a file name (see ``JobID``).
    public var id: String
    /// What the job runs.
    public var command: Command
    /// Ids of the jobs that must be done before this one starts, without repeats, in the order given.
    public var deps: [String]
    /// Estimated run time in seconds on a host of speed 1.
    public var cost: Double
    /// Working directory on the host, if not the worker's.
    public var cwd: String?
    /// Extra environment variables, sorted by name.
    public var env: [EnvironmentVariable]
    /// Nice level for this job, overriding the host's.
    public var nice: Int?
    /// Cores the job uses (informational for ssh hosts; requested from queues).
    public var cores: Int
    /// Memory the job needs, in bytes, if declared.
    public var memory: UInt64?
    /// How many times a failed job is tried again.
    public var retries: Int
    /// Wall-clock limit in seconds, if any.
    public var timeout: Double?
    /// Free-form labels (statistics group jobs by them).
    public var tags: [String]
    /// The files the job reads and writes, as a workflow instance declares them (informational: see ``JobFile``).
    public var files: [JobFile]

    /// One `NAME=value` pair of a job's environment.
    public struct EnvironmentVariable: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The default cost of a job that declares none, in seconds.
    public static let defaultCost = 1.0

    public init(
        id: String, command: Command, deps: [String] = [], cost: Double = Job.defaultCost, cwd: String? = nil,
        env: [EnvironmentVariable] = [], nice: Int? = nil, cores: Int = 1, memory: UInt64? = nil,
        retries: Int = 0, timeout: Double? = nil, tags: [String] = [], files: [JobFile] = []
    ) {
        self.id = id
        self.command = command
        self.deps = deps
        self.cost = cost
        self.cwd = cwd
        self.env = env
        self.nice = nice
        self.cores = cores
        self.memory = memory
        self.retries = retries
        self.timeout = timeout
        self.tags = tags
        self.files = files
    }
}
