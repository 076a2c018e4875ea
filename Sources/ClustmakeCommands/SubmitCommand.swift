import ArgumentParser
import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem

/// `clustmake submit`: hand a plan directory to a site's own tooling (SLURM, cron, at) and record the hand-off in
/// redis, where `status` shows it and `cancel` undoes it. One function per target (``HandOff/submitSlurm``,
/// ``CronHandOff``, ``AtHandOff``).
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Hand a plan directory to SLURM, cron or at, and record the hand-off in redis.",
        discussion: """
            A plan written with --target slurm goes to SLURM: clustmake checks that redis holds the plan's graph and \
            answers from a compute node (skip with --no-check), runs slurm/submit.sh and records the job id; one \
            written with --target slurm-jobs gets one SLURM job per job not done in redis, at most the cluster \
            file's max_submit in the queue at once (--follow submits the rest as earlier ones leave it). \
            --to cron installs DIR/crontab.txt (clustmake plan --target cron --schedule …) into your crontab between \
            the marker lines '# BEGIN clustmake NS' and '# END clustmake NS': the rest of the crontab is kept as it \
            is, and submitting again replaces only that block. --to at queues DIR/run-all.sh with at (at --time, \
            default now), from an environment that holds nothing of yours but HOME, LOGNAME, USER and LANG. The \
            target defaults to the one the plan was made for. clustmake status shows the hand-off; clustmake \
            cancel --namespace NS undoes it. See docs/handoff.md.
            """)

    /// Where a plan can be handed to by this command.
    enum Destination: String, CaseIterable, ExpressibleByArgument {
        case slurm
        case cron
        case at
    }

    @Argument(help: ArgumentHelp("The plan directory clustmake plan wrote.", valueName: "plan-dir"))
    var planDirectory: String

    @Option(
        help: ArgumentHelp(
            "Where to hand the plan: slurm, cron or at (default: what the plan was made for).", valueName: "target"))
    var to: Destination?

    @Option(
        help: ArgumentHelp(
            "With --to at: when the run starts, in at(1)'s words (default now): 'now + 2 hours', 23:30, 'noon "
                + "tomorrow'.", valueName: "time"))
    var time: String?

    @Flag(help: "Do not check that redis answers from a compute node before submitting to SLURM.")
    var noCheck = false

    @Flag(
        help: ArgumentHelp(
            "With a plan for slurm-jobs: submit the cluster file's max_submit jobs, then more as earlier ones leave "
                + "the queue, until every job that can run is submitted."))
    var follow = false

    @OptionGroup(title: "Cluster") var cluster: ClusterOptions
    /// The redis of the plan's workers, where the hand-off is recorded (``RedisResolver``, as for `plan`).
    @OptionGroup(title: "Redis") var redis: RedisOptions
    @OptionGroup(title: "Output") var logging: LoggingOptions

    func run() async throws {
        let plan = try PlanFile(directory: planDirectory)
        let timeWords = try checkedTime()
        guard let destination = to ?? Destination(rawValue: plan.target.isSlurm ? "slurm" : plan.target.rawValue)
        else {
            throw InputError(
                .invalidValue, "the plan was made for \(plan.target.rawValue), which is run by hand (sh run-all.sh).",
                fix: "Give --to at, or plan for SLURM or cron (clustmake plan JOBS --target slurm --cluster FILE, or "
                    + "--target cron --schedule \"MIN HOUR DOM MON DOW\").", file: plan.path)
        }
        switch (destination, plan.target) {
        case (.slurm, .slurm), (.slurm, .slurmJobs), (.cron, .cron), (.at, .local), (.at, .cron): break
        default:
            throw InputError(
                .invalidValue,
                "--to \(destination.rawValue) does not fit this plan, written for \(plan.target.rawValue).",
                fix: "Plan again with the target you want (clustmake plan --target), then submit that plan.",
                subject: "--to")
        }
        let given = try cluster.load(slurm: true)
        let resolver = RedisResolver(redis, cluster: given.redis, clusterFile: cluster.cluster)
        if follow && plan.target != .slurmJobs {
            throw InputError(
                .invalidValue, "--follow goes with a plan for slurm-jobs only, not \(plan.target.rawValue).",
                fix: "Leave out --follow, or plan with --target slurm-jobs.", subject: "--follow")
        }
        if plan.target == .slurmJobs {
            try await submitSlurmJobs(plan, cluster: given, resolver: resolver)
            return
        }
        if destination == .slurm {
            let handOff = try await HandOff.submitSlurm(
                plan, cluster: given, clusterFile: cluster.cluster, resolver: resolver, check: !noCheck,
                logger: logging.logger(label: "clustmake.submit"))
            // status and cancel find the hand-off in the redis the cluster file names, as submit did.
            let options = ShellQuote.join(
                ["--namespace", plan.namespace] + (cluster.cluster.map { ["--cluster", $0] } ?? []))
            print(
                "Submitted batch job \(handOff.ids.joined(separator: ", ")) (namespace \(plan.namespace)): "
                    + "clustmake status \(options) shows it, clustmake cancel \(options) cancels it.")
            return
        }
        let target = try await resolver.resolve(embedded: .start)
        guard target.address.description == plan.redis else {
            throw InputError(
                .invalidValue,
                "the plan's workers use redis at \(plan.redis), but this command would record the hand-off at "
                    + "\(target.address).",
                fix:
                    "Run clustmake submit in the directory you planned in, or give the --redis the plan was made with.",
                file: plan.path)
        }
        let namespace = plan.namespace
        let endpoint = target.endpoint
        let earlier = try await Self.withStore(endpoint, namespace) { store throws(StoreError) in try store.handOff() }
        if destination == .at, let earlier {
            throw CommandFailure(
                status: 1,
                "namespace '\(namespace)' is already handed off to \(earlier.target.rawValue) "
                    + "(\(Self.describe(earlier))); undo it first: clustmake cancel --namespace \(namespace)")
        }
        switch destination {
        case .slurm: return  // handed to SLURM above, before the hand-off record of cron and at is read
        case .at:
            let job = try await AtHandOff.submit(plan, time: timeWords ?? ["now"])
            let record = HandOff(
                target: .at, submitted: UTCTime.now(), planDirectory: plan.directory, ids: [job.number])
            do {
                try await Self.withStore(endpoint, namespace) { store throws(StoreError) in
                    try store.recordHandOff(record)
                }
            } catch {
                _ = try? await AtHandOff.remove(job.number)
                throw error
            }
            print(
                "clustmake: queued at job \(job.number) for \(job.when): it runs \(plan.directory)/run-all.sh, output "
                    + "in \(plan.directory)/\(AtHandOff.logName). Undo: clustmake cancel --namespace \(namespace)")
        case .cron:
            if let earlier, earlier.target != .cron {
                throw CommandFailure(
                    status: 1,
                    "namespace '\(namespace)' is already handed off to \(earlier.target.rawValue) "
                        + "(\(Self.describe(earlier))); undo it first: clustmake cancel --namespace \(namespace)")
            }
            let replaced = try await CronHandOff.install(planDirectory: plan.directory, namespace: namespace)
            let record = HandOff(
                target: .cron, submitted: UTCTime.now(), planDirectory: plan.directory, ids: [],
                cronBlock: CronHandOff.label(namespace: namespace))
            do {
                try await Self.withStore(endpoint, namespace) { store throws(StoreError) in
                    try store.recordHandOff(record)
                }
            } catch {
                if !replaced { _ = try? await CronHandOff.remove(namespace: namespace) }
                throw error
            }
            let block = CronHandOff.block(namespace: namespace)
            print(
                "clustmake: \(replaced ? "replaced" : "installed") the crontab block '\(block.begin)' … '\(block.end)' "
                    + "from \(plan.directory)/\(CronTable.fileName); cron runs \(plan.directory)/run-all.sh, output "
                    + "in \(plan.directory)/\(CronTable.logName). Undo: clustmake cancel --namespace \(namespace)")
        }
    }

    /// `--time` as at's words, checked: only with `--to at`, no option-like word.
    private func checkedTime() throws(InputError) -> [String]? {
        guard let time else { return nil }
        guard to == .at else {
            throw InputError(
                .invalidValue, "--time goes with --to at only.", fix: "Add --to at, or leave out --time.",
                subject: "--time")
        }
        let words = time.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !words.isEmpty, !words.contains(where: { $0.hasPrefix("-") }) else {
            throw InputError(
                .invalidValue, "'\(time)' is not a time for at.",
                fix: "Give a time at(1) reads: now, 'now + 2 hours', 23:30, 'noon tomorrow'.", subject: "--time")
        }
        return words
    }

    /// A hand-off in a few words: where, the ids, since when.
    static func describe(_ handOff: HandOff) -> String {
        var words: [String] = []
        if let block = handOff.cronBlock { words.append("crontab block '\(block)'") }
        if handOff.target == .at {
            words.append("at job \(handOff.ids.joined(separator: ","))")
        } else if !handOff.ids.isEmpty {
            words.append("ids \(handOff.idsText(separator: ","))")
        }
        words.append("submitted \(handOff.submitted.iso8601)")
        return words.joined(separator: ", ")
    }

    /// `body` with a store of namespace `namespace`, on a thread of its own; a store error as exit status 1.
    static func withStore<T: Sendable>(
        _ endpoint: RedisEndpoint, _ namespace: String, _ body: @escaping @Sendable (JobStore) throws(StoreError) -> T
    ) async throws -> T {
        do {
            return try await DedicatedThread.run { () throws(StoreError) -> T in
                try body(try JobStore(endpoint: endpoint, namespace: namespace))
            }
        } catch {
            throw CommandFailure(status: 1, PushCommand.message(error, namespace: namespace))
        }
    }
}

