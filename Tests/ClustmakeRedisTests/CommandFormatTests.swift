import Testing

@testable import ClustmakeRedis

/// Commands in the protocol's form, as clustmake formats them for hiredis (`HiredisContext.format`): what a server
/// reads is checked by the round trips of ``RedisCommandTests``; these pin the bytes, lengths around each power of
/// ten included.
@Suite struct CommandFormatTests {
    @Test("an array header, then each argument as its length and its bytes, every line ending in CRLF")
    func resp() {
        let bytes = HiredisContext.format(["SET", "key", ""])
        #expect(String(decoding: bytes, as: UTF8.self) == "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n")
    }

    @Test(
        "lengths and counts of every number of digits are written in decimal",
        arguments: [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65_536, 1_000_000])
    func lengths(length: Int) {
        let argument = RedisArgument([UInt8](repeating: 0, count: length))
        let bytes = HiredisContext.format([argument])
        let header = Array("*1\r\n$\(length)\r\n".utf8)
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(bytes.count == header.count + length + 2)
        #expect(bytes.suffix(2) == [13, 10])
        // Counts too: ten and more arguments.
        for count in [9, 10, 11, 100] {
            let many = HiredisContext.format(Array(repeating: RedisArgument("a"), count: count))
            #expect(many.starts(with: Array("*\(count)\r\n".utf8)))
            #expect(many.count == "*\(count)\r\n".utf8.count + count * "$1\r\na\r\n".utf8.count)
        }
    }
}
