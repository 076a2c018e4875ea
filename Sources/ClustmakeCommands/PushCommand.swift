import ArgumentParser
import ClustmakeInput
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import Logging

/// `clustmake push`: load a job graph into redis, where the workers read it.
struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Load a job graph into redis, where the workers read it.",
        discussion: """
            Writes the graph into the namespace as one transaction: all jobs or none. Pushing the same graph again \
            changes nothing. Pushing a changed graph reports what changed; a job whose command or dependencies \
            changed, and everything downstream of it, is no longer up to date and runs again. A push that would \
            change jobs running now is refused unless --force. See docs/redis-schema.md.
            """)

    @OptionGroup(title: "Job graph") var graph: GraphOptions
    @OptionGroup(title: "Redis") var redis: RedisOptions

    @OptionGroup(title: "Redis") var clusterRedis: ClusterRedisOptions
    /// The cluster file whose redis settings are the defaults.
    var cluster: String? { clusterRedis.cluster }

    @Flag(help: "Push even if jobs running now would change; their results will then not count as up to date.")
    var force = false

    @Flag(help: "Show what would change without writing anything.")
    var dryRun = false

    @OptionGroup(title: "Output") var logging: LoggingOptions

    func run() async throws {
        var timer = StepTimer(logger: logging.logger(label: "clustmake.push"))
        let graph = try self.graph.load()
        timer.done("read the job graph", ["graph.jobs": "\(graph.count)", "graph.edges": "\(graph.edgeCount)"])
        let namespace = self.graph.namespace(for: graph)
        var settings = Cluster.Redis()
        if let cluster { settings = try ClusterLoader().load(path: cluster).redis }
        let endpoint = try await RedisResolver(redis, cluster: settings, clusterFile: cluster)
            .resolve(embedded: .start).endpoint
        timer.done("reached redis")
        let force = force
        let dryRun = dryRun
        let report: PushReport
        do {
            report = try await DedicatedThread.run { () throws(StoreError) -> PushReport in
                let store = try JobStore(endpoint: endpoint, namespace: namespace)
                return try store.push(graph, force: force, dryRun: dryRun, pushedBy: ClustmakeVersion.current)
            }
        } catch {
            throw CommandFailure(status: 1, Self.message(error, namespace: namespace))
        }
        timer.done(
            dryRun ? "compared with the namespace" : "pushed the graph",
            ["push.created": "\(report.createdNamespace)", "push.wrote": "\(report.wrote)"])
        if !dryRun { LastRun().write(namespace) }
        print(Self.describe(report, at: endpoint, dryRun: dryRun), terminator: "")
    }

    /// The report, one line per kind of change.
    static func describe(_ report: PushReport, at endpoint: RedisEndpoint, dryRun: Bool) -> String {
        let place = "namespace '\(report.namespace)' at \(endpoint)"
        if report.isUnchanged {
            // A namespace pushed by a clustmake before definition copies gets them (docs/redis-schema.md).
            return
                "clustmake: \(place) already has this graph (\(Format.count(report.jobCount, "job"))); "
                + (report.wrote && !dryRun
                    ? "wrote the copies of its definitions that stats and report read.\n" : "nothing to push.\n")
        }
        let verb = dryRun ? "would push" : "pushed"
        var text = "clustmake: \(verb) \(Format.count(report.jobCount, "job")) to \(place)"
        text += report.createdNamespace ? " (a new namespace)\n" : "\n"
        for change in report.changes { text += "  \(change.line())\n" }
        if dryRun { text += "  (dry run: nothing was written)\n" }
        return text
    }

    static func message(_ error: StoreError, namespace: String) -> String {
        error.code == .pushRefused || error.code == .schemaMismatch ? error.message : error.description
    }
}
