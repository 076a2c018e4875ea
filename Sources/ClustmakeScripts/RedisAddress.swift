public import ClustmakeModel

/// Where the workers' redis is, as seen from the machine that runs the scripts: a TCP address or a unix socket.
///
/// Only the address: no database index, user or password. A job line carries it as the target of the reverse
/// tunnel (`-R PORT:HOST:PORT`, or `-R PORT:/path/to/redis.sock`) or, for a local host, as the worker's
/// `--redis_host`. Passwords never appear in scripts.
public enum RedisAddress: Sendable, Hashable, CustomStringConvertible {
    /// A host name or IP address (IPv6 without brackets) and a TCP port.
    case tcp(host: String, port: Int)
    /// The absolute path of a unix domain socket.
    case unix(path: String)

    /// redis on this machine at its default port: `localhost:6379`.
    public static let `default` = RedisAddress.tcp(host: "localhost", port: 6379)

    /// Reads an address from a redis URL (as in a cluster file's `redis: url:` or `--redis`), with the rules of
    /// ``ClustmakeModel/RedisLocation/init(parsing:)``.
    ///
    /// Credentials in the URL are dropped (workers get the password elsewhere, never from a script). A database
    /// other than 0 is refused: compmake's job line has no way to pass one.
    /// - Throws: ``ScriptError`` with code ``ScriptError/Code/invalidRedis`` (the message never shows a password).
    public init(parsing text: String) throws(ScriptError) {
        let endpoint: RedisLocation
        do {
            endpoint = try RedisLocation(parsing: text)
        } catch {
            throw ScriptError(
                .invalidRedis, error.message, fix: "Write it as one of: \(RedisLocation.acceptedForms).")
        }
        guard endpoint.database == 0 else {
            throw ScriptError(
                .invalidRedis,
                "the redis address \(endpoint) selects database \(endpoint.database), which job lines cannot carry.",
                fix: "Use database 0 for clustmake (compmake's job line cannot select another), e.g. a separate "
                    + "redis instance.")
        }
        switch endpoint.address {
        case .tcp(let host, let port):
            self = .tcp(host: host, port: port)
        case .unix(let path):
            guard !path.contains(":") else {
                throw ScriptError(
                    .invalidRedis, "the socket path '\(path)' contains ':', which ssh's -R option cannot carry.",
                    fix: "Move the socket to a path without ':'.")
            }
            self = .unix(path: path)
        }
    }

    /// `host:port` (`[::1]:6379` for IPv6) or `unix:/path/to/socket`: how plan.json and the scripts' comments
    /// show it, and what a local worker gets as `--redis_host`.
    public var description: String {
        switch self {
        case .tcp(let host, let port): "\(bracketed(host)):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    /// The target of a reverse tunnel to this redis: `host:port` or the socket path.
    var tunnelTarget: String {
        switch self {
        case .tcp(let host, let port): "\(bracketed(host)):\(port)"
        case .unix(let path): path
        }
    }

    private func bracketed(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}
