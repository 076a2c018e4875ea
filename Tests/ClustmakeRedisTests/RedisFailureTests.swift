import ClustmakeRedis
import ClustmakeTestSupport
import Glibc
import Testing

/// Timeouts, lost connections and recovery against a real redis-server per test.
@Suite struct RedisFailureTests {
    @Test("a command that blocks longer than the command timeout gives a timeout, then connectionLost until reconnect")
    func commandTimeout() throws {
        let server = try RedisServer()
        let redis = try server.connect(commandTimeout: .milliseconds(200))
        var caught: RedisError?
        let took = elapsed {
            caught = #expect(throws: RedisError.self) { try redis.command("BLPOP", "nothing", "5") }
        }
        let error = try #require(caught)
        #expect(error.code == .timeout)
        #expect(took >= .milliseconds(150) && took < .seconds(2), "took \(took)")
        #expect(error.message.contains("no reply to BLPOP"))
        #expect(error.message.contains("within 200 ms"))
        #expect(!redis.isConnected)

        let later = try #require(throws: RedisError.self) { try redis.command("PING") }
        #expect(later.code == .connectionLost)
        #expect(later.message.contains("call reconnect()"))
        #expect(later.message.contains("timeout"))

        try redis.reconnect()
        #expect(try redis.command("PING") == .status("PONG"))
    }

    @Test("a pipeline given its own timeout waits past the command timeout; the command timeout applies again after")
    func pipelineTimeout() throws {
        let server = try RedisServer()
        let redis = try server.connect(commandTimeout: .milliseconds(200))
        // BLPOP blocks 1 s, five times the command timeout: the longer bound of this pipeline lets it answer.
        let replies = try redis.pipeline([["BLPOP", "nothing", "1"], ["PING"]], timeout: .seconds(30))
        #expect(replies.count == 2 && replies[0].isNull && replies[1] == .status("PONG"))
        #expect(redis.isConnected)
        let error = try #require(throws: RedisError.self) { try redis.command("BLPOP", "nothing", "5") }
        #expect(error.code == .timeout && error.message.contains("within 200 ms"))
    }

    @Test("a killed server gives connectionLost; reconnect fails while it is down and works after restart")
    func killAndRestart() throws {
        let server = try RedisServer(.init(password: "Restart-Secret"))
        let redis = try RedisConnection(endpoint: server.endpoint.withDatabase(2))
        try redis.command("SET", "k", "before").expectOK()
        let port = server.port

        server.kill()
        let lost = try #require(throws: RedisError.self) { try redis.command("GET", "k") }
        #expect(lost.code == .connectionLost)
        #expect(lost.message.contains("closed the connection during GET"))
        let again = try #require(throws: RedisError.self) { try redis.command("GET", "k") }
        #expect(again.code == .connectionLost)

        let down = try #require(throws: RedisError.self) { try redis.reconnect() }
        #expect(down.code == .connectionRefused)
        #expect(try #require(throws: RedisError.self) { try redis.command("PING") }.code == .connectionLost)

        try server.restart()
        #expect(server.port == port)
        try redis.reconnect()
        #expect(try redis.command("GET", "k").isNull, "persistence is off, so the restarted server is empty")
        try redis.command("SET", "k", "after").expectOK()
        #expect(try server.connect(database: 2).command("GET", "k").expectString() == "after")
        for text in [lost.description, down.description] { #expect(!text.contains("Restart-Secret")) }
    }

    @Test("writing to a killed server fails with connectionLost instead of killing the process by SIGPIPE")
    func noSIGPIPE() throws {
        // Make SIGPIPE fatal as in a process that never ignored it; restore afterwards.
        let previous = signal(SIGPIPE, SIG_DFL)
        defer { signal(SIGPIPE, previous) }
        let server = try RedisServer()
        let redis = try server.connect()
        try redis.command("PING").expectStatus("PONG")
        server.kill()
        // 32 MiB does not fit the socket buffers: the first write draws a reset, the next one EPIPE.
        let big = RedisArgument([UInt8](repeating: 0x61, count: 32 << 20))
        let error = try #require(throws: RedisError.self) { try redis.command(["SET", "big", big]) }
        #expect(error.code == .connectionLost)
        var pending = sigset_t()
        sigpending(&pending)
        #expect(sigismember(&pending, SIGPIPE) == 0)
    }

    @Test("close() makes later calls fail with closed, and reconnect() opens again")
    func closeAndReconnect() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        redis.close()
        #expect(!redis.isConnected)
        let error = try #require(throws: RedisError.self) { try redis.command("PING") }
        #expect(error.code == .closed)
        #expect(error.message.contains("close()"))
        redis.close()
        try redis.reconnect()
        #expect(try redis.command("PING") == .status("PONG"))
    }

    @Test("a server-side client kill is reported as connectionLost and recovered by reconnect")
    func clientKilledByServer() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        try redis.command("CLIENT", "SETNAME", "victim").expectOK()
        let admin = try server.connect()
        #expect(try admin.command("CLIENT", "KILL", "SKIPME", "yes", "TYPE", "normal").expectInteger() >= 1)
        let error = try #require(throws: RedisError.self) { try redis.command("PING") }
        #expect(error.code == .connectionLost)
        try redis.reconnect()
        #expect(try redis.command("PING") == .status("PONG"))
    }
}
