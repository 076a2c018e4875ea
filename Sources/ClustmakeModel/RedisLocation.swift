/// Where a redis server is and how to log in to it: a TCP address or a unix socket, a database index, and
/// optional credentials. A value of the model, parsed without any redis library, so the script writer, the
/// commands and the redis wrapper (`RedisEndpoint` wraps one) read addresses the same way.
///
/// Parse one from the forms users type with ``init(parsing:)``:
///
/// ```
/// redis://[user[:password]@]host[:port][/db]   redis://:s3cret@10.0.0.5:6380/2, redis://alice@db.lab/3
/// unix:///path/to/socket[?db=N]                unix:///run/redis/redis.sock?db=1
/// host:port   host   [::1]:6379   /path/to/socket
/// ```
///
/// The password never prints: ``description`` shows it as `***`, and so do `debugDescription` and `dump`.
public struct RedisLocation: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
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

    /// Creates a location from its parts.
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

    /// The location as a URL with the password shown as `***`:
    /// `redis://alice:***@db.example:6380/2`, `unix:///run/redis.sock?db=1`.
    public var description: String { url(revealingPassword: false) }

    /// The same as ``description``: the password stays hidden.
    public var debugDescription: String { description }

    /// A mirror that shows the redacted URL, so `dump` does not print the password.
    public var customMirror: Mirror {
        Mirror(self, children: ["url": description], displayStyle: .struct)
    }

    /// The location as a URL that ``init(parsing:)`` reads back.
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

extension InputError.Code {
    /// A redis address cannot be parsed, or cannot be used where it is given.
    public static let invalidRedis = InputError.Code("invalid-redis")
}

extension RedisLocation {
    /// The forms ``init(parsing:)`` accepts, as shown in its error messages.
    public static let acceptedForms =
        "redis://[user[:password]@]host[:port][/db], unix://[user[:password]@]/path/to/socket[?db=N], "
        + "host[:port], [ipv6-address]:port, /path/to/socket, unix:/path/to/socket"

    /// Parses an endpoint from a URL or a bare address.
    ///
    /// Accepted forms (see ``acceptedForms``):
    /// - `redis://[user[:password]@]host[:port][/db]`: user and password percent-encoded
    ///   (`%40` for `@`); `redis://:password@host` logs in as the default user;
    ///   `redis://user@host` and `redis://user:@host` name a user whose password is given elsewhere (a password
    ///   file, `REDISCLI_AUTH`), as RFC 3986 and redis-py read them.
    /// - `unix:///path/to/socket[?db=N]` and `unix://user[:password]@/path/to/socket[?db=N]`.
    /// - `host:port`, `host` (port 6379), `[::1]:6379`, `[::1]`, an absolute socket path, and `unix:/path`
    ///   (the form of the worker's `--redis_host`).
    ///
    /// `rediss://` (TLS) is rejected: the hiredis this project links has no TLS.
    ///
    /// - Parameter text: The endpoint as the user wrote it; surrounding whitespace is ignored.
    /// - Throws: ``InputError`` with code ``InputError/Code/invalidRedis`` whose message says what is wrong
    ///   and lists the accepted forms. The password never appears in it.
    public init(parsing text: String) throws(InputError) {
        let input = text.trimmingWhitespace()
        func fail(_ reason: String) -> InputError {
            InputError(
                .invalidRedis,
                "invalid redis endpoint \"\(Self.redactCredentials(in: input))\": \(reason). "
                    + "Accepted forms: \(Self.acceptedForms)")
        }
        guard !input.isEmpty else { throw fail("it is empty") }

        if let schemeEnd = input.firstRange(of: "://") {
            let scheme = input[..<schemeEnd.lowerBound].lowercased()
            let rest = String(input[schemeEnd.upperBound...])
            switch scheme {
            case "redis":
                self = try Self.parseRedisURL(rest, fail: fail)
            case "unix":
                self = try Self.parseUnixURL(rest, fail: fail)
            case "rediss":
                throw fail(
                    "TLS (rediss://) is not supported: the hiredis library used here is built without TLS; "
                        + "reach a TLS-only server through a tunnel (ssh -L, stunnel) and use redis://")
            default:
                throw fail("unknown scheme \"\(scheme)://\"; use redis:// or unix://")
            }
            return
        }
        if input.lowercased().hasPrefix("unix:/") {
            // compmake's worker form, `--redis_host=unix:/path/to/socket`.
            self = try Self.parseUnixURL(String(input.dropFirst("unix:".count)), fail: fail)
            return
        }
        if input.hasPrefix("/") {
            guard !input.contains("?") else {
                throw fail("a bare socket path takes no query; write unix:///path/to/socket?db=N")
            }
            self.init(address: .unix(path: input))
            return
        }
        if input.contains("@") {
            throw fail("credentials need the redis:// scheme: redis://user:password@host:port")
        }
        if input.contains("/") {
            throw fail("a database index needs the redis:// scheme: redis://host:port/db")
        }
        let (host, port) = try Self.parseHostPort(input, fail: fail)
        self.init(address: .tcp(host: host, port: port))
    }

