extension RedisReply {
    /// This reply, unless it is an error reply.
    /// - Returns: `self`.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/server`` (or
    ///   ``RedisError/Code/authentication`` for `NOAUTH`/`WRONGPASS`) for an error reply.
    @discardableResult
    public func throwIfError() throws(RedisError) -> RedisReply {
        if case .error(let message) = self {
            throw RedisError.serverReply(message, command: nil, endpoint: nil)
        }
        return self
    }

    /// Checks that this is the status reply `OK` (`SET`, `SELECT`, `FLUSHDB`).
    /// - Throws: ``RedisError`` for an error reply or any other reply.
    public func expectOK() throws(RedisError) {
        try expectStatus("OK")
    }

    /// Checks that this is the status reply `expected` (`PONG`, `QUEUED`).
    /// - Parameter expected: The status text, compared exactly.
    /// - Throws: ``RedisError`` for an error reply or any other reply.
    public func expectStatus(_ expected: String) throws(RedisError) {
        guard case .status(expected) = try throwIfError() else { throw unexpected("status \(expected)") }
    }

    /// The value of an integer reply (`INCR`, `DEL`, `LPUSH`).
    /// - Returns: The integer.
    /// - Throws: ``RedisError`` for an error reply or any other reply.
    public func expectInteger() throws(RedisError) -> Int64 {
        guard let value = try throwIfError().integer else { throw unexpected("an integer") }
        return value
    }

    /// The bytes of a bulk string, or `nil` for the null reply (`GET`, `HGET`).
    /// - Returns: The bytes, or `nil` when the key or field is missing.
    /// - Throws: ``RedisError`` for an error reply or any other reply.
    public func expectBytes() throws(RedisError) -> [UInt8]? {
        switch try throwIfError() {
        case .bulk(let bytes): return bytes
        case .null: return nil
        default: throw unexpected("a bulk string or nil")
        }
    }

    /// The UTF-8 text of a bulk string, or `nil` for the null reply (`GET`, `HGET`).
    /// - Returns: The text, or `nil` when the key or field is missing.
    /// - Throws: ``RedisError`` for an error reply, any other reply, or bytes that are not UTF-8.
    public func expectString() throws(RedisError) -> String? {
        guard let bytes = try expectBytes() else { return nil }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw unexpected("UTF-8 text") }
        return text
    }

    /// The elements of an array reply (`LRANGE`, `KEYS`, `EXEC`).
    /// - Returns: The elements; a null array (an aborted `EXEC`) is an error.
    /// - Throws: ``RedisError`` for an error reply or any other reply.
    public func expectArray() throws(RedisError) -> [RedisReply] {
        guard let elements = try throwIfError().array else { throw unexpected("an array") }
        return elements
    }

    private func unexpected(_ expected: String) -> RedisError {
        var shown = description
        if shown.count > 200 { shown = String(shown.prefix(200)) + "…" }
        return RedisError(.unexpectedReply, "expected \(expected) from the server, got \(shown)")
    }
}
