import ClustmakeModel
public import ClustmakePlanner

/// What the script writer is told beyond the plan: the namespace, where redis is, and the `make_single`
/// arguments. Unset values come from the plan (the graph's namespace, the cluster's redis URL) or the defaults.
public struct ScriptOptions: Sendable, Hashable {
    /// The namespace passed to every worker (`--slave NS`); `nil` for the graph's, or ``defaultNamespace``.
    public var namespace: String?
    /// redis as seen from the machine that runs the scripts; `nil` for the cluster's `redis: url:`, or
    /// `localhost:6379`.
    public var redis: RedisAddress?
    /// Pass `more=True` to `make_single` (redo the jobs even if they are done).
    public var more: Bool
    /// Seconds a worker waits for dependencies that run elsewhere (`wait=SECONDS`).
    public var waitSeconds: Int
    /// The redis password file on the machine that runs the scripts, or `nil`: every job line reads it as its
    /// standard input and its worker takes the password from there (``WorkerSettings/passwordFile``).
    public var passwordFile: String?
    /// The redis ACL user the workers log in as, `nil` for the default user (``WorkerSettings/redisUser``).
    public var redisUser: String?
    /// The command that starts the redis when it does not run (`clustmake redis start --state-dir DIR` for the
    /// embedded redis), run by every host script before its jobs; `nil` for a redis the user runs.
    public var redisStart: [String]?
    /// What the plan is written for: host scripts and run-all.sh, or a SLURM job.
    public var target: PlanTarget
    /// With `--dispatch dynamic` (a SLURM plan): the command `slurm/run.sbatch` runs on the allocation's first
    /// node, `clustmake run` of the pushed graph, word by word; `nil` for static dispatch.
    public var executor: [String]?

    /// The namespace when neither the options nor the graph give one.
    public static let defaultNamespace = "default"
    /// One day: long enough for any dependency planned on another host to finish.
    public static let defaultWaitSeconds = 86_400

    public init(
        namespace: String? = nil, redis: RedisAddress? = nil, more: Bool = false,
        waitSeconds: Int = ScriptOptions.defaultWaitSeconds, passwordFile: String? = nil, redisStart: [String]? = nil,
        redisUser: String? = nil, target: PlanTarget = .local, executor: [String]? = nil
    ) {
        self.target = target
        self.executor = executor
        self.namespace = namespace
        self.redis = redis
        self.more = more
        self.waitSeconds = waitSeconds
        self.passwordFile = passwordFile
        self.redisStart = redisStart
        self.redisUser = redisUser
    }

    /// The redis address of a cluster file's `url`, an error naming `subject` when it does not parse.
    private static func address(_ url: String, subject: String) throws(ScriptError) -> RedisAddress {
        do {
            return try RedisAddress(parsing: url)
        } catch {
            var located = error
            located.subject = subject
            throw located
        }
    }

    /// The options with the plan's defaults filled in, checked.
    /// - Parameter plan: The plan the scripts are for.
    ///
    /// For a SLURM plan whose nodes reach redis directly (`slurm: redis: from_nodes`), the workers' redis is that
    /// address; through a tunnel, it stays the address the login host reaches (``ScriptWriter`` gives each node
    /// its own end of the tunnel).
    /// - Throws: ``ScriptError`` when the namespace is not a valid id, the cluster's redis URL cannot be used,
    ///   `waitSeconds` is negative, or the target does not fit the cluster (`slurm` without a `slurm:` section, or
    ///   a `slurm:` cluster planned for `local`).
    public func settings(for plan: Plan) throws(ScriptError) -> WorkerSettings {
        let namespace = namespace ?? plan.graph.namespace ?? Self.defaultNamespace
        if let problem = JobID.problem(with: namespace) {
            throw ScriptError(
                .invalidOption, "the namespace '\(namespace)' is not valid: \(problem).",
                fix: "Use only \(JobID.allowedDescription) in namespaces.")
        }
        guard waitSeconds >= 0 else {
            throw ScriptError(
                .invalidOption, "the wait time \(waitSeconds) s is negative.",
                fix: "Give the seconds a worker may wait for its dependencies, 0 or more.")
        }
        var redis = redis
        switch (target, plan.cluster.slurm) {
        case (.local, .some), (.cron, .some):
            throw ScriptError(
                .invalidOption, "the cluster file describes a SLURM partition (a 'slurm:' section).",
                fix: "Plan it with --target slurm (or slurm-jobs), then submit the plan with clustmake submit.")
        case (.slurm, nil), (.slurmJobs, nil):
            throw ScriptError(
                .invalidOption, "--target \(target.rawValue) needs a cluster file with a 'slurm:' section.",
                fix: "Give --cluster a file that describes the partition (docs/cluster.md, 'slurm').")
        case (.slurm, .some(let slurm)), (.slurmJobs, .some(let slurm)):
            if case .fromNodes(let url) = slurm.redis {
                redis = try Self.address(url, subject: "the cluster's slurm: redis: from_nodes")
            }
        case (.local, nil), (.cron, nil): break
        }
        if executor != nil, target != .slurm {
            throw ScriptError(
                .invalidOption, "dynamic dispatch runs inside a SLURM allocation: --target slurm only.",
                fix: "Add --target slurm, or leave out --dispatch.")
        }
        if redis == nil, let url = plan.cluster.redis.url {
            redis = try Self.address(url, subject: "the cluster's redis url")
        }
        return WorkerSettings(
            namespace: namespace, redis: redis ?? .default, more: more, waitSeconds: waitSeconds,
            passwordFile: passwordFile, redisUser: redisUser)
    }
}
