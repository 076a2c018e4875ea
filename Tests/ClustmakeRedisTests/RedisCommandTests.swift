import ClustmakeRedis
import ClustmakeTestSupport
import Testing

/// Commands, replies and pipelines against a real redis-server per test.
@Suite struct RedisCommandTests {
    @Test("keys and values with every byte value, NUL and invalid UTF-8 round trip unchanged")
    func binarySafety() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        let everyByte = (0...255).map(UInt8.init)
        let withNUL: [UInt8] = Array("a\0b\0".utf8) + [0]
        let notUTF8: [UInt8] = [0xC3, 0x28, 0xFF, 0xFE, 0x80]
        for (index, value) in [everyByte, withNUL, notUTF8, []].enumerated() {
            let key = RedisArgument(Array("bin:\(index):".utf8) + value)
            try redis.command(["SET", key, RedisArgument(value)]).expectOK()
            #expect(try redis.command(["GET", key]).expectBytes() == value)
            #expect(try redis.command(["STRLEN", key]).expectInteger() == Int64(value.count))
        }
        let keys = try redis.command("KEYS", "bin:*").expectArray().compactMap(\.bytes)
        #expect(Set(keys).contains(Array("bin:0:".utf8) + everyByte))
    }

    @Test("status, error, integer, bulk, null and nested array replies arrive as their cases")
    func everyReplyType() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        #expect(try redis.command("SET", "s", "v") == .status("OK"))
        #expect(try redis.command("INCRBY", "n", "-5") == .integer(-5))
        #expect(try redis.command("GET", "s") == .bulk(Array("v".utf8)))
        #expect(try redis.command("SET", "empty", "") == .status("OK"))
        #expect(try redis.command("GET", "empty") == .bulk([]))
        #expect(try redis.command("GET", "missing") == .null)
        #expect(try redis.command("LRANGE", "missing", "0", "-1") == .array([]))
        #expect(try redis.command("RPUSH", "list", "a", "b").expectInteger() == 2)
        #expect(try redis.command("LRANGE", "list", "0", "-1") == .array([.bulk([97]), .bulk([98])]))

        // Mixed and nested: EXEC returns each queued command's reply, including an error.
        #expect(try redis.command("MULTI") == .status("OK"))
        #expect(try redis.command("INCR", "counter") == .status("QUEUED"))
        #expect(try redis.command("LPOP", "s") == .status("QUEUED"))
        #expect(try redis.command("LRANGE", "list", "0", "-1") == .status("QUEUED"))
        #expect(try redis.command("GET", "missing") == .status("QUEUED"))
        let exec = try redis.command("EXEC").expectArray()
        #expect(exec.count == 4)
        #expect(exec[0] == .integer(1))
        #expect(exec[1].errorMessage?.hasPrefix("WRONGTYPE") == true)
        #expect(exec[2] == .array([.bulk([97]), .bulk([98])]))
        #expect(exec[3] == .null)
        let nested = try redis.command("EVAL", "return {1, {'x', {2}}, redis.status_reply('FINE')}", "0")
        #expect(nested == .array([.integer(1), .array([.bulk([120]), .array([.integer(2)])]), .status("FINE")]))
    }

    @Test("a server error reply is thrown as a server error naming the command, and the connection stays usable")
    func serverErrorReply() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        try redis.command("SET", "s", "text").expectOK()
        let error = try #require(throws: RedisError.self) { try redis.command("INCR", "s") }
        #expect(error.code == .server)
        #expect(error.serverMessage == "ERR value is not an integer or out of range")
        #expect(error.message.contains("replied with an error to INCR"))
        #expect(error.message.contains("redis://127.0.0.1:\(server.port)/0"))
        #expect(redis.isConnected)
        #expect(try redis.command("PING") == .status("PONG"))
    }

    @Test("integer and double arguments are sent in forms redis parses")
    func numericArguments() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        #expect(try redis.command(["INCRBY", "n", RedisArgument(41)]).expectInteger() == 41)
        #expect(try redis.command(["INCRBY", "n", 1]).expectInteger() == 42)
        #expect(try redis.command(["INCRBYFLOAT", "f", RedisArgument(2.5)]).expectString() == "2.5")
        #expect(try redis.command(["INCRBYFLOAT", "f", RedisArgument(1e-5)]).expectString() == "2.50001")
        #expect(try redis.command(["ZADD", "z", RedisArgument(-Double.infinity), "low"]).expectInteger() == 1)
        #expect(try redis.command("ZSCORE", "z", "low").expectString() == "-inf")
    }

    @Test("a pipeline of 10,000 commands returns 10,000 replies in order")
    func pipelineTenThousand() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        let commands: [[RedisArgument]] = (1...10_000).map { _ in ["INCR", "counter"] }
        let replies = try redis.pipeline(commands)
        #expect(replies.count == 10_000)
        #expect(replies == (1...10_000).map { RedisReply.integer(Int64($0)) })

        let writes: [[RedisArgument]] = (0..<10_000).map { ["SET", RedisArgument("k\($0)"), RedisArgument("v\($0)")] }
        #expect(try redis.pipeline(writes).allSatisfy { $0 == .status("OK") })
        let reads = try redis.pipeline((0..<10_000).map { ["GET", RedisArgument("k\($0)")] })
        #expect(reads.map(\.string) == (0..<10_000).map { "v\($0)" })
    }

    @Test("error replies inside a pipeline come back as .error values in their place")
    func pipelineErrorsAreValues() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        let replies = try redis.pipeline([["SET", "s", "x"], ["INCR", "s"], ["NOSUCH"], ["GET", "s"]])
        #expect(replies.count == 4)
        #expect(replies[0] == .status("OK"))
        #expect(replies[1] == .error("ERR value is not an integer or out of range"))
        #expect(replies[2].errorMessage?.hasPrefix("ERR unknown command 'NOSUCH'") == true)
        #expect(replies[3] == .bulk(Array("x".utf8)))
        #expect(try redis.pipeline([]) == [])
    }

    @Test("an empty command is rejected without sending anything")
    func emptyCommand() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        let single = try #require(throws: RedisError.self) { try redis.command([]) }
        #expect(single.code == .invalidArgument)
        let inPipeline = try #require(throws: RedisError.self) { try redis.pipeline([["PING"], []]) }
        #expect(inPipeline.code == .invalidArgument)
        #expect(inPipeline.message.contains("command 2 of 2 is empty"))
        #expect(try redis.command("PING") == .status("PONG"))
    }
}