/// What `submit` reads of a plan directory's plan.json: its namespace, its target and its redis.
struct PlanFile {
    /// The plan directory, absolute.
    let directory: String
    /// plan.json's path.
    let path: String
    let namespace: String
    let target: PlanTarget
    /// The redis of the job lines (plan.json's `redis`).
    let redis: String
    /// The fingerprints of the graph and the cluster the plan was made from.
    let graphHash: String
    let clusterHash: String
    /// The directories of this `clustmake` and of the local hosts' workers: the start of a `PATH` for cron or at.
    let programDirectories: [String]

    /// A plan directory's plan.json, parsed (for `submit` and `run --plan`).
    /// - Throws: ``InputError`` naming the file when it cannot be read or is not JSON.
    static func document(at path: String) throws(InputError) -> JSONValue {
        do {
            return try JSONValue.parse(contentsOfFile: path)
        } catch {
            throw InputError(
                .unreadable, "cannot read the plan: \(error.message)",
                fix: "Give the directory clustmake plan wrote (it holds plan.json).", file: path)
        }
    }

    /// Reads `DIR/plan.json`.
    /// - Throws: ``InputError`` naming the file: unreadable, not clustmake-plan/1, an unknown target.
    init(directory: String) throws(InputError) {
        do {
            self.directory = try FileSystem.absolute(directory)
        } catch {
            throw InputError(.io, "cannot \(error.operation)", file: directory, cause: error.cause)
        }
        path = self.directory + "/plan.json"
        let value = try Self.document(at: path)
        let fix = "Write the plan again with clustmake plan."
        guard value["format"]?.stringValue == "clustmake-plan/1" else {
            throw InputError(.invalidValue, "not a clustmake-plan/1 file.", fix: fix, file: path)
        }
        guard let namespace = value["namespace"]?.stringValue, JobID.problem(with: namespace) == nil,
            let redis = value["redis"]?.stringValue, let graphHash = value["graph_hash"]?.stringValue,
            let clusterHash = value["cluster_hash"]?.stringValue
        else {
            throw InputError(
                .invalidValue, "plan.json lacks a valid namespace, redis or fingerprints.", fix: fix, file: path)
        }
        let targetName = value["target"]?.stringValue ?? PlanTarget.local.rawValue
        guard let target = PlanTarget(rawValue: targetName) else {
            throw InputError(.invalidValue, "plan.json has the unknown target '\(targetName)'.", fix: fix, file: path)
        }
        let localWorkers = (value["hosts"]?.arrayValue ?? []).filter { $0["local"]?.boolValue == true }
            .compactMap { $0["worker"]?.stringValue }
        self.namespace = namespace
        self.redis = redis
        self.graphHash = graphHash
        self.clusterHash = clusterHash
        self.target = target
        programDirectories = WorkerLocation.programDirectories(workers: localWorkers)
    }
}
