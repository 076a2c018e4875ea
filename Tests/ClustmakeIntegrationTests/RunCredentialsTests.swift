import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// How `clustmake run` gives workers the redis password, and what jobs get of it (docs/security.md): every worker,
/// local or remote, reads the password on its standard input; no job inherits anything that leads to redis.
@Suite struct RunCredentialsTests {
    /// A graph whose jobs print their environment twice: as the shell sees it, and as the kernel gave it at exec.
    static let environmentGraph = """
        jobs:
          - {id: a, command: "env; echo ---; tr '\\\\0' '\\\\n' < /proc/self/environ; cat"}
          - {id: b, command: "env; echo ---; tr '\\\\0' '\\\\n' < /proc/self/environ; cat", deps: [a]}
        """

    /// The variables through which a worker could find a password.
    static let passwordVariables = ["REDISCLI_AUTH", "CLUSTMAKE_REDIS_PASSWORD_FILE"]

    /// Expects that the run of `namespace` succeeded, ran every job once on `hosts`, and that every job printed
    /// its environment with none of `leaks` in it.
    static func expectRun(
        _ result: SSHTestCluster.CommandResult, of fixture: RunFixture, namespace: String, hosts: Set<String>,
        leaks: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))", sourceLocation: sourceLocation)
        let store = try JobStore(connection: try fixture.redis.connect(), namespace: namespace)
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce(sourceLocation: sourceLocation)
        #expect(record.hostsUsed == hosts, sourceLocation: sourceLocation)
        for job in ["a", "b"] {
            let output = String(
                decoding: try #require(try store.output(of: job, attempt: 1, .stdout), sourceLocation: sourceLocation),
                as: UTF8.self)
            #expect(output.contains("CLUSTMAKE_JOB=\(job)"), "\(output)", sourceLocation: sourceLocation)
            for leak in leaks {
                #expect(!output.contains(leak), "\(leak) reached job \(job): \(output)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a user's password-protected redis in --redis: local workers log in (stdin) and jobs get nothing of it")
    func localWorkersWithTheUsersPassword() throws {
        let password = "pw-\(UInt32.random(in: 0...UInt32.max))"
        let fixture = try RunFixture(hosts: 1, redis: RedisServer.Options(password: password))
        let graph = try fixture.graphFile(Self.environmentGraph)
        let passwordFile = fixture.directory + "/password"
        try (password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o600)
        // The run's own environment holds both variables a worker could read a password from: neither reaches a job.
        let environment = [
            "/usr/bin/env", "REDISCLI_AUTH=\(password)", "CLUSTMAKE_REDIS_PASSWORD_FILE=\(passwordFile)",
            RunFixture.clustmake,
        ]
        let url = "redis://:\(password)@127.0.0.1:\(fixture.redis.port)/0"
        let result = try fixture.cluster.start(environment + ["run", graph, "--redis", url, "--namespace", "url"])
            .wait(timeout: .seconds(90))
        try Self.expectRun(
            result, of: fixture, namespace: "url", hosts: ["localhost"],
            leaks: Self.passwordVariables + [password, passwordFile])

        // The same with the password in a file (--redis-password-file).
        let fromFile = try fixture.run(["run", graph, "--namespace", "file"] + fixture.redisWithPasswordFile())
        try Self.expectRun(
            fromFile, of: fixture, namespace: "file", hosts: ["localhost"],
            leaks: Self.passwordVariables + [password, try fixture.passwordFile()])
    }

    @Test("on a remote host the worker gets the password over the session and its jobs get nothing of it")
    func remoteJobsGetNothing() throws {
        let password = "pw-\(UInt32.random(in: 0...UInt32.max))"
        let fixture = try RunFixture(hosts: 1, redis: RedisServer.Options(password: password))
        let graph = try fixture.graphFile(Self.environmentGraph)
        let url = "redis://:\(password)@127.0.0.1:\(fixture.redis.port)/0"
        let result = try fixture.run([
            "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", url, "--namespace", "remote",
        ])
        try Self.expectRun(
            result, of: fixture, namespace: "remote", hosts: ["h1"], leaks: Self.passwordVariables + [password])
    }

    @Test("a redis without a password is refused for remote hosts (exit 2, nothing pushed); --insecure-redis warns")
    func openRedisRefusedForRemoteHosts() throws {
        let fixture = try RunFixture(hosts: 1, redis: RedisServer.Options())
        let graph = try fixture.graphFile(Self.environmentGraph)
        let arguments = [
            "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", fixture.redisURL,
            "--namespace", "open",
        ]
        let refused = try fixture.run(arguments)
        #expect(refused.status == 2, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("lets clients in without a password"), "\(refused.stderr)")
        #expect(refused.stderr.contains("the remote hosts (h1)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("Fix: Give redis a password"), "\(refused.stderr)")
        #expect(try fixture.redis.connect().command("DBSIZE").expectInteger() == 0, "nothing pushed")
        let accepted = try fixture.run(arguments + ["--insecure-redis"])
        #expect(accepted.stderr.contains("warning: --insecure-redis"), "\(accepted.stderr)")
        try Self.expectRun(accepted, of: fixture, namespace: "open", hosts: ["h1"], leaks: Self.passwordVariables)
        // Every run warns, a resumed one too.
        let again = try fixture.run(arguments + ["--insecure-redis"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("warning: --insecure-redis"), "\(again.stderr)")
    }
}
