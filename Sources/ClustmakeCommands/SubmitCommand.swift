import ArgumentParser
import ClustmakeJSON
import ClustmakeModel
import ClustmakeScripts
import ClustmakeSystem

/// `clustmake submit PLAN_DIR`: hand a reviewed plan to the site's scheduler and record it in redis
/// (docs/handoff.md).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Hand a plan directory to SLURM and record the hand-off in redis.",
        discussion: """
            Checks that redis holds the plan's graph and answers from where the jobs will run, submits the plan \
            (slurm/submit.sh for a plan written with --target slurm) and records the job id in redis, so that \
            clustmake status shows the queue and clustmake cancel cancels it. See docs/handoff.md.
            """)

    @Argument(help: ArgumentHelp("The plan directory (written by clustmake plan).", valueName: "plan-dir"))
    var planDirectory: String

    @Option(help: ArgumentHelp("Where to hand the plan (default: what the plan was written for).", valueName: "target"))
    var to: HandOff.Target?

    @Flag(help: "Do not check that redis answers from a compute node before submitting.")
    var noCheck = false

    @OptionGroup(title: "Cluster") var cluster: ClusterOptions
    @OptionGroup(title: "Redis") var redis: RedisOptions
    @OptionGroup(title: "Output") var logging: LoggingOptions

    func run() async throws {
        let plan = try PlanFile(directory: planDirectory)
        let target: HandOff.Target
        if let to {
            target = to
        } else if let planned = plan.target {
            target = planned
        } else {
            throw InputError(
                .invalidValue, "the plan was written for local hosts, not for a scheduler.",
                fix: "Run it with sh \(ShellQuote.quote(planDirectory + "/run-all.sh")), or plan again with "
                    + "--target slurm.", file: plan.path)
        }
        let cluster = try cluster.load(slurm: true)
        let resolver = RedisResolver(redis, cluster: cluster.redis, clusterFile: self.cluster.cluster)
        switch target {
        case .slurm:
            let handOff = try await HandOff.submitSlurm(
                plan, cluster: cluster, clusterFile: self.cluster.cluster, resolver: resolver, check: !noCheck,
                logger: logging.logger(label: "clustmake.submit"))
            print(
                "Submitted batch job \(handOff.ids.joined(separator: ", ")) (namespace \(plan.namespace)): "
                    + "clustmake status --namespace \(plan.namespace) shows it, "
                    + "clustmake cancel --namespace \(plan.namespace) cancels it.")
        case .slurmJobs, .cron, .at:
            throw InputError(
                .invalidValue,
                "--to \(target.rawValue) does not fit this plan, written for \(plan.target?.rawValue ?? "local").",
                fix: "Plan again with the target you want, then submit that plan.", subject: "--to")
        }
    }
}

extension HandOff.Target: ExpressibleByArgument {}

/// What `submit` reads of a plan directory's `plan.json` (docs/plan-directory.md).
struct PlanFile {
    /// The plan directory, absolute.
    let directory: String
    /// `DIR/plan.json`, for messages.
    let path: String
    /// The scheduler the plan was written for, `nil` for a local plan (no `"target"`).
    let target: HandOff.Target?
    let namespace: String
    let graphHash: String
    let clusterHash: String

    /// Reads `DIR/plan.json`.
    /// - Throws: ``InputError`` naming the file: unreadable, not `clustmake-plan/1`, or without its namespace or
    ///   fingerprints.
    init(directory: String) throws {
        self.directory = try FileSystem.absolute(directory)
        path = self.directory + "/plan.json"
        let value = try Self.document(path)
        let fix = "Write the plan again with `clustmake plan`."
        guard value["format"]?.stringValue == "clustmake-plan/1", let namespace = value["namespace"]?.stringValue,
            JobID.problem(with: namespace) == nil, let graphHash = value["graph_hash"]?.stringValue,
            let clusterHash = value["cluster_hash"]?.stringValue
        else {
            throw InputError(
                .invalidValue, "not a clustmake-plan/1 file with a namespace and fingerprints.", fix: fix, file: path)
        }
        if let text = value["target"]?.stringValue {
            guard let target = HandOff.Target(rawValue: text) else {
                throw InputError(.invalidValue, "the plan's target '\(text)' is not known.", fix: fix, file: path)
            }
            self.target = target
        } else {
            target = nil
        }
        self.namespace = namespace
        self.graphHash = graphHash
        self.clusterHash = clusterHash
    }

    /// The JSON of a plan directory's `plan.json` at `path`.
    /// - Throws: ``InputError`` naming the file when it cannot be read or parsed.
    static func document(_ path: String) throws(InputError) -> JSONValue {
        do {
            return try JSONValue.parse(contentsOfFile: path)
        } catch {
            throw InputError(
                .unreadable, "cannot read the plan: \(error.message)",
                fix: "Give the directory `clustmake plan` wrote (it holds plan.json).", file: path)
        }
    }
}
