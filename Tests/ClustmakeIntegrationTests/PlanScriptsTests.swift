import ClustmakeHosts
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The plan's scripts run as they are: README's review-then-run sequence, word for word, on the embedded default
/// and on the namespace test hosts, each checked in redis (every job done exactly once, after its dependencies).
@Suite struct PlanScriptsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// README's sequence: plan, run the scripts, look at the outcome.
    static let readmeLines = [
        "clustmake plan examples/hello.yaml", "sh plan/run-all.sh", "clustmake status --namespace hello",
    ]

    /// Runs the shell line `line` in `directory` with the built `clustmake` first on the `PATH`, as a user who
    /// installed it types it.
    static func shell(_ line: String, in directory: String) async throws -> Clustmake.Result {
        let output = try OutputFile.create("clustmake-sh-stdout", in: ["/tmp"]).get()
        defer { close(output) }
        let errors = try OutputFile.create("clustmake-sh-stderr", in: ["/tmp"]).get()
        defer { close(errors) }
        let ending = try await Spawn.run(
            ["/bin/sh", "-c", "PATH='\(HostsFixture.products)':$PATH; export PATH; \(line)"],
            standardOutput: .descriptor(output), standardError: .descriptor(errors), workingDirectory: directory,
            timeout: .seconds(300))
        func text(_ descriptor: Int32) -> String {
            String(decoding: OutputFile.head(descriptor, limit: Int.max), as: UTF8.self)
        }
        return Clustmake.Result(
            status: ending.status ?? ending.signal ?? -1, stdout: text(output), stderr: text(errors))
    }

    /// What the plan says to run next: its last line, after "then run: ".
    static func instruction(_ planOutput: String) throws -> String {
        let last = try #require(planOutput.split(separator: "\n").last.map(String.init))
        let range = try #require(last.range(of: "then run: "), "\(planOutput)")
        return String(last[range.upperBound...])
    }

    /// Stops the embedded redis under `directory`, if it runs.
    static func stopEmbeddedRedis(in directory: String) {
        if let pid = try? String(contentsOfFile: directory + "/.clustmake/redis/redis.pid", encoding: .utf8),
            let number = Int32(pid.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(number, SIGTERM)
        }
    }

    @Test("README's plan, sh plan/run-all.sh, status on the embedded default; then run --plan, and the scripts again")
    func readmeSequenceOnTheEmbeddedDefault() async throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(Self.readmeLines.joined(separator: "\n")), "README shows the sequence as tested")
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake-readme")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        defer { Self.stopEmbeddedRedis(in: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/examples", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Self.repository.appendingPathComponent("examples/hello.yaml").path,
            toPath: directory + "/examples/hello.yaml")

        let plan = try await Self.shell(Self.readmeLines[0], in: directory)
        try #require(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("pushed 6 jobs to namespace 'hello' at unix://"), "\(plan.stdout)")
        let next = try Self.instruction(plan.stdout)
        #expect(next == Self.readmeLines[1])
        let script = try String(contentsOfFile: directory + "/plan/hosts/localhost.sh", encoding: .utf8)
        #expect(script.contains("--redis_password_stdin"))
        #expect(script.contains(" <\(directory)/.clustmake/redis/password & wait $!"), "\(script)")
        #expect(!script.contains(try String(contentsOfFile: directory + "/.clustmake/redis/password", encoding: .utf8)))

        let scripts = try await Self.shell(next, in: directory)
        #expect(scripts.status == 0, "\(scripts.stdout)\(scripts.stderr)")
        let status = try await Self.shell(Self.readmeLines[2], in: directory)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("done 6"), "\(status.stdout)")
        let local = try LocalRedis(stateDirectory: directory + "/.clustmake")
        let record = try RunRecord(store: JobStore(endpoint: try local.endpoint(), namespace: "hello"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()

        // The reviewed plan runs through clustmake run too, with no --redis: the same embedded redis.
        let reviewed = try await Self.shell("clustmake run examples/hello.yaml --plan plan", in: directory)
        #expect(reviewed.status == 0, "\(reviewed.stdout)\(reviewed.stderr)")

        // From another directory (another embedded redis) the plan is refused, saying where to run it.
        try FileManager.default.createDirectory(atPath: directory + "/elsewhere", withIntermediateDirectories: true)
        defer { Self.stopEmbeddedRedis(in: directory + "/elsewhere") }
        let elsewhere = try await Self.shell(
            "clustmake run ../examples/hello.yaml --plan ../plan", in: directory + "/elsewhere")
        #expect(elsewhere.status == 2, "\(elsewhere.stderr)")
        #expect(elsewhere.stderr.contains("Run it from the directory it was planned in"), "\(elsewhere.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/elsewhere/.clustmake"), "no redis started there")

        // Run tomorrow: the embedded redis has stopped meanwhile; the scripts start it again, and every job is up
        // to date (nothing runs twice).
        let stop = try await Self.shell("clustmake redis stop", in: directory)
        #expect(stop.status == 0, "\(stop.stderr)")
        let again = try await Self.shell(next, in: directory)
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        let after = try RunRecord(store: JobStore(endpoint: try local.endpoint(), namespace: "hello"))
        after.expectEveryJobDoneOnce()
    }

    @Test("a REDISCLI_AUTH meant for another redis does not reach the embedded redis's workers, in scripts or run")
    func foreignPasswordInTheEnvironment() async throws {
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake-auth")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        defer { Self.stopEmbeddedRedis(in: directory) }
        try #"{"jobs": [{"id": "a", "command": "true"}, {"id": "b", "command": "true", "deps": ["a"]}]}"#.write(
            toFile: directory + "/jobs.json", atomically: true, encoding: .utf8)
        let plan = try await Self.shell("clustmake plan jobs.json", in: directory)
        try #require(plan.status == 0, "\(plan.stderr)")
        let scripts = try await Self.shell("REDISCLI_AUTH=not-this-one sh plan/run-all.sh", in: directory)
        #expect(scripts.status == 0, "\(scripts.stderr)")
        let run = try await Self.shell(
            "REDISCLI_AUTH=not-this-one clustmake run jobs.json --namespace again", in: directory)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let local = try LocalRedis(stateDirectory: directory + "/.clustmake")
        for namespace in ["jobs", "again"] {
            let record = try RunRecord(store: JobStore(endpoint: try local.endpoint(), namespace: namespace))
            record.expectEveryJobDoneOnce()
        }
    }

    static let graph = """
        jobs:
          - {id: a, command: "sleep 0.2", cost: 2}
          - {id: b, command: "sleep 0.1", cost: 1}
          - {id: c, command: "true", deps: [a], cost: 1}
          - {id: d, command: "true", deps: [a, b], cost: 3}
          - {id: e, command: "true", deps: [c, d], cost: 1}
          - {id: f, command: "sleep 0.1", cost: 1}
        """

    /// Runs the shell line `line` in the fixture's directory, with the built `clustmake` first on the `PATH`.
    static func shell(_ line: String, in fixture: RunFixture) throws -> SSHTestCluster.CommandResult {
        try fixture.cluster.start([
            "/bin/sh", "-c", "cd '\(fixture.directory)' && PATH='\(RunFixture.buildDirectory)':$PATH && \(line)",
        ]).wait(timeout: .seconds(120))
    }

    @Test("plan, sh plan/run-all.sh, status on namespace test hosts with a test redis")
    func sequenceOnTestHosts() throws {
        let fixture = try RunFixture()
        _ = try fixture.graphFile(Self.graph)
        _ = try fixture.clusterFile(processors: 2)
        let namespace = fixture.ns("sequence")
        let plan = try Self.shell(
            "clustmake plan jobs.yaml --cluster ../cluster.yaml \(try fixture.redisWithPasswordFile().joined(separator: " ")) "
                + "--namespace \(namespace)",
            in: fixture)
        try #require(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("pushed 6 jobs to namespace '\(namespace)'"), "\(plan.stdout)")
        let next = try Self.instruction(plan.stdout)
        #expect(next == "sh plan/run-all.sh")
        let scripts = try Self.shell(next, in: fixture)
        #expect(scripts.status == 0, "\(scripts.stdout)\(scripts.stderr)")
        let status = try Self.shell(
            "clustmake status --namespace \(namespace) --redis \(fixture.redisURL)", in: fixture)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("done 6"), "\(status.stdout)")
        let record = try RunRecord(store: try fixture.store("sequence"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        #expect(record.hostsUsed.count > 1, "the jobs ran on the test hosts: \(record.hostsUsed)")
    }

    @Test("on test hosts without --redis, the scripts reach the embedded redis and feed workers its password")
    func embeddedRedisOnTestHosts() throws {
        let fixture = try RunFixture()
        defer { Self.stopEmbeddedRedis(in: fixture.directory) }
        _ = try fixture.graphFile(Self.graph)
        _ = try fixture.clusterFile(processors: 2)
        let plan = try Self.shell(
            "clustmake plan jobs.yaml --cluster ../cluster.yaml --namespace embedded", in: fixture)
        try #require(plan.status == 0, "\(plan.stderr)")
        let host = try #require(fixture.cluster.hostNames.first)
        let script = try String(contentsOfFile: fixture.directory + "/plan/hosts/\(host).sh", encoding: .utf8)
        let passwordFile = fixture.directory + "/.clustmake/redis/password"
        #expect(script.contains("--redis_password_stdin"))
        #expect(script.contains(" <\(passwordFile) & wait $!"), "\(script)")
        let scripts = try Self.shell(try Self.instruction(plan.stdout), in: fixture)
        #expect(scripts.status == 0, "\(scripts.stdout)\(scripts.stderr)")
        let local = try LocalRedis(stateDirectory: fixture.directory + "/.clustmake")
        let record = try RunRecord(store: JobStore(endpoint: try local.endpoint(), namespace: "embedded"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
    }
}
