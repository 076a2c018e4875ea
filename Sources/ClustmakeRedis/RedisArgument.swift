/// One argument of a redis command, as the bytes sent to the server.
///
/// Arguments are binary-safe: any bytes, including NUL and invalid UTF-8, are sent as given
/// (hiredis's argv API, never a format string). Write them as literals or convert:
///
/// ```swift
/// try connection.command(["SET", "job:1:state", "done"])
/// try connection.command(["HSET", "k", "n", RedisArgument(42)])
/// try connection.command(["SET", "blob", RedisArgument([0, 255, 10])])
/// ```
public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    CustomStringConvertible
{
    /// The bytes sent to the server.
    public var bytes: [UInt8]

    /// An argument holding these exact bytes.
    /// - Parameter bytes: The bytes to send.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// An argument holding the UTF-8 encoding of `string`.
    /// - Parameter string: The text to send.
    public init(_ string: String) { self.bytes = Array(string.utf8) }

    /// An argument holding the UTF-8 encoding of `string`.
    /// - Parameter string: The text to send.
    public init(_ string: Substring) { self.bytes = Array(string.utf8) }

    /// An argument holding the decimal form of `value` (`-12`), as redis parses integers.
    /// - Parameter value: The integer to send.
    public init(_ value: Int) { self.bytes = Array(String(value).utf8) }

    /// An argument holding the decimal form of `value`, for other integer types (`Int64`, `UInt32`).
    /// - Parameter value: The integer to send.
    public init(_ value: some BinaryInteger) { self.bytes = Array(String(value).utf8) }

    /// An argument holding `value` in a form redis parses as a float: `2.5`, `1e-05`, `inf`,
    /// `-inf`. redis rejects NaN.
    /// - Parameter value: The number to send.
    public init(_ value: Double) { self.bytes = Array(value.description.utf8) }

    public init(stringLiteral value: String) { self.init(value) }

    public init(integerLiteral value: Int) { self.init(value) }

    /// The bytes as UTF-8 text, with invalid sequences replaced (for messages, not for sending).
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}
