/// A reply from the server, copied out of hiredis into Swift values (RESP2 types only).
///
/// Read it with the optional accessors (``string``, ``bytes``, ``integer``, ``array``,
/// ``isNull``) or with the throwing helpers (``expectOK()``, ``expectInteger()``, …) that turn
/// anything unexpected, including an error reply, into a ``RedisError``.
public enum RedisReply: Sendable, Hashable, CustomStringConvertible {
    /// A status reply (`+OK`, `+PONG`, `+QUEUED`).
    case status(String)
    /// An error reply (`-ERR …`, `-WRONGTYPE …`), with any password of the connection redacted.
    /// ``RedisConnection``'s `command` methods throw these as ``RedisError``; they appear as
    /// values only in ``RedisConnection/pipeline(_:)`` results and nested arrays (`EXEC`).
    case error(String)
    /// An integer reply (`:42`).
    case integer(Int64)
    /// A bulk string (`$5\r\nhello`), as bytes: redis values need not be UTF-8.
    case bulk([UInt8])
    /// A null bulk string or null array (`GET` of a missing key).
    case null
    /// An array of replies (`LRANGE`, `HGETALL`, `EXEC`).
    case array([RedisReply])

    /// The text of a bulk string or status reply, decoded as UTF-8; `nil` for other replies and
    /// for bulk strings that are not valid UTF-8 (use ``bytes`` for those).
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(validating: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// The bytes of a bulk string, or the UTF-8 bytes of a status reply; `nil` otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let bytes): bytes
        case .status(let text): Array(text.utf8)
        default: nil
        }
    }

    /// The value of an integer reply; `nil` otherwise.
    public var integer: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// The elements of an array reply; `nil` otherwise.
    public var array: [RedisReply]? {
        if case .array(let elements) = self { elements } else { nil }
    }

    /// The message of an error reply; `nil` otherwise.
    public var errorMessage: String? {
        if case .error(let message) = self { message } else { nil }
    }

    /// Whether this is the null reply.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// Whether this is an error reply.
    public var isError: Bool { errorMessage != nil }

    /// The reply the way redis-cli shows it: `OK`, `(error) ERR …`, `(integer) 3`, `"text"`,
    /// `(nil)`, `["a", (integer) 1]`. Bulk bytes that are not printable appear as `\xNN`.
    public var description: String {
        switch self {
        case .status(let text): text
        case .error(let message): "(error) \(message)"
        case .integer(let value): "(integer) \(value)"
        case .bulk(let bytes): Self.quoted(bytes)
        case .null: "(nil)"
        case .array(let elements): "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// `bytes` in double quotes with `"`, `\`, control and non-ASCII bytes escaped.
    static func quoted(_ bytes: [UInt8]) -> String {
        var out = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out + "\""
    }
}
