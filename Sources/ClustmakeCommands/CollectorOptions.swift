import ArgumentParser
import ClustmakeCollector
import ClustmakeInput
import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem

/// Which run the collector's commands read: its namespace and where its redis is.
///
/// Without `--namespace`, the run is the last one started in this directory (``LastRun``) when its redis has it,
/// else the only namespace in that redis; else the command asks for `--namespace` and lists the namespaces there
/// (exit status 2). docs/collector.md, "Which run".
struct CollectorOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The namespace of the run in redis (default: the last run started in this directory, else the only "
                + "namespace in redis).", valueName: "ns"))
    var namespace: String?

    @OptionGroup(title: "Redis") var redis: RedisOptions

    @OptionGroup(title: "Redis") var clusterRedis: ClusterRedisOptions
    /// The cluster file whose redis settings are the defaults.
    var cluster: String? { clusterRedis.cluster }

    func validate() throws {
        if let namespace, let problem = JobID.problem(with: namespace) {
            throw ValidationError(
                "--namespace '\(namespace)' is not valid: \(problem). Use only \(JobID.allowedDescription).")
        }
    }

    /// Everything recorded in the store's namespace (``ClustmakeStore/JobStore/snapshot()``), with a line on stderr
    /// for each record that could not be read as stored (``ClustmakeModel/NamespaceSnapshot/notes``): the
    /// collector's commands show the rest of the namespace and say which jobs were read with defaults.
    /// - Parameters:
    ///   - detail: How much to read.
    ///   - commands: Whether to read the jobs' command lines (only the attempt listings show them).
    static func snapshot(
        _ store: JobStore, _ detail: JobStore.SnapshotDetail = .everything, commands: Bool = false
    ) throws(StoreError) -> NamespaceSnapshot {
        let snapshot = try store.snapshot(detail, commands: commands)
        for note in snapshot.notes { CommandLineTool.writeError("clustmake: note: " + note) }
        return snapshot
    }

    /// The history of `snapshot`, its jobs and attempts converted on two cores
    /// (``ClustmakeCollector/RunHistory/building(_:)``), from the blocking thread that read it (a
    /// ``withStore(commandTimeout:_:)`` body); converted serially when that body runs on a task's thread because no
    /// thread could be made (the same history).
    static func history(_ snapshot: NamespaceSnapshot) -> RunHistory {
        DedicatedThread.awaiting({ await RunHistory.building(snapshot) }, onTask: { RunHistory(snapshot) })
    }

    /// Opens the namespace's store on a thread of its own and runs `body` there (redis calls block); the store's
    /// ``ClustmakeStore/JobStore/namespace`` is the one chosen (``namespace``, or by the rule of the type).
    /// - Throws: ``ClustmakeModel/InputError`` for an unknown namespace or job, or no `--namespace` and no one
    ///   namespace to default to (exit status 2); ``CommandFailure`` with status 1 when redis cannot be reached,
    ///   refuses, or holds another schema.
    func withStore<T: Sendable>(
        commandTimeout: Duration = .seconds(60), _ body: @escaping @Sendable (JobStore) throws(StoreError) -> T
    ) async throws -> T {
        let endpoint = try await self.endpoint()
        let given = namespace
        let remembered = given == nil ? LastRun().namespace() : nil
        let outcome: NamespaceChoice<T>
        do {
            outcome = try await DedicatedThread.run { () throws(StoreError) -> NamespaceChoice<T> in
                let connection = try JobStore.connect(to: endpoint, commandTimeout: commandTimeout)
                let namespace: String
                if let given {
                    namespace = given
                } else if let remembered,
                    try JobStore(connection: connection, namespace: remembered).schemaVersion() != nil
                {
                    namespace = remembered
                } else {
                    let all = try JobStore.namespaces(on: connection, limit: 1000)
                    guard all.count == 1 else { return .none(found: all) }
                    namespace = all[0]
                }
                return .chosen(try body(try JobStore(connection: connection, namespace: namespace)))
            }
        } catch {
            throw Self.failure(error)
        }
        switch outcome {
        case .chosen(let value): return value
        case .none(let found): throw Self.noNamespace(found: found, remembered: remembered, at: endpoint)
        }
    }

    /// What the choice of the namespace came to.
    private enum NamespaceChoice<T: Sendable>: Sendable {
        /// One was chosen, and this is what the command read from it.
        case chosen(T)
        /// None could be: these are the namespaces there.
        case none(found: [String])
    }

    /// The message when no `--namespace` was given and no one namespace could be chosen.
    static func noNamespace(found: [String], remembered: String?, at endpoint: RedisEndpoint) -> InputError {
        let last = remembered.map { " (the last run started here, '\($0)', is not there)" } ?? ""
        guard !found.isEmpty else {
            return InputError(
                .invalidValue, "no --namespace given, and redis at \(endpoint) has no namespace\(last).",
                fix: "Run or push a graph first (`clustmake run JOBS`), or pass --redis (or --cluster) to read the "
                    + "redis the run used.", subject: "--namespace")
        }
        let shown = found.prefix(20).joined(separator: ", ") + (found.count > 20 ? ", …" : "")
        return InputError(
            .invalidValue,
            "no --namespace given, and redis at \(endpoint) has \(Format.count(found.count, "namespace")): "
                + "\(shown)\(last).",
            fix: "Pass --namespace NS with one of them; `clustmake runs` lists them with their state.",
            subject: "--namespace")
    }

    /// Where the run's redis is (``RedisResolver``; the embedded redis when it was ever started here).
    func endpoint() async throws -> RedisEndpoint {
        try await Self.endpoint(redis: redis, cluster: cluster)
    }

    /// Where redis is for `--redis`, `--redis-password-file` and `--cluster` (``RedisResolver``; the embedded
    /// redis when it was ever started here).
    static func endpoint(redis: RedisOptions, cluster: String?) async throws -> RedisEndpoint {
        var settings = Cluster.Redis()
        if let cluster { settings = try ClusterLoader().load(path: cluster).redis }
        return try await RedisResolver(redis, cluster: settings, clusterFile: cluster).resolve(embedded: .ifPresent)
            .endpoint
    }

    /// A store error as the collector's commands report it.
    static func failure(_ error: StoreError) -> any Error {
        switch error.code {
        case .unknownNamespace:
            return InputError(
                .invalidValue, error.message + ".",
                fix: "List the namespaces with their state: clustmake runs (with the same --redis or --cluster).",
                subject: "--namespace")
        case .unknownJob, .invalidArgument:
            return InputError(.invalidValue, error.message + ".")
        case .schemaMismatch:
            return CommandFailure(status: 1, error.message)
        default:
            return CommandFailure(status: 1, error.description)
        }
    }
}

