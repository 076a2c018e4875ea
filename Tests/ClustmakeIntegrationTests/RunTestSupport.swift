import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A redis server and an ssh test cluster, with the built `clustmake` and `compmake` to run against them, and the
/// checks every `clustmake run` scenario makes in redis.
final class RunFixture {
    let redis: RedisServer
    let cluster: SSHTestCluster
    let directory: String

    /// The directory of the built executables (next to the test bundle).
    static let buildDirectory: String = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("clustmake").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.path
    }()

    /// A WfCommons instance of the workflows beside the repository (`../shared/data/workflows/NAME`).
    static func sharedWorkflow(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/data/workflows/\(name)").path
    }

    static var clustmake: String { buildDirectory + "/clustmake" }
    static var compmake: String { buildDirectory + "/compmake" }

    init(hosts: Int = 3, redis options: RedisServer.Options = RedisServer.Options()) throws {
        redis = try RedisServer(options)
        cluster = try SSHTestCluster(hosts: hosts)
        directory = cluster.directory + "/run"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o755)
        // The worker with short leases (3 s), so that jobs of a killed host are found lost quickly: the options
        // of compmake may come anywhere on its line.
        let wrapper = directory + "/compmake-short-lease"
        try "#!/bin/sh\nexec \(Self.compmake) --lease_ttl=3 --kill_grace=2 \"$@\"\n".write(
            toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
    }

    var worker: String { directory + "/compmake-short-lease" }

    var redisURL: String { "redis://127.0.0.1:\(redis.port)" }

    /// Writes a cluster file of the test hosts (ssh), `processors` slots each.
    func clusterFile(processors: Int = 2) throws -> String {
        try cluster.writeClusterFile(processors: processors, worker: worker)
    }

    /// Writes a job graph file.
    func graphFile(_ text: String, name: String = "jobs.yaml") throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts `clustmake ARGS` in a process group of its own.
    func start(_ arguments: [String]) throws -> SSHTestCluster.RunningCommand {
        try cluster.start([Self.clustmake] + arguments)
    }

    /// Runs `clustmake ARGS` to its end.
    func run(_ arguments: [String], timeout: Duration = .seconds(90)) throws -> SSHTestCluster.CommandResult {
        try start(arguments).wait(timeout: timeout)
    }

    /// A namespace unique to this test process: runs of one namespace of one redis exclude each other (their run
    /// lock and lease), and test processes may run side by side.
    func ns(_ base: String) -> String { "\(base)-\(getpid())" }

    /// The store of namespace ``ns(_:)`` of `base`.
    func store(_ base: String) throws -> JobStore {
        try JobStore(connection: try redis.connect(), namespace: ns(base))
    }

    /// Polls `condition` every 50 ms for up to `timeout`.
    func waitUntil(_ timeout: Duration = .seconds(30), _ condition: () throws -> Bool) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            usleep(50_000)
        }
        return try condition()
    }
}

/// What redis says about a namespace after a run: each job's state, its attempts, and the order of starts and
/// completions.
struct RunRecord {
    let graph: JobGraph
    let states: [String: JobState]
    let attempts: [String: [AttemptRecord]]
    let statuses: [String: JobStatus]

    init(store: JobStore) throws {
        graph = try store.graph()
        states = try store.states()
        var attempts: [String: [AttemptRecord]] = [:]
        var statuses: [String: JobStatus] = [:]
        for job in graph.jobs {
            attempts[job.id] = try store.attempts(of: job.id)
            statuses[job.id] = try store.status(of: job.id)
        }
        self.attempts = attempts
        self.statuses = statuses
    }

    /// Every job done, by exactly one succeeded attempt; other attempts only lost or interrupted ones (never a
    /// second success).
    func expectEveryJobDoneOnce(sourceLocation: SourceLocation = #_sourceLocation) {
        for job in graph.jobs {
            #expect(
                states[job.id] == .done, "\(job.id) is \(states[job.id].map(\.rawValue) ?? "?")",
                sourceLocation: sourceLocation)
            let succeeded = attempts[job.id, default: []].filter { $0.state == .succeeded }
            #expect(
                succeeded.count == 1, "\(job.id) succeeded \(succeeded.count) times", sourceLocation: sourceLocation)
            let others = attempts[job.id, default: []].filter { $0.state != .succeeded }
            #expect(
                others.allSatisfy { $0.state == .lost || $0.state == .interrupted },
                "\(job.id): \(others.map(\.state))", sourceLocation: sourceLocation)
        }
    }

    /// No attempt started before every dependency's done attempt ended (by redis's own sequence numbers); with
    /// `number`, only that attempt of each job is checked (the rounds before it ran before the dependencies' last).
    func expectDependencyOrder(ofAttempt number: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        for job in graph.jobs {
            for attempt in attempts[job.id, default: []] where number == nil || attempt.number == number {
                guard let start = attempt.fields["start_seq"].flatMap(Int.init) else { continue }
                for dep in job.deps {
                    let done = statuses[dep]?.fields["done_seq"].flatMap(Int.init)
                    #expect(
                        done != nil && done! < start,
                        "\(job.id) attempt \(attempt.number) started (seq \(start)) before \(dep) was done (\(done.map(String.init) ?? "never"))",
                        sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// The hosts that ran succeeded attempts.
    var hostsUsed: Set<String> {
        Set(attempts.values.flatMap { $0.filter { $0.state == .succeeded }.map(\.host) })
    }
}
