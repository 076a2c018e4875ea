import ClustmakeRedis
import Testing

@Suite struct RedisReplyTests {
    @Test("typed accessors return the value for their case and nil for the others")
    func accessors() {
        let bulk = RedisReply.bulk(Array("héllo".utf8))
        #expect(bulk.string == "héllo")
        #expect(bulk.bytes == Array("héllo".utf8))
        #expect(bulk.integer == nil && bulk.array == nil && !bulk.isNull && !bulk.isError)

        let notUTF8 = RedisReply.bulk([0xFF, 0xFE, 0x00])
        #expect(notUTF8.string == nil)
        #expect(notUTF8.bytes == [0xFF, 0xFE, 0x00])

        #expect(RedisReply.status("OK").string == "OK")
        #expect(RedisReply.status("OK").bytes == Array("OK".utf8))
        #expect(RedisReply.integer(-7).integer == -7)
        #expect(RedisReply.array([.null]).array == [.null])
        #expect(RedisReply.null.isNull)
        #expect(RedisReply.null.string == nil)
        #expect(RedisReply.error("ERR x").errorMessage == "ERR x")
        #expect(RedisReply.error("ERR x").string == nil)
        #expect(RedisReply.error("ERR x").isError)
    }

    @Test("expect helpers return values for the expected reply and throw unexpectedReply otherwise")
    func expectHelpers() throws {
        try RedisReply.status("OK").expectOK()
        try RedisReply.status("PONG").expectStatus("PONG")
        #expect(try RedisReply.integer(3).expectInteger() == 3)
        #expect(try RedisReply.bulk([1, 2]).expectBytes() == [1, 2])
        #expect(try RedisReply.null.expectBytes() == nil)
        #expect(try RedisReply.bulk(Array("v".utf8)).expectString() == "v")
        #expect(try RedisReply.null.expectString() == nil)
        #expect(try RedisReply.array([.integer(1)]).expectArray() == [.integer(1)])

        let wrongType = try #require(throws: RedisError.self) { try RedisReply.integer(5).expectOK() }
        #expect(wrongType.code == .unexpectedReply)
        #expect(wrongType.message == "expected status OK from the server, got (integer) 5")
        let notText = try #require(throws: RedisError.self) { try RedisReply.bulk([0xFF]).expectString() }
        #expect(notText.code == .unexpectedReply)
        let nullArray = try #require(throws: RedisError.self) { try RedisReply.null.expectArray() }
        #expect(nullArray.code == .unexpectedReply)
    }

    @Test("an error reply makes the expect helpers throw a server or authentication error")
    func errorRepliesThrow() throws {
        let server = try #require(throws: RedisError.self) {
            try RedisReply.error("WRONGTYPE Operation against a key holding the wrong kind of value").expectInteger()
        }
        #expect(server.code == .server)
        #expect(server.serverMessage == "WRONGTYPE Operation against a key holding the wrong kind of value")
        let auth = try #require(throws: RedisError.self) {
            try RedisReply.error("NOAUTH Authentication required.").expectOK()
        }
        #expect(auth.code == .authentication)
        #expect(auth.message.contains("--redis-password-file FILE") && !auth.message.contains("withPassword"))
    }

    @Test("description reads like redis-cli output and escapes unprintable bytes")
    func description() {
        let reply = RedisReply.array([
            .status("OK"), .error("ERR no"), .integer(3), .bulk(Array("a\"b\n".utf8) + [0, 0xFF]), .null, .array([]),
        ])
        #expect(reply.description == #"[OK, (error) ERR no, (integer) 3, "a\"b\n\x00\xff", (nil), []]"#)
    }

    @Test("arguments convert strings, bytes, integers and doubles to the bytes redis expects")
    func argumentConversions() {
        #expect(RedisArgument("héllo").bytes == Array("héllo".utf8))
        #expect(RedisArgument([0, 255]).bytes == [0, 255])
        #expect(RedisArgument(-42).bytes == Array("-42".utf8))
        #expect(RedisArgument(Int64.max).bytes == Array("9223372036854775807".utf8))
        #expect(RedisArgument(UInt8(7)).bytes == Array("7".utf8))
        #expect(RedisArgument(2.5).bytes == Array("2.5".utf8))
        #expect(RedisArgument(Double.infinity).bytes == Array("inf".utf8))
        let literals: [RedisArgument] = ["SET", "k", 12]
        #expect(literals.map(\.description) == ["SET", "k", "12"])
    }
}
