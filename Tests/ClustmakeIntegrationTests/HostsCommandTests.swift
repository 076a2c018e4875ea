import ClustmakeHosts
import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

/// `clustmake hosts check|install` and `clustmake redis start|status|stop`, run as users run them.
@Suite struct HostsCommandTests {
    /// A cluster file for `cluster`, with settings per host replacing or adding to the defaults
    /// (`"h3": ["worker": "/x"]`).
    static func clusterFile(
        _ cluster: SSHTestCluster, worker: String, extra: [String: KeyValuePairs<String, String>] = [:]
    ) throws -> String {
        var text = "hosts:\n"
        for host in cluster.hostNames {
            var keys = ["host", "processors", "ssh_config", "worker"]
            var settings = ["host": host, "processors": "2", "ssh_config": cluster.sshConfigPath, "worker": worker]
            for (key, value) in extra[host] ?? [:] {
                if settings[key] == nil { keys.append(key) }
                settings[key] = value
            }
            text += "  \(host): {\(keys.map { "\($0): \(settings[$0]!)" }.joined(separator: ", "))}\n"
        }
        let path = cluster.directory + "/cluster.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A 0600 file holding `password`.
    static func passwordFile(_ password: String, in directory: String) throws -> String {
        let path = directory + "/redis-password"
        try (password + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        return path
    }

    @Test("hosts check prints one row per host with the failing checks and their reasons, and exits 1")
    func checkTable() async throws {
        let redis = try RedisServer(RedisServer.Options(password: "pw"))
        let cluster = try SSHTestCluster(hostNames: ["h1", "h2", "h3", "h4"])
        let file = try Self.clusterFile(
            cluster, worker: HostsFixture.worker,
            extra: ["h3": ["worker": "/opt/nothing/compmake"], "h4": ["nice": "-5"]])
        try cluster.kill(host: "h2")
        let password = try Self.passwordFile("pw", in: cluster.directory)
        let result = try await Clustmake.run([
            "hosts", "check", "--cluster", file, "--redis", "redis://127.0.0.1:\(redis.port)",
            "--redis-password-file", password,
        ])
        print(result.stdout)
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count >= 9, "\(result.stdout)")
        #expect(lines.first?.hasPrefix("HOST  SSH   WORKER  REDIS  NICE  DISK  DETAILS") == true)
        #expect(lines[1].hasPrefix("h1    ok    ok      ok     ok    ok    \(HostsFixture.worker); "))
        #expect(lines[2].hasPrefix("h2    FAIL  -       -      -     -     ssh: ssh could not connect to h2"))
        #expect(lines[3].hasPrefix("h3    ok    FAIL    -      ok    ok    worker: no worker of version"))
        #expect(lines[4].hasPrefix("h4    ok    ok      ok     FAIL  ok    nice: nice -n -5 is not allowed"))
        #expect(
            result.stdout.contains(
                "h3: worker: no worker of version \(ClustmakeVersion.current): "
                    + "/opt/nothing/compmake is not found"))
        #expect(result.stdout.contains("Fix: Run clustmake hosts install"))
        #expect(
            lines.last == "1 of 4 hosts passed (redis: redis://:***@127.0.0.1:\(redis.port)/0). "
                + "Left out of a run: h2, h3, h4.")
        #expect(!result.stdout.contains("pw@"))
    }

    @Test("hosts check --json gives every finding of every host")
    func checkJSON() async throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 2)
        let file = try Self.clusterFile(cluster, worker: HostsFixture.worker)
        let arguments = ["hosts", "check", "--cluster", file, "--redis", "127.0.0.1:\(redis.port)", "--json"]
        // A redis without a password is refused for remote hosts (docs/security.md) …
        let refused = try await Clustmake.run(arguments)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("lets clients in without a password"), "\(refused.stderr)")
        #expect(refused.stderr.contains("Fix: Give redis a password"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        // … unless the risk is accepted, with a warning.
        let result = try await Clustmake.run(arguments + ["--insecure-redis"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: --insecure-redis"), "\(result.stderr)")
        let json = try JSONValue.parse(result.stdout)
        #expect(json["format"]?.stringValue == "clustmake-hosts-check/1")
        #expect(json["passed"]?.intValue == 2)
        #expect(json["redis"]?.stringValue == "redis://127.0.0.1:\(redis.port)/0")
        #expect(json["embedded_redis"]?.boolValue == false)
        let hosts = try #require(json["hosts"]?.arrayValue)
        #expect(hosts.compactMap { $0["host"]?.stringValue } == ["h1", "h2"])
        for host in hosts {
            #expect(host["passed"]?.boolValue == true)
            #expect(host["worker"]?.stringValue == HostsFixture.worker)
            #expect(host["milliseconds"]?.intValue != nil)
            let checks = try #require(host["checks"]?.arrayValue)
            #expect(checks.compactMap { $0["check"]?.stringValue } == ["ssh", "worker", "redis", "nice", "disk"])
            #expect(checks.allSatisfy { $0["status"]?.stringValue == "passed" })
        }
    }

    @Test("hosts install copies the worker where it is missing or old, leaves the others, and the check then passes")
    func install() async throws {
        let redis = try RedisServer(RedisServer.Options(password: "pw"))
        let cluster = try SSHTestCluster(hosts: 3)
        let old = try HostsFixture.stubWorker(in: cluster.directory, version: "0.0.1")
        let file = try Self.clusterFile(
            cluster, worker: HostsFixture.worker, extra: ["h2": ["worker": "compmake"], "h3": ["worker": old]])
        // The installer copies this build's worker (--worker-binary): any clustmake worker of this version will do.
        let result = try await Clustmake.run([
            "hosts", "install", "--cluster", file, "--worker-binary", HostsFixture.worker,
        ])
        print(result.stdout)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        try #require(lines.count >= 5, "\(result.stdout)")
        #expect(lines[1].hasPrefix("h1    up to date  \(HostsFixture.worker)"))
        #expect(lines[2].hasPrefix("h2    installed   \(cluster.workDirectory(of: "h2"))/.local/share/clustmake/"))
        #expect(lines[3].hasPrefix("h3    installed   \(cluster.workDirectory(of: "h3"))/.local/share/clustmake/"))
        #expect(lines.last?.hasSuffix("to 2 of 3 hosts; 1 had it already.") == true)

        let check = try await Clustmake.run([
            "hosts", "check", "--cluster", file, "--redis", "127.0.0.1:\(redis.port)", "--redis-password-file",
            try Self.passwordFile("pw", in: cluster.directory),
        ])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("3 of 3 hosts passed"))
    }

    @Test("hosts install without a worker binary says how to build one; a bad --worker-binary is bad input")
    func installWithoutBinary() async throws {
        let cluster = try SSHTestCluster(hosts: 1)
        let file = try Self.clusterFile(cluster, worker: "compmake")
        let missing = try await Clustmake.run([
            "hosts", "install", "--cluster", file, "--worker-binary", "/nonexistent",
        ])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--worker-binary: the worker binary /nonexistent is not a file"))
        #expect(missing.stderr.contains("scripts/build-worker.sh"))
        let stub = try HostsFixture.stubWorker(in: cluster.directory, version: "0.0.1")
        let old = try await Clustmake.run(["hosts", "install", "--cluster", file, "--worker-binary", stub])
        #expect(old.status == 2)
        #expect(old.stderr.contains("is version 0.0.1, not \(ClustmakeVersion.current)"))
    }

    @Test("redis start, status and stop manage the embedded redis of the working directory; check uses it")
    func embeddedRedis() async throws {
        // A space in the path: the server's configuration must quote it.
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake hosts")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // However the test ends, no server is left behind (`redis stop` is tested below).
        defer {
            if let pid = try? String(contentsOfFile: directory + "/.clustmake/redis/redis.pid", encoding: .utf8),
                let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                kill(number, SIGTERM)
            }
        }
        let stopped = try await Clustmake.run(["redis", "status"], in: directory)
        #expect(stopped.status == 3)
        #expect(stopped.stdout.hasPrefix("redis is not running"))

        let start = try await Clustmake.run(["redis", "start"], in: directory)
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stdout.hasPrefix("Started redis (pid "))
        #expect(start.stdout.contains("unix socket \(directory)/.clustmake/redis/redis.sock"))
        let again = try await Clustmake.run(["redis", "start"], in: directory)
        #expect(again.stdout.hasPrefix("Already running: redis (pid "))

        let status = try await Clustmake.run(["redis", "status"], in: directory)
        #expect(status.status == 0)
        #expect(status.stdout.hasPrefix("redis runs: pid "))

        // Without --redis, hosts check uses the embedded redis (here with the embedded default cluster).
        let check = try await Clustmake.run(["hosts", "check"], in: directory)
        print(check.stdout)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("localhost  ok"))
        #expect(
            check.stdout.contains(
                "(redis: clustmake's embedded redis, unix://:***@\(directory)/.clustmake/redis/redis.sock)"))

        let stop = try await Clustmake.run(["redis", "stop"], in: directory)
        #expect(stop.stdout == "Stopped redis; its data stays in \(directory)/.clustmake/redis.\n")
        #expect(try await Clustmake.run(["redis", "status"], in: directory).status == 3)
    }

    @Test("without a redis address, push and run use this directory's embedded redis, and status and plan read it")
    func embeddedRedisForEveryCommand() async throws {
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake-resolver")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        defer {
            if let pid = try? String(contentsOfFile: directory + "/.clustmake/redis/redis.pid", encoding: .utf8),
                let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                kill(number, SIGTERM)
            }
        }
        try #"{"jobs": [{"id": "a", "command": "true"}, {"id": "b", "command": "true", "deps": ["a"]}]}"#.write(
            toFile: directory + "/jobs.json", atomically: true, encoding: .utf8)
        let socket = "unix://:***@\(directory)/.clustmake/redis/redis.sock"

        // push starts the embedded redis (it used to push to localhost:6379 instead).
        let push = try await Clustmake.run(["push", "jobs.json", "--namespace", "resolved"], in: directory)
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.contains("namespace 'resolved' at \(socket)"), "\(push.stdout)")

        // run finds the same server, and the graph it pushed there already.
        let run = try await Clustmake.run(["run", "jobs.json", "--namespace", "resolved"], in: directory)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")

        // The collector reads it.
        let status = try await Clustmake.run(["status", "--namespace", "resolved", "--json"], in: directory)
        #expect(status.status == 0, "\(status.stderr)")
        let json = try JSONValue.parse(Array(status.stdout.utf8))
        #expect(json["states"]?["done"]?.intValue == 2, "\(status.stdout)")

        // plan learns from it: an explicit --costs-from is an error when redis cannot be read.
        let plan = try await Clustmake.run(
            ["plan", "jobs.json", "--costs-from", "resolved", "--print", "-v"], in: directory)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stderr.contains("costs from earlier runs of namespace 'resolved': 2 jobs"), "\(plan.stderr)")

        // A password file alone means localhost:6379, not the embedded redis: accepted by plan too.
        let password = try Self.passwordFile("pw", in: directory)
        let lone = try await Clustmake.run(
            ["plan", "jobs.json", "--redis-password-file", password, "--print"], in: directory)
        #expect(lone.status == 0, "\(lone.stderr)")

        let stop = try await Clustmake.run(["redis", "stop"], in: directory)
        #expect(stop.status == 0)
    }
}

