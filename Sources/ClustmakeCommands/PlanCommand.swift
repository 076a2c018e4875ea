import ArgumentParser
import ClustmakeInput
import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner
import ClustmakeRedis
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem
import Logging

/// `clustmake plan`: plan a job graph onto a cluster and write the per-host scripts for review.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan a job graph onto a cluster and write per-host launch scripts to review.",
        discussion: """
            Writes DIR (default plan/) all at once: hosts/<host>.sh for each host, run-all.sh, plan.json and \
            summary.txt, and pushes the graph into redis (as clustmake push does; --no-push leaves that to you), \
            where the workers read it. redis is found as clustmake run finds it: by default the embedded redis of \
            this directory, started if needed. Nothing runs: review the scripts, then run 'sh DIR/run-all.sh' (or \
            one host's script by hand, by cron or by a queue). See docs/plan-directory.md.
            """)

    @OptionGroup(title: "Job graph") var graph: GraphOptions
    @OptionGroup(title: "Cluster") var cluster: ClusterOptions
    @OptionGroup(title: "Output") var logging: LoggingOptions

    /// Where the workers' redis is, as seen from this machine: written into the job lines, pushed to, and read for
    /// learned costs (``RedisResolver``).
    @OptionGroup(title: "Redis") var redis: RedisOptions
    @OptionGroup(title: "Redis") var tunnelSafety: TunnelSafetyOptions

    @Flag(
        help: ArgumentHelp(
            "Write the plan without pushing the graph into redis (nor starting the embedded redis); push it yourself "
                + "before the scripts run."))
    var noPush = false

    @Option(
        name: [.short, .customLong("output")], help: ArgumentHelp("The plan directory to write.", valueName: "dir"))
    var output = PlanDirectory.defaultPath

    @Option(
        help: ArgumentHelp(
            "Use the templates in this directory instead of the built-in ones (by file name).", valueName: "dir"))
    var templates: String?

    @OptionGroup(title: "Job lines") var jobLines: JobLineOptions

    @Option(
        help: ArgumentHelp(
            "A JSON file of job costs from earlier runs ({\"job-id\": seconds, …}); they replace the declared costs.",
            valueName: "file"))
    var costs: String?

    @OptionGroup(title: "Learned costs") var history: HistoryOptions

    @Option(
        help:
            "The planning algorithm: best (several candidates, the shortest kept) or heft (plain HEFT, for comparison)."
    )
    var planner: Planner.Strategy = .best

    @Flag(help: "Show the plan as a table on the terminal instead of writing the directory.")
    var print = false

    @Option(
        help: ArgumentHelp(
            "What to write the plan for: local (host scripts and run-all.sh), slurm (one SLURM job of the "
                + "cluster file's slurm: nodes), slurm-jobs (one SLURM job per job, with dependencies) or cron (also crontab.txt, the crontab entry that runs the plan on "
                + "--schedule); hand slurm and cron plans over with clustmake submit. See docs/handoff.md.",
            valueName: "target"))
    var target: PlanTarget = .local

    @Option(
        help: ArgumentHelp(
            "With --target cron: when cron runs the plan, as the five time fields of a crontab entry.",
            valueName: "\"MIN HOUR DOM MON DOW\""))
    var schedule: String?

    @Option(
        help: ArgumentHelp(
            "With --target slurm: static (the default: each node runs its planned host script) or dynamic "
                + "(clustmake run in the allocation starts each job on a node as it becomes ready, for costs that "
                + "are poorly known).", valueName: "static|dynamic"))
    var dispatch: SlurmDispatch?

    func run() async throws {
        let cronSchedule = try checkedSchedule()
        if let dispatch, target != .slurm {
            throw InputError(
                .invalidValue,
                "--dispatch \(dispatch.rawValue) goes with --target slurm only, not --target \(target.rawValue): "
                    + "it says how a SLURM allocation places the jobs.",
                fix: "Add --target slurm and a cluster file with a slurm: section, or leave out --dispatch.",
                subject: "--dispatch")
        }
        var timer = StepTimer(logger: logging.logger(label: "clustmake.plan"))
        let (graph, source) = try graph.loadDescribed()
        var described: Logger.Metadata = [
            "graph.format": "\(source)", "graph.jobs": "\(graph.count)", "graph.edges": "\(graph.edgeCount)",
        ]
        let files = graph.jobs.flatMap(\.files)
        if !files.isEmpty { described["graph.files"] = "\(files.summary)" }
        timer.done("read the job graph", described)
        let cluster = try cluster.load(slurm: true)
        // The scripts forward TCP ports only: a host with tunnel: unix is refused rather than given one.
        if !print, let host = cluster.hosts.first(where: { !$0.isLocal && $0.tunnel == .unix }) {
            throw InputError(
                .invalidValue,
                "it has tunnel: unix, which only clustmake run opens; a plan's scripts forward TCP ports.",
                fix: "Run the graph with clustmake run, or give the host tunnel: tcp for its scripts.",
                file: self.cluster.cluster, subject: "host '\(host.name)'")
        }
        let namespace = self.graph.namespace(for: graph)
        let resolver = RedisResolver(redis, cluster: cluster.redis, clusterFile: self.cluster.cluster)
        // The same redis as `clustmake run`'s: the embedded one is started here when the graph is pushed, and only
        // named otherwise (--print writes no scripts; with --no-push the scripts start it).
        let pushes = !print && !noPush
        // A plan directory that cannot be written is the user's input: said before redis is started or written.
        if !print { try PlanDirectory(path: output).checkParent() }
        let target = try await resolver.resolve(embedded: pushes ? .start : .locate)
        if !print { try await tunnelSafety.check(target, cluster: cluster) }
        var costMap: [String: Double] = [:]
        if !history.noHistory {
            let costsFrom = history.costsFrom ?? namespace
            let explicit = history.costsFrom != nil
            if pushes {
                costMap = try await HistoryCosts.learn(
                    graph: graph, cluster: cluster, namespace: costsFrom, endpoint: target.endpoint,
                    explicit: explicit, logger: timer.logger)
            } else {
                costMap = try await HistoryCosts.learn(
                    graph: graph, cluster: cluster, namespace: costsFrom, redis: resolver, explicit: explicit,
                    logger: timer.logger)
            }
        }
        costMap.merge(try costs.map(loadCosts) ?? [:]) { $1 }
        timer.done("read the cluster", ["cluster.hosts": "\(cluster.hosts.count)", "costs": "\(costMap.count)"])
        let plan = Planner(costs: costMap, strategy: planner).plan(graph, on: cluster)
        timer.done("planned", ["plan.makespan": "\(plan.makespan)", "plan.lower_bound": "\(plan.lowerBound)"])
        let passwordFile = self.target.isSlurm ? try resolver.nodePasswordFile(target) : target.passwordFile
        let options = ScriptOptions(
            namespace: namespace, redis: target.address, more: jobLines.more, waitSeconds: jobLines.waitSeconds,
            passwordFile: passwordFile,
            redisStart: self.target.isSlurm ? nil : Self.redisStart(target), redisUser: target.endpoint.username,
            target: self.target,
            executor: dispatch == .dynamic
                ? try executor(cluster: cluster, namespace: namespace, passwordFile: passwordFile, target: target)
                : nil)
        let scriptTemplates = try templates.map(ScriptTemplates.init(overridingWith:)) ?? .builtIn
        let writer = try ScriptWriter(
            plan: plan, options: options, templates: scriptTemplates,
            cron: try cronSchedule.map { try cronTable($0, cluster: cluster) })
        timer.done("checked the script settings")
        // One allocation runs the whole plan; in per-job mode each job has its own time limit.
        if self.target == .slurm, let limit = cluster.slurm?.timeLimit, plan.makespan > Double(limit) {
            let message =
                "the estimated makespan \(Format.duration(plan.makespan)) exceeds the wall-time limit "
                + "\(Format.duration(Double(limit))) of the cluster file's slurm: time, so SLURM would end the "
                + "allocation before its jobs. Raise time, or add nodes."
            timer.logger.warning("\(message)")
        }
        if print {
            Swift.print(PlanTable(plan: plan).text, terminator: "")
            return
        }
        let push = pushes ? GraphPush(graph: graph, namespace: namespace, endpoint: target.endpoint) : nil
        // Refused pushes (jobs running now, another schema) and an unreachable redis stop the plan before anything
        // is written; the graph goes in once the directory is in place, so that redis never holds a graph whose
        // plan could not be written.
        try await push?.run(dryRun: true)
        timer.done("checked the push")
        let written = try PlanDirectory(path: output).write(writer)
        timer.done("wrote the plan directory", ["files": "\(written.files.count)", "bytes": "\(written.bytes)"])
        var pushed = ""
        if let push {
            do {
                pushed = try await push.run(dryRun: false)
            } catch let failure as CommandFailure {
                throw CommandFailure(
                    status: failure.status,
                    "wrote \(written.path)/, but the graph could not be pushed: \(failure.message). Push it before "
                        + "running the scripts: \(pushCommand(namespace: namespace))")
            }
            timer.done("pushed the graph")
        }
        Swift.print(report(plan: plan, written: written, namespace: namespace, pushed: pushed), terminator: "")
    }

    /// The schedule of a plan for cron, checked; `nil` for any other target.
    /// - Throws: ``InputError`` (exit 2): a bad schedule, `--target cron` without `--schedule`, or `--schedule`
    ///   with another target.
    private func checkedSchedule() throws(InputError) -> CronSchedule? {
        switch (target, schedule) {
        case (.cron, let text?): return try CronSchedule(parsing: text)
        case (.cron, nil):
            throw InputError(
                .invalidValue, "--target cron needs --schedule: when cron runs the plan.",
                fix: "Add --schedule \"MIN HOUR DOM MON DOW\", e.g. --schedule \"30 2 * * *\" for 02:30 every day.",
                subject: "--target cron")
        case (_, .some):
            throw InputError(
                .invalidValue, "--schedule goes with --target cron only, not --target \(target.rawValue).",
                fix: "Add --target cron, or leave out --schedule.", subject: "--schedule")
        case (_, nil): return nil
        }
    }

    /// The command a plan with `--dispatch dynamic` runs on the allocation's first node: this `clustmake`, by its
    /// absolute path, running the graph pushed to `namespace` on the allocation's nodes, with the cluster file by
    /// its absolute path and redis as the nodes reach it, the password only from its file.
    /// - Throws: ``InputError`` (exit 2) when the nodes reach redis through a tunnel, which `clustmake run` in an
    ///   allocation does not open.
    private func executor(
        cluster: Cluster, namespace: String, passwordFile: String?, target: RedisResolver.Target
    ) throws -> [String] {
        guard let file = self.cluster.cluster, case .fromNodes(let url)? = cluster.slurm?.redis else {
            throw InputError(
                .invalidValue,
                "--dispatch dynamic runs clustmake run inside the allocation, whose workers reach redis directly; "
                    + "the cluster file's slurm: redis is a tunnel.",
                fix: "Write slurm: redis: {from_nodes: \"redis://HOST:PORT/DB\"} with the address the nodes reach "
                    + "redis at, or leave out --dispatch dynamic (the static host scripts open the tunnel).",
                file: self.cluster.cluster, subject: "--dispatch dynamic")
        }
        let clusterFile: String
        do { clusterFile = try FileSystem.absolute(file) } catch {
            throw InputError(.io, "cannot \(error.operation)", file: file, cause: error.cause)
        }
        // The redis user of the job lines, in the URL (the password is never on the command line).
        var nodeURL = url
        if let user = target.endpoint.username, nodeURL.hasPrefix("redis://") {
            nodeURL = "redis://\(user)@" + nodeURL.dropFirst("redis://".count)
        }
        var words = [
            WorkerLocation.clustmake() ?? "clustmake", "run", "--namespace", namespace, "--cluster", clusterFile,
            "--redis", nodeURL,
        ]
        if let passwordFile { words += ["--redis-password-file", passwordFile] }
        if jobLines.more { words.append("--more") }
        words += ["--wait", String(jobLines.waitSeconds)]
        return words
    }

    /// The crontab entry of a plan for cron: the plan directory's absolute path, and a `PATH` that finds this
    /// `clustmake` and the local hosts' workers.
    private func cronTable(_ schedule: CronSchedule, cluster: Cluster) throws(ScriptError) -> CronTable {
        let directory: String
        do { directory = try FileSystem.absolute(output) } catch {
            throw ScriptError(.io, "cannot \(error.operation)", file: output, cause: error.cause)
        }
        let programs = WorkerLocation.programDirectories(workers: cluster.hosts.filter(\.isLocal).map(\.worker))
        return try CronTable(schedule: schedule, planDirectory: directory, programDirectories: programs)
    }

    /// `clustmake redis start --state-dir DIR` for the embedded redis, with this `clustmake`'s absolute path (the
    /// scripts may run from another directory, from cron, with another `PATH`); `nil` for any other redis.
    private static func redisStart(_ target: RedisResolver.Target) -> [String]? {
        guard let state = target.embeddedStateDirectory else { return nil }
        return [WorkerLocation.clustmake() ?? "clustmake", "redis", "start", "--state-dir", state]
    }

    /// The `clustmake push` that puts this graph where the scripts' workers read it, as the user would type it
    /// (a password in `--redis` is not shown).
    private func pushCommand(namespace: String) -> String {
        var words = ["clustmake", "push", graph.jobs]
        if let timeScale = graph.timeScale { words += ["--time-scale", "\(timeScale)"] }
        words += ["--namespace", namespace]
        if let file = cluster.cluster { words += ["--cluster", file] }
        if let url = redis.redis {
            let secret = (try? RedisEndpoint(parsing: url))?.password != nil
            words += ["--redis", secret ? "URL" : url]
        }
        if let file = redis.redisPasswordFile { words += ["--redis-password-file", file] }
        return ShellQuote.join(words)
    }

    /// Reads a cost map: a JSON object of job id to seconds.
    private func loadCosts(_ path: String) throws(InputError) -> [String: Double] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(contentsOfFile: path)
        } catch {
            throw InputError(
                .syntax, "cannot read the cost map: \(error.message)", fix: error.hint, file: path, line: error.line,
                column: error.column)
        }
        guard case .object(let object) = value else {
            throw InputError(
                .wrongType, "a cost map must be a JSON object, not \(value.kind).",
                fix: "Write {\"job-id\": seconds, …}.", file: path)
        }
        var costs = [String: Double]()
        for (id, entry) in object {
            guard let seconds = entry.doubleValue, seconds >= 0, seconds.isFinite else {
                throw InputError(
                    .invalidValue, "the cost of '\(id)' must be a number of seconds >= 0.",
                    fix: "Write \"\(id)\": 12.5.", file: path)
            }
            costs[id] = seconds
        }
        return costs
    }

    private func report(plan: Plan, written: PlanDirectory.Written, namespace: String, pushed: String) -> String {
        let hosts = plan.cluster.hosts.count
        let ratio = plan.lowerBound > 0 ? plan.makespan / plan.lowerBound : 1
        let directory = written.path
        let submit = ShellQuote.join(
            ["clustmake", "submit", directory]
                + (target.isSlurm ? cluster.cluster.map { ["--cluster", $0] } ?? [] : []))
        let run: String
        switch target {
        case .local: run = "run: \(ShellQuote.join(["sh", directory + "/run-all.sh"]))"
        case .slurm, .slurmJobs: run = "run: \(submit)"
        case .cron: run = "hand it to cron: \(submit)"
        }
        let next =
            noPush
            ? "push the graph (\(pushCommand(namespace: namespace))), then \(run)"
            : "then \(run)"
        return """
            Planned \(Format.count(plan.graph.count, "job")) on \(Format.count(hosts, "host")) \
            (\(Format.count(plan.slots.count, "slot"))), \
            namespace \(namespace).
            Estimated makespan \(Format.duration(plan.makespan)), lower bound \(Format.duration(plan.lowerBound)) \
            (\(Format.fixed(ratio, 2))x).

            """ + pushed + (written.leftover.map { "The previous plan could not be removed: delete \($0).\n" } ?? "")
                + "Wrote \(directory)/: \(Format.count(written.files.count, "file")). Review \(directory)/summary.txt and \(directory)/\(target == .slurmJobs ? "slurm/jobs" : "hosts")/, "
                + next + "\n"
    }
}

