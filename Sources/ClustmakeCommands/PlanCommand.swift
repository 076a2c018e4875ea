import ArgumentParser
import ClustmakeInput
import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Logging

/// `clustmake plan`: plan a job graph onto a cluster and write the per-host scripts for review.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan a job graph onto a cluster and write per-host launch scripts to review.",
        discussion: """
            Writes DIR (default plan/) all at once: hosts/<host>.sh for each host, run-all.sh, plan.json and \
            summary.txt. Nothing runs: review the scripts, then run 'sh DIR/run-all.sh' (or one host's script by \
            hand, by cron or by a queue). See docs/plan-directory.md.
            """)

    @OptionGroup(title: "Job graph") var graph: GraphOptions
    @OptionGroup(title: "Cluster") var cluster: ClusterOptions
    @OptionGroup(title: "Output") var logging: LoggingOptions

    /// Where the workers' redis is, as seen from this machine: written into the job lines, and read for learned
    /// costs (``RedisResolver``).
    @OptionGroup(title: "Redis") var redis: RedisOptions

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

    func run() async throws {
        var timer = StepTimer(logger: logging.logger(label: "clustmake.plan"))
        let (graph, source) = try graph.loadDescribed()
        timer.done(
            "read the job graph",
            ["graph.format": "\(source)", "graph.jobs": "\(graph.count)", "graph.edges": "\(graph.edgeCount)"])
        let cluster = try cluster.load()
        let resolver = RedisResolver(redis, cluster: cluster.redis, clusterFile: self.cluster.cluster)
        let redisAddress = try resolver.scriptAddress()
        var costMap: [String: Double] = [:]
        if !history.noHistory {
            costMap = try await HistoryCosts.learn(
                graph: graph, cluster: cluster, namespace: history.costsFrom ?? self.graph.namespace(for: graph),
                redis: resolver, explicit: history.costsFrom != nil, logger: timer.logger)
        }
        costMap.merge(try costs.map(loadCosts) ?? [:]) { $1 }
        timer.done("read the cluster", ["cluster.hosts": "\(cluster.hosts.count)", "costs": "\(costMap.count)"])
        let plan = Planner(costs: costMap, strategy: planner).plan(graph, on: cluster)
        timer.done("planned", ["plan.makespan": "\(plan.makespan)", "plan.lower_bound": "\(plan.lowerBound)"])
        let options = ScriptOptions(
            namespace: self.graph.namespace(for: graph), redis: redisAddress, more: jobLines.more,
            waitSeconds: jobLines.waitSeconds)
        let scriptTemplates = try templates.map(ScriptTemplates.init(overridingWith:)) ?? .builtIn
        let writer = try ScriptWriter(plan: plan, options: options, templates: scriptTemplates)
        timer.done("checked the script settings")
        if print {
            Swift.print(PlanTable(plan: plan).text, terminator: "")
            return
        }
        let written = try PlanDirectory(path: output).write(writer)
        timer.done("wrote the plan directory", ["files": "\(written.files.count)", "bytes": "\(written.bytes)"])
        Swift.print(report(plan: plan, written: written, namespace: writer.settings.namespace))
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

    private func report(plan: Plan, written: PlanDirectory.Written, namespace: String) -> String {
        let hosts = plan.cluster.hosts.count
        let ratio = plan.lowerBound > 0 ? plan.makespan / plan.lowerBound : 1
        return """
            Planned \(Format.count(plan.graph.count, "job")) on \(Format.count(hosts, "host")) \
            (\(Format.count(plan.slots.count, "slot"))), \
            namespace \(namespace).
            Estimated makespan \(Format.duration(plan.makespan)), lower bound \(Format.duration(plan.lowerBound)) \
            (\(Format.fixed(ratio, 2))x).
            Wrote \(written.path)/: \(Format.count(written.files.count, "file")). \
            Review \(written.path)/summary.txt and \
            \(written.path)/hosts/, then run: sh \(written.path)/run-all.sh
            """ + (written.leftover.map { "\nThe previous plan could not be removed: delete \($0)." } ?? "")
    }
}

extension Planner.Strategy: ExpressibleByArgument {}
