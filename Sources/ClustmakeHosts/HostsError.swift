/// A failure of the hosts module itself, as opposed to a host failing a check (that is a ``HostCheck`` finding): the
/// embedded redis cannot start, a worker binary to install is missing or of another version, a process cannot be
/// started, a redis address job lines cannot carry.
///
/// The message names the file, directory, host or program involved; ``fix`` says what to do. No password ever
/// appears in one.
public struct HostsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. Compare with the static members: `error.code == .redisServerMissing`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// `redis-server` is not installed (the message names the Debian package).
        public static let redisServerMissing = Code("redis-server-missing")
        /// The embedded redis did not start, or did not answer in time (the message has its log's tail).
        public static let redisStart = Code("redis-start")
        /// The embedded redis runs but cannot be reached or refuses the login; or it did not stop.
        public static let redisUnreachable = Code("redis-unreachable")
        /// The state directory (`.clustmake/`) or a file in it cannot be made, read or locked, or has unsafe
        /// permissions.
        public static let stateDirectory = Code("state-directory")
        /// The worker binary to install is missing, cannot run here, or is of another version.
        public static let workerBinary = Code("worker-binary")
        /// A program (ssh, sh) could not be started.
        public static let process = Code("process")
        /// The embedded redis was not stopped: clustmake commands (a run) use it, and `--force` was not given.
        public static let redisInUse = Code("redis-in-use")
        /// The redis address cannot be reached by workers (a socket path with ':').
        public static let invalidRedis = Code("invalid-redis")
    }

    /// What kind of failure this is.
    public var code: Code
    /// What failed and where, as a sentence.
    public var message: String
    /// What to do about it, as a sentence.
    public var fix: String?
    /// The underlying cause (a system error, a program's last words), when there is one.
    public var cause: String?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What failed and where.
    ///   - fix: What to do about it.
    ///   - cause: The underlying cause.
    public init(_ code: Code, _ message: String, fix: String? = nil, cause: String? = nil) {
        self.code = code
        self.message = message
        self.fix = fix
        self.cause = cause
    }

    /// `message (cause) Fix: fix`.
    public var description: String {
        var text = message
        if let cause, !cause.isEmpty { text += " (\(cause))" }
        if let fix { text += " Fix: \(fix)" }
        return text
    }
}
