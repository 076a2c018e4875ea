public import ClustmakeModel

/// Where the workers' redis is, as seen from the machine that runs the scripts: a TCP address or a unix socket,
/// and the database index.
///
/// No user or password: a job line carries the address as the target of the reverse tunnel
/// (`-R PORT:HOST:PORT`, or `-R PORT:/path/to/redis.sock`) or, for a local host, as the worker's `--redis_host`,
/// and the database in the worker's `--redis_host` when it is not 0. Passwords never appear in scripts.
public struct RedisAddress: Sendable, Hashable, CustomStringConvertible {
    /// A TCP address (IPv6 without brackets) or the absolute path of a unix domain socket.
    public var address: RedisLocation.Address
    /// The database index the workers select, 0 by default.
    public var database: Int

    /// An address and a database index.
    public init(address: RedisLocation.Address, database: Int = 0) {
        self.address = address
        self.database = database
    }

    /// A host name or IP address (IPv6 without brackets), a TCP port and a database index.
    public static func tcp(host: String, port: Int, database: Int = 0) -> RedisAddress {
        RedisAddress(address: .tcp(host: host, port: port), database: database)
    }

    /// The absolute path of a unix domain socket and a database index.
    public static func unix(path: String, database: Int = 0) -> RedisAddress {
        RedisAddress(address: .unix(path: path), database: database)
    }

    /// redis on this machine at its default port: `localhost:6379`, database 0.
    public static let `default` = RedisAddress.tcp(host: "localhost", port: 6379)

    /// Reads an address from a redis URL (as in a cluster file's `redis: url:` or `--redis`), with the rules of
    /// ``ClustmakeModel/RedisLocation/init(parsing:)``.
    ///
    /// Credentials in the URL are dropped (workers get the password elsewhere, never from a script); the
    /// database index is kept.
    /// - Throws: ``ScriptError`` with code ``ScriptError/Code/invalidRedis`` (the message never shows a password).
    public init(parsing text: String) throws(ScriptError) {
        let endpoint: RedisLocation
        do {
            endpoint = try RedisLocation(parsing: text)
        } catch {
            throw ScriptError(
                .invalidRedis, error.message, fix: "Write it as one of: \(RedisLocation.acceptedForms).")
        }
        if case .unix(let path) = endpoint.address, path.contains(":") {
            throw ScriptError(
                .invalidRedis, "the socket path '\(path)' contains ':', which ssh's -R option cannot carry.",
                fix: "Move the socket to a path without ':'.")
        }
        self.init(address: endpoint.address, database: endpoint.database)
    }

    /// `host:port` (`[::1]:6379` for IPv6) or `unix:/path/to/socket` for database 0, as compmake wrote it;
    /// `redis://host:port/N` or `unix:/path/to/socket?db=N` for another database. How plan.json and the scripts'
    /// comments show it, and what a local worker gets as `--redis_host`.
    public var description: String {
        switch address {
        case .tcp(let host, let port):
            database == 0 ? "\(bracketed(host)):\(port)" : "redis://\(bracketed(host)):\(port)/\(database)"
        case .unix(let path):
            database == 0 ? "unix:\(path)" : "unix:\(path)?db=\(database)"
        }
    }

    /// What a remote worker gets as `--redis_host` when it reaches this redis through the tunnel on `port`:
    /// `localhost:PORT`, as compmake wrote it, or `redis://localhost:PORT/N` for a database other than 0.
    public func tunnelEnd(port: Int) -> String {
        database == 0 ? "localhost:\(port)" : "redis://localhost:\(port)/\(database)"
    }

    /// The target of a reverse tunnel to this redis: `host:port` or the socket path.
    public var tunnelTarget: String {
        switch address {
        case .tcp(let host, let port): "\(bracketed(host)):\(port)"
        case .unix(let path): path
        }
    }

    private func bracketed(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}
