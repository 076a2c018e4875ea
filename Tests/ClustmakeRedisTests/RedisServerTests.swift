import ClustmakeRedis
import ClustmakeTestSupport
import Foundation
import Testing

/// The test helper itself: start, restart, stop, and failing loudly.
@Suite struct RedisServerTests {
    @Test("a server starts in its own directory with a log, persistence off, and stops cleanly")
    func startAndStop() throws {
        let server = try RedisServer()
        #expect(server.isRunning)
        #expect(server.directory.hasPrefix("/tmp/clustmake-redis."))
        let redis = try server.connect()
        #expect(try redis.command("CONFIG", "GET", "save").expectArray() == [.bulk(Array("save".utf8)), .bulk([])])
        #expect(try redis.command("CONFIG", "GET", "appendonly").expectArray().last == .bulk(Array("no".utf8)))
        #expect(try redis.command("CONFIG", "GET", "dir").expectArray().last?.string == server.directory)
        #expect(server.logTail().contains("Ready to accept connections"))

        server.stop()
        #expect(!server.isRunning)
        #expect(!FileManager.default.fileExists(atPath: server.directory))
        server.stop()
        let error = try #require(throws: RedisServerError.self) { try server.restart() }
        #expect(error.message.contains("after stop()"))
    }

    @Test("restart() keeps the port and comes back as a new process")
    func restartKeepsPort() throws {
        let server = try RedisServer(.init(unixSocket: true))
        let firstPID = try #require(server.pid)
        try server.restart()
        #expect(try #require(server.pid) != firstPID)
        let redis = try server.connect()
        #expect(try redis.command("PING") == .status("PONG"))
        let viaSocket = try RedisConnection(endpoint: try #require(server.unixEndpoint))
        #expect(try viaSocket.command("PING") == .status("PONG"))
        server.kill()
        #expect(!server.isRunning)
        try server.restart()
        #expect(try server.connect().command("PING") == .status("PONG"))
    }

    @Test("servers started at the same time get distinct ports")
    func parallelServers() async throws {
        let ports = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let server = try RedisServer()
                    let port = server.port
                    _ = try server.connect().command("PING")
                    return port
                }
            }
            return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
        }
        #expect(ports.count == 4)
    }

    @Test("a missing redis-server fails loudly, naming the Debian package")
    func missingBinary() throws {
        let error = try #require(throws: RedisServerError.self) {
            try RedisServer(.init(executable: "/nonexistent/bin/redis-server"))
        }
        #expect(error.message.contains("Install the Debian package redis-server"))
        #expect(error.message.contains("/nonexistent/bin/redis-server"))
    }

    @Test("a server that cannot start reports its exit and the log tail")
    func badConfiguration() throws {
        let error = try #require(throws: RedisServerError.self) {
            try RedisServer(.init(extraArguments: ["--no-such-directive", "1"]))
        }
        #expect(error.message.contains("exited during start-up"))
        #expect(error.logTail.contains("no-such-directive"))
    }
}
