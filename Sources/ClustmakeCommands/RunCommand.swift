import ArgumentParser
import ClustmakeDispatch
import ClustmakeHosts
import ClustmakeInput
import ClustmakeModel
import ClustmakePlanner
import ClustmakeRedis
import ClustmakeScheduler
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem
import Logging

/// `clustmake run`: push the graph, plan it and execute it over ssh (or locally), surviving failures.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a job graph on the cluster now: push, plan and dispatch it, surviving failed jobs and hosts.",
        discussion: """
            Each job runs as the same job line as the plan's scripts (ssh, -R tunnel, nice, compmake … make_single), \
            over one ssh master connection per host. A failed job (worker exit 113) blocks its dependents; a failed \
            host is quarantined and its job runs elsewhere. Run it again with the same namespace to resume: done \
            jobs are skipped (with --more, every job runs again), jobs still running are waited for. Ctrl-C stops every running job and exits 130. \
            With a cluster file's slurm: section, run it inside a SLURM allocation (salloc, sbatch): the hosts are \
            the allocation's nodes and each job line runs on its node through srun instead of ssh. Without JOBS, the run \
            runs the graph already pushed to --namespace (by clustmake plan or push), as a plan made with --dispatch \
            dynamic does in its allocation. \
            Exit status: 0 every job done, 1 some failed or were blocked, 2 bad input. See docs/run.md.
            """)

    @OptionGroup(title: "Job graph") var graph: RunGraphOptions
    @OptionGroup(title: "Cluster") var cluster: ClusterOptions
    @OptionGroup(title: "Redis") var redis: RedisOptions
    @OptionGroup(title: "Redis") var tunnelSafety: TunnelSafetyOptions
    @OptionGroup(title: "Output") var logging: LoggingOptions

    @Option(
        help: ArgumentHelp(
            "Group short jobs into one job line: auto (from cost estimates), off, or at most N jobs a line.",
            valueName: "auto|off|N"))
    var bundle = "auto"

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Run each slot's job lines through one streamed session, a worker that reads the next line's job ids on "
                + "its standard input (the default); --no-stream: one ssh session and worker per line, as the "
                + "plan's scripts do."))
    var stream = true

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "With streamed sessions, send a slot its next line while its current short line runs, when ready jobs "
                + "wait and no slot is free (the default); --no-look-ahead: a slot gets its next line when its "
                + "line has ended."))
    var lookAhead = true

    @Flag(exclusivity: .exclusive)
    var onFailure: FailurePolicy = .keepGoing

    @Option(help: ArgumentHelp("A job that lost this many hosts fails.", valueName: "n"))
    var maxHostLosses = 3

    @OptionGroup(title: "Job lines") var jobLines: JobLineOptions

    @Flag(help: "Print one JSON object per event on standard output.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Run this reviewed plan directory as planned (same hosts, slots and order); refused if the graph or "
                + "the cluster changed since it was written.", valueName: "dir"))
    var plan: String?

    @OptionGroup(title: "Learned costs") var history: HistoryOptions

    @Flag(help: "Skip the check of the hosts (ssh, worker version, redis through the tunnel) before running.")
    var noCheck = false

    @Option(help: .hidden) var probeDelay = 1.0

    enum FailurePolicy: String, EnumerableFlag {
        case keepGoing, haltOnFailure

        static func help(for value: FailurePolicy) -> ArgumentHelp? {
            switch value {
            case .keepGoing: "Go on with independent jobs after a job fails (the default)."
            case .haltOnFailure: "Start nothing more after a job fails; end when the running jobs end."
            }
        }
    }

    func validate() throws {
        _ = try bundlePolicy()
        guard maxHostLosses >= 1 else { throw ValidationError("--max-host-losses must be at least 1.") }
    }

    func bundlePolicy() throws -> BundlePolicy {
        switch bundle {
        case "auto": return .auto
        case "off": return .off
        default:
            guard let size = Int(bundle), size >= 1, size <= 10_000 else {
                throw ValidationError("--bundle must be auto, off or a number of jobs from 1, not '\(bundle)'.")
            }
            return size == 1 ? .off : .fixed(size)
        }
    }

    func run() async throws {
        let timer = SharedStepTimer(logger: logging.logger(label: "clustmake.run"))
        // Without JOBS, the graph redis holds in --namespace runs (read once redis is found below).
        let fileGraph = try graph.load()
        if let fileGraph {
            timer.done(
                "read the job graph", ["graph.jobs": "\(fileGraph.count)", "graph.edges": "\(fileGraph.edgeCount)"])
        }
        let given = try cluster.load(slurm: true)
        // A cluster file with a `slurm:` section runs on the nodes of the allocation this command is inside.
        let clusterFile = cluster.cluster ?? ""
        let reviewing = plan != nil
        let inAllocation = try given.slurm.map { slurm throws(InputError) in
            try Self.allocationRun(
                given, slurm: slurm, file: clusterFile, reviewed: reviewing,
                environment: RedisResolver.processEnvironment)
        }
        let reviewed = try plan.map { directory throws(InputError) in
            guard let fileGraph else {
                throw InputError(
                    .invalidValue, "--plan checks the reviewed plan against the graph file it was made from.",
                    fix: "Give the graph file too: clustmake run JOBS --plan \(directory).", subject: "--plan")
            }
            return try ReviewedPlan(directory: directory, graph: fileGraph, cluster: given)
        }
        var namespace =
            try fileGraph.map { self.graph.namespace(for: $0, jobs: self.graph.jobs ?? "") }
            ?? self.graph.pushedNamespace()
        if let reviewed {
            if let asked = self.graph.namespace, asked != reviewed.namespace {
                throw InputError(
                    .invalidValue, "the plan's job lines use namespace '\(reviewed.namespace)', not '\(asked)'.",
                    fix: "Leave out --namespace, or plan again.", subject: "--namespace")
            }
            namespace = reviewed.namespace
        }
        let resolver = RedisResolver(redis, cluster: given.redis, clusterFile: cluster.cluster)
        if let reviewed {
            // A reviewed plan for another redis is refused before the embedded redis is started for nothing.
            try await Self.checkRedis(of: reviewed, located: resolver.resolve(embedded: .locate), given: redis.redis)
        }
        // The job lines name `target.address`; every worker gets the password on its standard input.
        let target = try await resolver.resolve(embedded: .start)
        try await tunnelSafety.check(target, cluster: given)
        timer.done("reached redis")
        let graph: JobGraph
        if let fileGraph {
            graph = fileGraph
        } else {
            graph = try await Self.pushedGraph(namespace: namespace, endpoint: target.endpoint)
            timer.done("read the pushed graph", ["graph.jobs": "\(graph.count)", "graph.edges": "\(graph.edgeCount)"])
        }
        let directory: RunDirectory
        do { directory = try RunDirectory() } catch { throw CommandFailure(status: 1, error.message) }
        // Every job done and the graph the one redis holds: the run will start nothing, so it checks no host (one
        // that is down does not keep a finished run from saying so) and learns no cost (its plan is not kept).
        let more = reviewed?.more ?? jobLines.more
        let settled =
            more
            ? false
            : await Self.nothingToRun(graph, pushed: fileGraph != nil, namespace: namespace, endpoint: target.endpoint)
        // srun reports a node it cannot start a step on as it starts each line: the nodes are not checked first.
        let cluster: Cluster
        if let inAllocation {
            cluster = inAllocation.cluster
        } else if settled {
            cluster = given
        } else {
            cluster = try await checkedCluster(given, redis: target.endpoint, directory: directory)
        }
        if settled {
            timer.done("found every job done and the graph unchanged: no host checked, no cost learned")
        } else {
            timer.done("checked the hosts", ["cluster.hosts": "\(cluster.hosts.count)"])
        }
        // A reviewed plan runs on the hosts that passed; the jobs it put on the others run on the remaining slots.
        let runnable = reviewed.map { ReviewedPlan.runnable($0.plan, on: cluster) }
        if let runnable, !runnable.leftOut.isEmpty {
            CommandLineTool.writeError(
                "clustmake: the reviewed plan's \(Format.count(runnable.moved, "job")) on "
                    + runnable.leftOut.joined(separator: ", ") + " run on the other hosts' slots")
        }
        var costMap: [String: Double] = [:]
        if reviewed == nil && !history.noHistory && !settled {
            costMap = try await HistoryCosts.learn(
                graph: graph, cluster: cluster, namespace: history.costsFrom ?? namespace, endpoint: target.endpoint,
                explicit: history.costsFrom != nil, logger: logging.logger(label: "clustmake.run"))
            timer.done("read the costs of earlier runs", ["costs": "\(costMap.count)"])
        }
        let plan = runnable?.plan ?? Planner(costs: costMap).plan(graph, on: cluster)
        timer.done("planned", ["plan.makespan": "\(plan.makespan)", "plan.slots": "\(plan.slots.count)"])
        // Every worker, local or remote or on a node of an allocation, gets the password on its standard input (the
        // run writes it there) and logs in as the URL's user, if any.
        let settings = WorkerSettings(
            namespace: namespace, redis: inAllocation?.nodeRedis ?? target.address,
            more: reviewed?.more ?? jobLines.more, waitSeconds: reviewed?.waitSeconds ?? jobLines.waitSeconds,
            redisUser: target.endpoint.username)
        let scheduling = Scheduler.Configuration(
            haltOnFailure: onFailure == .haltOnFailure, maximumHostLosses: maxHostLosses,
            bundle: try bundlePolicy(),
            bundleTarget: stream
                ? Scheduler.Configuration.streamedBundleTarget : Scheduler.Configuration.lineBundleTarget,
            probeDelay: probeDelay, followPlan: reviewed != nil,
            // A line sent ahead runs even after a failure: never when the run is to stop at the first one.
            lookAhead: stream && lookAhead && onFailure != .haltOnFailure
                ? Scheduler.Configuration.streamedLookAhead : 0)
        var runOptions = RunOptions(
            plan: plan, settings: settings, endpoint: target.endpoint, scheduling: scheduling,
            output: json ? .json : .automatic, directory: directory, push: fileGraph != nil,
            allocation: inAllocation?.allocation, streams: stream)
        runOptions.step = { step in timer.done(step) }
        // `status`, `stats`, `report`, … and `cancel` in this directory default to this run.
        LastRun().write(namespace)
        let options = runOptions
        let report: RunReport
        do {
            report = try await DedicatedThread.run { () throws(DispatchError) -> RunReport in
                try Dispatcher(options: options).run()
            }
        } catch {
            throw CommandFailure(status: error.exitStatus, error.message)
        }
        if json {
            CommandLineTool.writeError(report.summary)
        } else {
            print(report.summary, terminator: "")
        }
        if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
    }

    /// Whether a run of `graph` in `namespace` starts nothing (unless asked to run done jobs again): every job is done
    /// and, when the run pushes `graph` (`pushed`), the namespace holds it already (the push writes nothing). `false`
    /// when redis cannot tell (no such namespace, an error: the run then meets it as before).
    static func nothingToRun(
        _ graph: JobGraph, pushed: Bool, namespace: String, endpoint: RedisEndpoint
    ) async -> Bool {
        let ids = graph.jobs.map(\.id)
        let answer = try? await DedicatedThread.run { () throws(StoreError) -> Bool in
            let store = try JobStore(endpoint: endpoint, namespace: namespace)
            if pushed, try !store.holds(graph, pushedBy: ClustmakeVersion.current) { return false }
            return try store.states(of: ids).allSatisfy { $0 == .done }
        }
        return answer ?? false
    }

    /// The graph redis holds in `namespace`, for a run without JOBS.
    /// - Throws: ``InputError`` (exit 2) when the namespace holds no graph; ``CommandFailure`` (exit 1) when redis
    ///   fails or the stored graph cannot be read.
    static func pushedGraph(namespace: String, endpoint: RedisEndpoint) async throws -> JobGraph {
        do {
            return try await DedicatedThread.run { () throws(StoreError) -> JobGraph in
                try JobStore(endpoint: endpoint, namespace: namespace).graph()
            }
        } catch  where error.code == .unknownNamespace {
            throw InputError(
                .invalidValue, "redis at \(endpoint) holds no graph in namespace '\(namespace)'.",
                fix: "Push it first (clustmake push JOBS --namespace \(namespace)), or give the graph file: "
                    + "clustmake run JOBS --namespace \(namespace).", subject: "--namespace")
        } catch {
            throw CommandFailure(status: 1, PushCommand.message(error, namespace: namespace))
        }
    }

    /// Throws unless the reviewed plan's job lines name the redis this run resolves to (`located`).
    /// - Parameter given: `--redis`, if given.
    private static func checkRedis(
        of reviewed: ReviewedPlan, located: RedisResolver.Target, given: String?
    ) throws(InputError) {
        guard located.address.description != reviewed.redis else { return }
        let here = located.isEmbedded ? " (the embedded redis of this directory)" : ""
        let fix =
            reviewed.redis.hasPrefix("unix:") && given == nil
            ? "Run it from the directory it was planned in (its embedded redis), give the --redis it was planned "
                + "with, or plan again here."
            : "Run with --redis \(reviewed.redis), or plan again."
        throw InputError(
            .invalidValue,
            "the plan's job lines reach redis at \(reviewed.redis), not \(located.address.description)\(here).",
            fix: fix, subject: "--redis")
    }

    /// The cluster with the hosts that pass the pre-run check (ssh, worker version, redis through the tunnel),
    /// each with the worker the check found (the configured one, else the one `clustmake hosts install`
    /// installed); hosts that fail are left out with a message. Local hosts are checked the same way, without ssh.
    private func checkedCluster(
        _ cluster: Cluster, redis endpoint: RedisEndpoint, directory: RunDirectory
    ) async throws -> Cluster {
        // A host whose master from an interrupted run still answers is reachable, and its tunnel ports are held by
        // that master (a fresh check would find them taken): the run uses that master.
        let hosts = cluster.hosts.filter { $0.isLocal || !directory.hasLiveMaster(for: $0) }
        guard !noCheck, !hosts.isEmpty else { return cluster }
        let checker = try HostChecker(redis: endpoint)
        let checks = await checker.check(hosts)
        for check in checks where check.usableHost == nil {
            let problems = check.failures.map(\.description).joined(separator: "; ")
            CommandLineTool.writeError("clustmake: host \(check.host.name) left out of the run: \(problems)")
        }
        let checked = HostCheck.usableCluster(cluster, checks: checks)
        guard !checked.hosts.isEmpty else {
            throw CommandFailure(
                status: 1, "no host passed the check; see the messages above, or `clustmake hosts check`")
        }
        return checked
    }
}