    private static func parseRedisURL(
        _ rest: String, fail: (String) -> InputError
    ) throws(InputError) -> RedisLocation {
        var hostPart = rest
        var username: String?
        var password: String?
        // Split at the last "@": hosts and database indexes never contain one.
        if let at = rest.lastIndex(of: "@") {
            (username, password) = try parseUserinfo(String(rest[..<at]), fail: fail)
            hostPart = String(rest[rest.index(after: at)...])
        }
        if hostPart.contains("?") || hostPart.contains("#") {
            throw fail("redis:// URLs take no query or fragment; put the database after a slash: redis://host:6379/2")
        }
        var database = 0
        if let slash = hostPart.firstIndex(of: "/") {
            let path = hostPart[hostPart.index(after: slash)...]
            if !path.isEmpty { database = try parseDatabase(String(path), fail: fail) }
            hostPart = String(hostPart[..<slash])
        }
        let (host, port) = try parseHostPort(hostPart, fail: fail)
        return RedisLocation(
            address: .tcp(host: host, port: port), database: database, username: username, password: password)
    }

    private static func parseUnixURL(
        _ rest: String, fail: (String) -> InputError
    ) throws(InputError) -> RedisLocation {
        var pathPart = rest
        var username: String?
        var password: String?
        if !rest.hasPrefix("/") {
            guard let at = rest.firstRange(of: "@/") else {
                throw fail("the socket path must be absolute: unix:///path/to/socket")
            }
            (username, password) = try parseUserinfo(String(rest[..<at.lowerBound]), fail: fail)
            pathPart = String(rest[rest.index(after: at.lowerBound)...])
        }
        var database = 0
        if let question = pathPart.firstIndex(of: "?") {
            let query = pathPart[pathPart.index(after: question)...]
            pathPart = String(pathPart[..<question])
            for item in query.split(separator: "&", omittingEmptySubsequences: true) {
                let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard pair.count == 2, pair[0] == "db" else {
                    throw fail("unknown query parameter \"\(pair[0])\"; only db=N is understood")
                }
                database = try parseDatabase(String(pair[1]), fail: fail)
            }
        }
        guard pathPart.count > 1, !pathPart.hasSuffix("/") else {
            throw fail("the socket path is missing: unix:///path/to/socket")
        }
        return RedisLocation(address: .unix(path: pathPart), database: database, username: username, password: password)
    }

    /// Splits `user:password` or `user`, percent-decoding both. An empty part means "not given".
    ///
    /// Without a colon the userinfo is a user name, as RFC 3986, redis-py and most clients read it (redis-cli
    /// alone reads it as a password): the password then comes from a password file or `REDISCLI_AUTH`.
    private static func parseUserinfo(
        _ userinfo: String, fail: (String) -> InputError
    ) throws(InputError) -> (String?, String?) {
        let colon = userinfo.firstIndex(of: ":") ?? userinfo.endIndex
        let passwordText = colon == userinfo.endIndex ? "" : String(userinfo[userinfo.index(after: colon)...])
        guard let user = percentDecode(String(userinfo[..<colon])), let pass = percentDecode(passwordText) else {
            throw fail("the credentials contain a bad percent-escape (write %40 for @, %3A for :, %25 for %)")
        }
        return (user.isEmpty ? nil : user, pass.isEmpty ? nil : pass)
    }

    private static func parseHostPort(
        _ text: String, fail: (String) -> InputError
    ) throws(InputError) -> (String, Int) {
        var host: String
        var portText: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw fail("missing \"]\" after the IPv6 address")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("expected \":port\" after \"]\"") }
                portText = String(after.dropFirst())
            }
            let allowed = Set("0123456789abcdefABCDEF:.%")
            guard host.contains(":"), host.allSatisfy({ allowed.contains($0) || $0.isLetter || $0.isNumber }) else {
                throw fail("\"\(host)\" between brackets is not an IPv6 address")
            }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else {
                throw fail("IPv6 addresses need brackets: [::1]:6379")
            }
            host = String(parts[0])
            if parts.count == 2 { portText = String(parts[1]) }
            guard !host.isEmpty else { throw fail("the host is missing") }
            guard let bad = host.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0))) })
            else { return (host, try parsePort(portText, fail: fail)) }
            throw fail("the host \"\(host)\" contains \"\(bad)\"")
        }
        return (host, try parsePort(portText, fail: fail))
    }

    private static func parsePort(_ text: String?, fail: (String) -> InputError) throws(InputError) -> Int {
        guard let text else { return defaultPort }
        guard !text.isEmpty else { throw fail("the port is missing after \":\"") }
        guard text.allSatisfy(\.isASCIIDigit), text.count <= 5, let port = Int(text), (1...65535).contains(port)
        else { throw fail("the port \"\(text)\" is not a number from 1 to 65535") }
        return port
    }

    private static func parseDatabase(_ text: String, fail: (String) -> InputError) throws(InputError) -> Int {
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit), text.count <= 9, let database = Int(text) else {
            throw fail("the database \"\(text)\" is not a non-negative integer")
        }
        return database
    }

    /// Decodes `%XX` escapes; `nil` for a malformed escape or bytes that are not UTF-8.
    static func percentDecode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The input with any password replaced by `***`, for error messages.
    ///
    /// Everything after the first ":" of the userinfo is masked; a userinfo without a colon is
    /// masked whole (it names a user, but someone used to redis-cli may have put a password there).
    static func redactCredentials(in input: String) -> String {
        let schemeEnd = input.firstRange(of: "://")
        let authorityStart = schemeEnd?.upperBound ?? input.startIndex
        guard let at = input[authorityStart...].lastIndex(of: "@") else { return input }
        let userinfo = input[authorityStart..<at]
        guard !userinfo.isEmpty, !userinfo.hasPrefix("/") else { return input }
        let masked: String
        if let colon = userinfo.firstIndex(of: ":") {
            masked = String(userinfo[...colon]) + RedisPassword.mask
        } else {
            masked = RedisPassword.mask
        }
        return String(input[..<authorityStart]) + masked + String(input[at...])
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
