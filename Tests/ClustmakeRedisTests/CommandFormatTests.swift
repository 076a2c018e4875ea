import ClustmakeTestSupport
import Testing

@testable import ClustmakeRedis

/// Commands in the protocol's form, as clustmake encodes them for hiredis (``RedisCommandBatch``): what a server
/// reads is checked by the round trips of ``RedisCommandTests``; these pin the bytes, lengths around each power of
/// ten included.
@Suite struct CommandFormatTests {
    @Test("an array header, then each argument as its length and its bytes, every line ending in CRLF")
    func resp() {
        let bytes = format(["SET", "key", ""])
        #expect(String(decoding: bytes, as: UTF8.self) == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n")
    }

    @Test(
        "lengths and counts of every number of digits are written in decimal",
        arguments: [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65_536, 1_000_000])
    func lengths(length: Int) {
        let argument = RedisArgument([UInt8](repeating: 0, count: length))
        let bytes = format([argument])
        let header = Array("*1\r\n$\(length)\r\n".utf8)
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(bytes.count == header.count + length + 2)
        #expect(bytes.suffix(2) == [13, 10])
        // Counts too: ten and more arguments.
        for count in [9, 10, 11, 100] {
            let many = format(Array(repeating: RedisArgument("a"), count: count))
            #expect(many.starts(with: Array("*\(count)\r\n".utf8)))
            #expect(many.count == "*\(count)\r\n".utf8.count + count * "$1\r\na\r\n".utf8.count)
        }
    }
}

/// Commands encoded into one buffer (``RedisCommandBatch``), from templates or from their arguments: the bytes are
/// those of the same commands formatted one by one, and a server answers them as it answers those.
@Suite struct RedisCommandBatchTests {
    static let template = RedisCommandBatch.Template(["HMGET"], key: "compmake:{ns}:job:", then: ["cost", "deps"])

    @Test(
        "a template's command is the bytes of the same arguments formatted, whatever the varying part",
        arguments: ["a", "", "job with spaces", "é-ü-日本", String(repeating: "x", count: 1_000)])
    func templateBytes(varying: String) {
        var batch = RedisCommandBatch()
        batch.append(Self.template, varying: varying)
        batch.append(["PING"])
        let expected =
            format(["HMGET", RedisArgument("compmake:{ns}:job:" + varying), "cost", "deps"])
            + format(["PING"])
        #expect(batch.bytes == expected)
        #expect(batch.count == 2)
        #expect(RedisCommandBatch().bytes.isEmpty && RedisCommandBatch().count == 0)
    }

    @Test("a batch is one pipeline: replies in order, as for the same commands given as arguments")
    func againstServer() throws {
        let server = try RedisServer()
        let redis = try server.connect()
        let ids = ["a", "b c", "日本", "missing"]
        for id in ids.dropLast() {
            let added = try redis.command([
                "HSET", RedisArgument("compmake:{ns}:job:" + id), "cost", RedisArgument(id), "deps", "[]",
            ])
            #expect(added.integer == 2)
        }
        var batch = RedisCommandBatch()
        for id in ids { batch.append(Self.template, varying: id) }
        batch.append(["NOSUCHCOMMAND"])
        let replies = try redis.pipeline(batch)
        let expected = try redis.pipeline(
            ids.map { ["HMGET", RedisArgument("compmake:{ns}:job:" + $0), "cost", "deps"] } + [["NOSUCHCOMMAND"]])
        #expect(replies == expected)
        #expect(replies.count == 5)
        #expect(replies[2].array?.first?.string == "日本")
        #expect(replies[3].array?.allSatisfy(\.isNull) == true)
        #expect(replies[4].errorMessage != nil, "an error reply stays in its place")
        #expect(try redis.pipeline(RedisCommandBatch()).isEmpty)
        #expect(try redis.command("PING").string == "PONG", "the connection serves on afterwards")
    }
}

/// One command's bytes, as a batch of it encodes them.
private func format(_ arguments: [RedisArgument]) -> [UInt8] {
    var batch = RedisCommandBatch()
    batch.append(arguments)
    return batch.bytes
}
