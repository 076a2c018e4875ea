public import ClustmakeModel
public import ClustmakeRedis

extension JobStore {
    /// Connects to `endpoint`, for reading several namespaces over one connection (``namespaces(on:)``,
    /// ``init(connection:namespace:)``).
    /// - Parameters:
    ///   - endpoint: Where redis is, with its password if it needs one.
    ///   - connectTimeout: The bound on connecting.
    ///   - commandTimeout: The bound on each command.
    ///   - handshake: When to log in (``ClustmakeRedis/RedisConnection/Handshake``).
    /// - Throws: ``StoreError``: ``StoreError/Code/unreachable`` or ``StoreError/Code/refused``.
    public static func connect(
        to endpoint: RedisEndpoint, connectTimeout: Duration = .seconds(5), commandTimeout: Duration? = .seconds(30),
        handshake: RedisConnection.Handshake = .beforeReturning
    ) throws(StoreError) -> RedisConnection {
        do {
            return try RedisConnection(
                endpoint: endpoint, connectTimeout: connectTimeout, commandTimeout: commandTimeout,
                handshake: handshake)
        } catch {
            throw StoreError.wrapping(error, "connecting to \(endpoint)")
        }
    }

    /// Every namespace in the redis behind `connection`: the names of its `compmake:{NS}:schema` keys, sorted.
    ///
    /// Key names are untrusted: a key whose name between the braces is not a valid namespace
    /// (``ClustmakeModel/JobID`` rules) is passed over. Found with `SCAN`, which never blocks the server.
    /// - Parameters:
    ///   - connection: The connection (used from the caller's thread only).
    ///   - limit: At most this many namespaces.
    /// - Throws: ``StoreError`` when redis fails.
    public static func namespaces(on connection: RedisConnection, limit: Int = 10_000) throws(StoreError) -> [String] {
        let (prefix, suffix) = StoreKeys.schemaKeyParts
        var found: Set<String> = []
        var cursor = "0"
        repeat {
            let reply: RedisReply
            do {
                reply = try connection.command([
                    "SCAN", RedisArgument(cursor), "MATCH", RedisArgument(prefix + "*" + suffix), "COUNT", "1000",
                ])
            } catch {
                throw StoreError.wrapping(error, "listing the namespaces at \(connection.endpoint)")
            }
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string, let keys = parts[1].array
            else {
                throw StoreError(.redis, "expected a SCAN reply from \(connection.endpoint), got \(reply)")
            }
            for key in keys {
                guard let name = key.string, name.hasPrefix(prefix), name.hasSuffix(suffix) else { continue }
                let namespace = String(name.dropFirst(prefix.count).dropLast(suffix.count))
                if JobID.problem(with: namespace) == nil { found.insert(namespace) }
            }
            cursor = next
        } while cursor != "0" && found.count < limit
        return Array(found.sorted().prefix(limit))
    }

    /// The namespace as `clustmake runs` lists it: metadata, jobs by state, when its workers first and last wrote.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, a corrupt record, or when redis fails.
    public func summary() throws(StoreError) -> NamespaceSummary {
        let metadata = try metadata()
        var counts: [JobState: Int] = [:]
        for state in try states().values { counts[state, default: 0] += 1 }
        let hosts = try hosts()
        return NamespaceSummary(
            namespace: namespace, metadata: metadata, states: counts, firstSeen: hosts.compactMap(\.firstSeen).min(),
            lastSeen: hosts.compactMap(\.lastSeen).max())
    }
}