extension Planner.Strategy: ExpressibleByArgument {}
extension PlanTarget: ExpressibleByArgument {}
extension SlurmDispatch: ExpressibleByArgument {}

/// Pushing the planned graph, as `clustmake push` does (``PushCommand``).
private struct GraphPush {
    let graph: JobGraph
    let namespace: String
    let endpoint: RedisEndpoint

    /// Pushes, or with `dryRun` checks that the push would be accepted.
    /// - Returns: ``PushCommand/describe(_:at:dryRun:)`` of what the push did.
    /// - Throws: ``CommandFailure`` (status 1): redis unreachable, the push refused.
    @discardableResult
    func run(dryRun: Bool) async throws -> String {
        let (graph, namespace, endpoint) = (graph, namespace, endpoint)
        let report: PushReport
        do {
            report = try await DedicatedThread.run { () throws(StoreError) -> PushReport in
                let store = try JobStore(endpoint: endpoint, namespace: namespace)
                return try store.push(graph, dryRun: dryRun, pushedBy: ClustmakeVersion.current)
            }
        } catch {
            throw CommandFailure(
                status: 1, "the graph cannot be pushed: " + PushCommand.message(error, namespace: namespace))
        }
        return PushCommand.describe(report, at: endpoint, dryRun: dryRun)
    }
}