/// Runs the built `clustmake`.
enum Clustmake {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `clustmake arguments` in `directory` with standard input from /dev/null, with `environment` added to
    /// this process's; output through files. Waits
    /// without blocking a thread of the cooperative pool (the other tests' checks run there meanwhile), with
    /// ``ClustmakeSystem/Spawn``, clustmake's one process runner.
    static func run(
        _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]
    ) async throws -> Result {
        let path = HostsFixture.products + "/clustmake"
        try #require(
            FileManager.default.isExecutableFile(atPath: path),
            "\(path) is not built; run 'swift build --build-tests' before 'swift test'")
        let output = try OutputFile.create("clustmake-cli-stdout", in: ["/tmp"]).get()
        defer { close(output) }
        let errors = try OutputFile.create("clustmake-cli-stderr", in: ["/tmp"]).get()
        defer { close(errors) }
        let ending = try await Spawn.run(
            [path] + arguments, standardOutput: .descriptor(output), standardError: .descriptor(errors),
            environment: environment.isEmpty
                ? nil
                : ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" },
            workingDirectory: directory, timeout: .seconds(600))
        func text(_ descriptor: Int32) -> String {
            String(decoding: OutputFile.head(descriptor, limit: Int.max), as: UTF8.self)
        }
        return Result(status: ending.status ?? ending.signal ?? -1, stdout: text(output), stderr: text(errors))
    }

    /// A new directory `/tmp/PREFIX.XXXXXX`; the caller removes it.
    static func temporaryDirectory(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let path = try #require(made.map { String(cString: $0) }, "mkdtemp /tmp/\(prefix).XXXXXX")
        return path
    }
}
