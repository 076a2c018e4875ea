public import ClustmakeRedis

/// A failure of the store: a code to branch on, a message that names the namespace, job or key involved and what
/// to do about it, and the redis error underneath when there is one. Passwords never appear (endpoints and redis
/// errors are redacted by ClustmakeRedis).
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Compare with the static members: `error.code == .unknownJob`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Nothing was pushed to the namespace (its schema key is missing).
        public static let unknownNamespace = Code("unknown-namespace")
        /// The namespace has no job with that id.
        public static let unknownJob = Code("unknown-job")
        /// The namespace was written with another schema version than this build's.
        public static let schemaMismatch = Code("schema-mismatch")
        /// redis could not be reached, the connection failed, or the server cannot serve yet (loading its data
        /// after a restart); worth retrying (see ``StoreError/redisError``).
        public static let unreachable = Code("redis-unreachable")
        /// redis refused the login or a command (wrong password, missing ACL permission).
        public static let refused = Code("redis-refused")
        /// redis answered something the store does not expect (a script error, a reply of the wrong type).
        public static let redis = Code("redis")
        /// A value in redis does not decode as the schema says.
        public static let corruptRecord = Code("corrupt-record")
        /// A push would change jobs that are running now.
        public static let pushRefused = Code("push-refused")
        /// The namespace kept changing while a push tried to write it.
        public static let busy = Code("busy")
        /// A caller's argument was out of range (an invalid namespace or job id).
        public static let invalidArgument = Code("invalid-argument")
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence: what failed, where, and what to do about it.
    public var message: String
    /// The redis error underneath, if any.
    public var redisError: RedisError?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What failed, where, and what to do about it.
    ///   - redisError: The redis error underneath.
    public init(_ code: Code, _ message: String, redisError: RedisError? = nil) {
        self.code = code
        self.message = message
        self.redisError = redisError
    }

    /// `code: message (cause)`.
    public var description: String {
        var text = "\(code): \(message)"
        if let redisError, !message.contains(redisError.message) { text += " (\(redisError))" }
        return text
    }

    /// Error replies of a server that cannot serve yet but will: loading its data after a restart, busy with a
    /// script, or a cluster or replica not ready. The store treats them like an unreachable server (retry).
    static let transientReplies = ["LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN"]

    /// Wraps a redis error: connection trouble and ``transientReplies`` become ``Code/unreachable``, a refused
    /// login or permission ``Code/refused``, anything else ``Code/redis``.
    /// - Parameters:
    ///   - error: The redis error.
    ///   - doing: What the store was doing, as a phrase ("reading the states of namespace 'x'").
    static func wrapping(_ error: RedisError, _ doing: String) -> StoreError {
        let code: Code
        switch error.code {
        case .connectionRefused, .connect, .timeout, .connectionLost, .closed, .protocolViolation:
            code = .unreachable
        case .authentication:
            code = .refused
        case .server where Self.transientReplies.contains(where: { error.serverMessage?.hasPrefix($0) == true }):
            code = .unreachable
        case .server where error.serverMessage?.hasPrefix("NOPERM") == true:
            code = .refused
        case .server where error.serverMessage?.contains("unauthenticated") == true:
            // redis answers a large first command of a client that did not log in with a protocol error
            // ("unauthenticated multibulk length") instead of NOAUTH.
            return StoreError(
                .refused,
                "\(doing) failed: the server requires a password and none was given (it refused a command from a "
                    + "client that did not log in: \(error.serverMessage ?? ""))",
                redisError: error)
        default:
            code = .redis
        }
        return StoreError(code, "\(doing) failed: \(error.message)", redisError: error)
    }
}
