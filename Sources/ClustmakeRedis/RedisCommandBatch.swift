/// Commands already in the protocol's form (RESP: `*N`, then `$LENGTH` and the bytes of each argument, each line
/// ending in CRLF), one after another in one buffer: what every ``RedisConnection`` call sends, in one copy into
/// hiredis (whose own formatting makes a string and a `printf` of each length per argument, a tenth of the CPU time of
/// a command that reads a whole namespace).
///
/// A bulk read sends millions of commands that differ in one argument (`HMGET compmake:{NS}:job:ID f1 … f8`). Built
/// as argument arrays, each costs a dozen allocations before it is encoded and copied again into hiredis's buffer; a
/// ``Template`` holds the encoded bytes of everything but that argument, and ``append(_:varying:)`` writes a command
/// with nothing allocated but the batch's own buffer as it grows.
///
/// ```swift
/// let read = RedisCommandBatch.Template(["HMGET"], key: "compmake:{ns}:job:", then: ["cost", "deps"])
/// var batch = RedisCommandBatch()
/// for id in ["a", "b"] { batch.append(read, varying: id) }
/// let replies = try connection.pipeline(batch)  // HMGET compmake:{ns}:job:a cost deps, then …:b
/// ```
public struct RedisCommandBatch: Sendable {
    /// The encoded commands.
    public private(set) var bytes: [UInt8] = []
    /// How many commands the batch holds.
    public private(set) var count = 0

    /// An empty batch.
    public init() {}

    /// A batch of `commands`, each given as its arguments; none empty.
    public init(_ commands: [[RedisArgument]]) {
        for arguments in commands { append(arguments) }
    }

    /// A command of fixed arguments around one that varies: `words`, then a key made of `key` and the varying
    /// part, then `then`.
    public struct Template: Sendable {
        /// `*N`, then `words`, encoded.
        let head: [UInt8]
        /// The fixed beginning of the varying argument.
        let keyPrefix: [UInt8]
        /// `then`, encoded.
        let tail: [UInt8]

        /// - Parameters:
        ///   - words: The arguments before the varying one, the command's name first; not empty.
        ///   - key: The fixed beginning of the varying argument (a key's prefix), possibly empty.
        ///   - then: The arguments after it.
        public init(_ words: [RedisArgument], key: String, then: [RedisArgument]) {
            var head: [UInt8] = []
            RedisCommandBatch.appendLine(&head, UInt8(ascii: "*"), words.count + 1 + then.count)
            for word in words { RedisCommandBatch.appendBulk(&head, word.bytes) }
            var tail: [UInt8] = []
            for word in then { RedisCommandBatch.appendBulk(&tail, word.bytes) }
            self.head = head
            self.keyPrefix = Array(key.utf8)
            self.tail = tail
        }
    }

    /// Appends `template`'s command, its varying argument its key prefix followed by `varying`'s UTF-8 bytes.
    public mutating func append(_ template: Template, varying: String) {
        bytes.append(contentsOf: template.head)
        var varying = varying
        varying.withUTF8 { part in
            Self.appendLine(&bytes, UInt8(ascii: "$"), template.keyPrefix.count + part.count)
            bytes.append(contentsOf: template.keyPrefix)
            bytes.append(contentsOf: part)
        }
        bytes.append(13)
        bytes.append(10)
        bytes.append(contentsOf: template.tail)
        count += 1
    }

    /// Appends a command given as its arguments; not empty.
    public mutating func append(_ arguments: [RedisArgument]) {
        precondition(!arguments.isEmpty, "a redis command needs at least its name")
        Self.appendLine(&bytes, UInt8(ascii: "*"), arguments.count)
        for argument in arguments { Self.appendBulk(&bytes, argument.bytes) }
        count += 1
    }

    /// Appends `$LENGTH`, CRLF, the bytes and CRLF.
    static func appendBulk(_ buffer: inout [UInt8], _ argument: [UInt8]) {
        appendLine(&buffer, UInt8(ascii: "$"), argument.count)
        buffer.append(contentsOf: argument)
        buffer.append(13)
        buffer.append(10)
    }

    /// Appends `marker`, `number` (zero or more) in decimal and CRLF.
    static func appendLine(_ buffer: inout [UInt8], _ marker: UInt8, _ number: Int) {
        buffer.append(marker)
        var divisor = 1
        while divisor <= number / 10 { divisor *= 10 }
        var rest = number
        repeat {
            buffer.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        } while divisor > 0
        buffer.append(13)
        buffer.append(10)
    }
}
