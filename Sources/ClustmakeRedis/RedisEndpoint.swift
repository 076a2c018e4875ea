public import ClustmakeModel

/// Where a redis server is and how to log in to it: a TCP address or a unix socket, a database
/// index, and optional credentials. The value and its parsing are the model's ``ClustmakeModel/RedisLocation``;
/// this is the connection library's view of it (``location``, ``init(_:)``).
///
/// Parse one from the forms users type with ``init(parsing:)``:
///
/// ```
/// redis://[user:password@]host[:port][/db]     redis://:s3cret@10.0.0.5:6380/2
/// unix:///path/to/socket[?db=N]                unix:///run/redis/redis.sock?db=1
/// host:port   host   [::1]:6379   /path/to/socket
/// ```
///
/// The password never prints: ``description`` shows it as `***`, and so do `debugDescription`
/// and `dump`. Supply a password kept elsewhere (a file, an environment variable) with
/// ``withPassword(_:)``.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The redis port when none is given.
    public static let defaultPort = RedisLocation.defaultPort

    /// How to reach the server (the same cases as ``ClustmakeModel/RedisLocation/Address``, kept here so that
    /// code using an endpoint needs no other import).
    public enum Address: Sendable, Hashable {
        /// A host name or IP address (IPv6 without brackets) and a TCP port.
        case tcp(host: String, port: Int)
        /// The path of a unix domain socket.
        case unix(path: String)
    }

    /// The address, database and credentials: the model's value, which this type presents to the connection code.
    public var location: RedisLocation

    /// How to reach the server.
    public var address: Address {
        get {
            switch location.address {
            case .tcp(let host, let port): .tcp(host: host, port: port)
            case .unix(let path): .unix(path: path)
            }
        }
        set { location.address = Self.modelAddress(newValue) }
    }

    private static func modelAddress(_ address: Address) -> RedisLocation.Address {
        switch address {
        case .tcp(let host, let port): .tcp(host: host, port: port)
        case .unix(let path): .unix(path: path)
        }
    }

    /// The database index selected after connecting (`SELECT`), 0 by default.
    public var database: Int {
        get { location.database }
        set { location.database = newValue }
    }

    /// The ACL user to log in as (`AUTH user password`); `nil` means the default user.
    public var username: String? {
        get { location.username }
        set { location.username = newValue }
    }

    /// Creates a TCP endpoint.
    /// - Parameters:
    ///   - host: A host name or an IP address; IPv6 addresses without brackets (`::1`).
    ///   - port: The TCP port, 6379 by default.
    ///   - database: The database index to select, 0 by default.
    ///   - username: The ACL user, or `nil` for the default user.
    ///   - password: The password, or `nil` to skip AUTH.
    public init(
        host: String, port: Int = RedisEndpoint.defaultPort, database: Int = 0, username: String? = nil,
        password: String? = nil
    ) {
        self.init(
            address: .tcp(host: host, port: port), database: database, username: username, password: password)
    }

    /// Creates a unix socket endpoint.
    /// - Parameters:
    ///   - path: The socket's path, as in redis.conf's `unixsocket`.
    ///   - database: The database index to select, 0 by default.
    ///   - username: The ACL user, or `nil` for the default user.
    ///   - password: The password, or `nil` to skip AUTH.
    public init(unixSocket path: String, database: Int = 0, username: String? = nil, password: String? = nil) {
        self.init(address: .unix(path: path), database: database, username: username, password: password)
    }

    /// Creates an endpoint from its parts.
    /// - Parameters:
    ///   - address: A TCP address or a unix socket path.
    ///   - database: The database index to select.
    ///   - username: The ACL user, or `nil` for the default user.
    ///   - password: The password, or `nil` to skip AUTH.
    public init(address: Address, database: Int = 0, username: String? = nil, password: String? = nil) {
        self.location = RedisLocation(
            address: Self.modelAddress(address), database: database, username: username, password: password)
    }

    /// The endpoint of a location parsed or built in the model.
    /// - Parameter location: The address, database and credentials.
    public init(_ location: RedisLocation) {
        self.location = location
    }

    /// The password to send with AUTH, or `nil`. Never printed by this type's descriptions.
    public var password: String? {
        get { location.password }
        set { location.password = newValue }
    }

    /// This endpoint with another password, e.g. one read from a password file or the
    /// environment rather than from the URL.
    /// - Parameter password: The password, or `nil` to log in without one.
    /// - Returns: A copy of this endpoint with the password replaced.
    public func withPassword(_ password: String?) -> RedisEndpoint {
        var copy = self
        copy.password = password
        return copy
    }

    /// This endpoint with another database index.
    /// - Parameter database: The database index to select after connecting.
    /// - Returns: A copy of this endpoint with the database replaced.
    public func withDatabase(_ database: Int) -> RedisEndpoint {
        var copy = self
        copy.database = database
        return copy
    }

    /// The endpoint as a URL with the password shown as `***`:
    /// `redis://alice:***@db.example:6380/2`, `unix:///run/redis.sock?db=1`.
    public var description: String { url(revealingPassword: false) }

    /// The same as ``description``: the password stays hidden.
    public var debugDescription: String { description }

    /// A mirror that shows the redacted URL, so `dump` does not print the password.
    public var customMirror: Mirror {
        Mirror(self, children: ["url": description], displayStyle: .struct)
    }

    /// The endpoint as a URL that ``init(parsing:)`` reads back.
    ///
    /// - Parameter revealingPassword: Whether to include the password (percent-encoded).
    ///   Pass `true` only to hand the URL to a trusted process; never log the result.
    /// - Returns: `redis://[user:password@]host:port/db` or `unix://[user:password@]/path[?db=N]`.
    public func url(revealingPassword: Bool = false) -> String {
        location.url(revealingPassword: revealingPassword)
    }
}