/// The plan of a run, for planned against actual (`--plan DIR`).
enum PlannedRunFile {
    /// Reads `DIR/plan.json` (or the file itself when `path` names a file).
    /// - Throws: ``ClustmakeModel/InputError`` naming the file.
    static func load(_ path: String, namespace: String) throws(InputError) -> PlannedRun {
        let file = path.hasSuffix(".json") ? path : (path.hasSuffix("/") ? path : path + "/") + "plan.json"
        let bytes: [UInt8]
        do {
            bytes = try FileContents.bytes(atPath: file)
        } catch {
            throw InputError(
                .unreadable, "cannot read the plan: \(JSONError(reading: error).message)",
                fix: "Pass the plan directory `clustmake plan` wrote for this run (it holds plan.json).", file: file)
        }
        let plan = try PlannedRun(document: bytes, file: file)
        guard plan.namespace == namespace else {
            throw InputError(
                .invalidValue, "the plan is for namespace '\(plan.namespace)', not '\(namespace)'.",
                fix: "Pass --namespace \(plan.namespace), or the plan directory of namespace '\(namespace)'.",
                file: file)
        }
        return plan
    }

    /// The plan to compare the run in `store` with, decoded on a task of its own while the caller reads the
    /// snapshot and builds the history from it (on two cores the decoding of a million jobs' plan then costs the
    /// command no time of its own): `--plan DIR` when `path` is given (``load(_:namespace:)``), else the plan
    /// `clustmake run` kept with the namespace (``stored(_:key:namespace:)``), whose bytes are read here first.
    /// - Throws: ``ClustmakeStore/StoreError`` when the stored plan cannot be read; the task throws what
    ///   ``load(_:namespace:)`` does.
    static func decoding(_ path: String?, from store: JobStore) throws(StoreError) -> Task<PlannedRun?, any Error> {
        let namespace = store.namespace
        if let path { return Task.detached { try load(path, namespace: namespace) } }
        let document = try store.plan()
        let key = store.planKey
        return Task.detached { stored(document, key: key, namespace: namespace) }
    }

    /// The plan `clustmake run` kept with the namespace (`compmake:{NS}:plan`, docs/redis-schema.md), or `nil`
    /// when there is none or it cannot be used (said on standard error: the rest of the output does not need it).
    static func stored(_ document: [UInt8]?, key: String, namespace: String) -> PlannedRun? {
        guard let document else { return nil }
        do throws(InputError) {
            let plan = try PlannedRun(document: document, file: key)
            guard plan.namespace == namespace else { return nil }
            return plan
        } catch {
            CommandLineTool.writeError(
                "clustmake: warning: the run's plan in \(key) cannot be read (\(error.message)); showing the run "
                    + "without it (pass --plan DIR to compare with a plan directory)")
            return nil
        }
    }
}
