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
    static var buildDirectory: String { BuildProducts.directory }

    /// A WfCommons instance of the workflows beside the repository (`../shared/data/workflows/NAME`).
    static func sharedWorkflow(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/data/workflows/\(name)").path
    }

    static var clustmake: String { BuildProducts.clustmake }
    static var compmake: String { BuildProducts.compmake }

    /// The password of a fixture's redis unless a test gives its own options: remote hosts are refused a redis
    /// without one (docs/security.md).
    static let password = "fixture-\(UInt32.random(in: 0...UInt32.max))"

    init(hosts: Int = 3, redis options: RedisServer.Options = .init(password: RunFixture.password)) throws {
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

    /// The redis URL, with the password when the server has one (run gives it to every worker on stdin).
    var redisURL: String {
        "redis://\(redis.options.password.map { ":\($0)@" } ?? "")127.0.0.1:\(redis.port)"
    }

    /// A 0600 file holding the redis password, for `--redis-password-file` (a plan's scripts read it).
    func passwordFile() throws -> String {
        let path = directory + "/redis-password"
        try ((redis.options.password ?? "") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    /// `--redis URL --redis-password-file FILE`: how a plan whose scripts run later gets the password to its job
    /// lines (each reads the file as its standard input; a password in the URL has no file to name).
    func redisWithPasswordFile() throws -> [String] {
        ["--redis", "redis://127.0.0.1:\(redis.port)", "--redis-password-file", try passwordFile()]
    }

    /// Writes a cluster file of the test hosts (ssh), `processors` slots each, with a top-level `tunnel:` when
    /// given.
    func clusterFile(processors: Int = 2, tunnel: String? = nil) throws -> String {
        let path = try cluster.writeClusterFile(processors: processors, worker: worker)
        if let tunnel {
            let text = cluster.clusterYAML(processors: processors, worker: worker) + "tunnel: \(tunnel)\n"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return path
    }

    /// Writes a job graph file.
    func graphFile(_ text: String, name: String = "jobs.yaml") throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A graph of one job, `hold`, for h1: it creates `started` in h1's work directory (which the job's user may
    /// write to), then runs until `gate` exists there.
    func holdGraph() throws -> (graph: String, started: String, gate: String) {
        let started = cluster.workDirectory(of: "h1") + "/started"
        let gate = cluster.workDirectory(of: "h1") + "/go"
        let graph = try graphFile(
            """
            jobs:
              - {id: hold, command: "touch \(started); while [ ! -e \(gate) ]; do sleep 0.05; done"}
            """)
        return (graph, started, gate)
    }

    /// Starts `clustmake ARGS` in a process group of its own.
    func start(_ arguments: [String]) throws -> SSHTestCluster.RunningCommand {
        try cluster.start([Self.clustmake] + arguments)
    }

    /// Runs `clustmake ARGS` to its end.
    func run(_ arguments: [String], timeout: Duration = .seconds(90)) throws -> SSHTestCluster.CommandResult {
        try start(arguments).wait(timeout: timeout)
    }

    /// A namespace unique to this fixture (the test process and its redis's port): runs of a namespace exclude each
    /// other on this machine (their run lock), and `cancel --namespace` sees every run of it here, whatever its
    /// redis, so two tests that ran "cancel" at once in one process would stop each other's runs.
    func ns(_ base: String) -> String { "\(base)-\(getpid())-\(redis.port)" }

    /// The store of namespace ``ns(_:)`` of `base`.
    func store(_ base: String) throws -> JobStore {
        try JobStore(connection: try redis.connect(), namespace: ns(base))
    }

    /// The processes on `host` whose name (`/proc/PID/comm`) starts with `prefix`: `sleep`, `compmake`, `sshd`.
    func processes(on host: String, named prefix: String) throws -> [pid_t] {
        try cluster.pids(host: host).filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix(prefix) == true
        }
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

extension RunRecord {
    /// Every job done, by exactly one succeeded attempt (``RunRecord/doneOnceProblems()``).
    func expectEveryJobDoneOnce(sourceLocation: SourceLocation = #_sourceLocation) {
        for problem in doneOnceProblems() { Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation) }
    }

    /// No attempt started before its dependencies were done (``RunRecord/dependencyOrderProblems(ofAttempt:)``).
    func expectDependencyOrder(ofAttempt number: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        for problem in dependencyOrderProblems(ofAttempt: number) {
            Issue.record(Comment(rawValue: problem), sourceLocation: sourceLocation)
        }
    }
}
