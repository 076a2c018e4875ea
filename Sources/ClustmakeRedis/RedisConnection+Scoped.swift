/// Opens a connection, passes it to `body`, and closes it however `body` ends.
///
/// ```swift
/// let state = try withRedisConnection(to: endpoint) { redis in
///     try redis.command("GET", "job:1:state").expectString()
/// }
/// ```
/// Blocks like ``RedisConnection`` itself: call it from a dedicated thread, not from a `Task`.
/// - Parameters:
///   - endpoint: Where to connect and how to log in.
///   - connectTimeout: The bound on establishing the connection.
///   - commandTimeout: The bound on each command, or `nil` for none.
///   - body: The work to do with the connection; it must not keep the connection.
/// - Returns: What `body` returns.
/// - Throws: ``RedisError`` from connecting, or whatever `body` throws.
public func withRedisConnection<Result>(
    to endpoint: RedisEndpoint, connectTimeout: Duration = .seconds(5), commandTimeout: Duration? = .seconds(30),
    _ body: (RedisConnection) throws -> Result
) throws -> Result {
    let connection = try RedisConnection(
        endpoint: endpoint, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
    defer { connection.close() }
    return try body(connection)
}
