/// Where a redis server is and how to log in to it: a TCP address or a unix socket, a database
/// index, and optional credentials.
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
    public static let defaultPort = 6379

    /// How to reach the server.
    public enum Address: Sendable, Hashable {
        /// A host name or IP address (IPv6 without brackets) and a TCP port.
        case tcp(host: String, port: Int)
        /// The path of a unix domain socket.
        case unix(path: String)
    }

    /// How to reach the server.
    public var address: Address
    /// The database index selected after connecting (`SELECT`), 0 by default.
    public var database: Int
    /// The ACL user to log in as (`AUTH user password`); `nil` means the default user.
    public var username: String?
    private var secret: RedisPassword?

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
        self.address = address
        self.database = database
        self.username = username
        self.secret = password.map(RedisPassword.init)
    }

    /// The password to send with AUTH, or `nil`. Never printed by this type's descriptions.
    public var password: String? {
        get { secret?.reveal() }
        set { secret = newValue.map(RedisPassword.init) }
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
        var userinfo = ""
        if username != nil || secret != nil {
            let user = username.map(Self.percentEncode) ?? ""
            let pass = secret.map { revealingPassword ? Self.percentEncode($0.reveal()) : RedisPassword.mask } ?? ""
            userinfo = "\(user):\(pass)@"
        }
        switch address {
        case .tcp(let host, let port):
            let shownHost = host.contains(":") ? "[\(host)]" : host
            return "redis://\(userinfo)\(shownHost):\(port)/\(database)"
        case .unix(let path):
            return "unix://\(userinfo)\(path)" + (database != 0 ? "?db=\(database)" : "")
        }
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}
