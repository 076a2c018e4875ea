import ClustmakeTestSupport
import Foundation
import Testing

/// What another user of a host reaches through a run's tunnel (docs/security.md): a stranger logged in on a host
/// where the test user's job runs connects to the tunnel's port on that host's loopback.
@Suite struct TunnelNeighbourTests {
    /// Runs one job on h1 that holds its tunnel open until told to end, lets `neighbour` try to read the store
    /// through the tunnel's port meanwhile, and returns what the neighbour got.
    static func neighbourLook(
        redis: RedisServer.Options, extra: [String] = [], neighbour: SSHTestCluster.Neighbour
    ) async throws -> SSHTestCluster.CommandResult {
        let fixture = try RunFixture(hosts: 1, redis: redis)
        let (graph, started, gate) = try fixture.holdGraph()
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", fixture.redisURL,
                "--namespace", "held",
            ] + extra)
        // However the test ends, the job is let go and the run waited for.
        defer {
            _ = FileManager.default.createFile(atPath: gate, contents: nil)
            _ = try? run.wait(timeout: .seconds(60))
        }
        try await TestWait.forFile(started, timeout: .seconds(60))
        // Slot 0's tunnel: port 13000 on h1's loopback.
        let look = try neighbour.run(
            "redis-cli -p 13000 --no-auth-warning DBSIZE; redis-cli -p 13000 --no-auth-warning "
                + "HGET 'compmake:{held}:job:hold' shell",
            on: "h1", of: fixture.cluster)
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let result = try run.wait(timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        return look
    }

    @Test("another user of a host meets a login through the tunnel; with --insecure-redis and no password, the data")
    func anotherUserOfTheHost() async throws {
        let neighbour = try SSHTestCluster.Neighbour()
        let protected = try await Self.neighbourLook(
            redis: RedisServer.Options(password: RunFixture.password), neighbour: neighbour)
        #expect(protected.stdout.contains("NOAUTH"), "\(protected.stdout)\(protected.stderr)")
        #expect(!protected.stdout.contains("touch "), "\(protected.stdout)")
        // The same look at a redis without a password, which only --insecure-redis lets remote hosts reach: the
        // neighbour reads the store (so the check above can fail).
        let open = try await Self.neighbourLook(
            redis: RedisServer.Options(), extra: ["--insecure-redis"], neighbour: neighbour)
        let lines = open.stdout.split(separator: "\n")
        #expect(lines.first.flatMap { Int($0) }.map { $0 > 0 } == true, "\(open.stdout)\(open.stderr)")
        #expect(open.stdout.contains("touch "), "the job's command: \(open.stdout)")
        #expect(!open.stdout.contains("NOAUTH"), "\(open.stdout)")
    }
}
