/// An error from the redis layer: a code to branch on, a message for people, and the cause.
///
/// The message names the endpoint (password redacted) and says what to do about it; the
/// underlying errno, hiredis text and server reply are kept separately. Secrets never appear in
/// any of them: endpoint descriptions redact the password, and text from hiredis or the server
/// passes through the connection's redactor, which replaces the password with `***`.
///
/// ```
/// connection refused: cannot connect to redis://127.0.0.1:6390/0: nothing listens there.
/// Is redis-server running? Start one with: redis-server --port 6390 --save '' --appendonly no
/// (errno 111: Connection refused)
/// ```
public struct RedisError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. Compare with the static members: `error.code == .timeout`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidURL, invalidArgument, connectionRefused, connect, timeout, connectionLost
            case closed, protocolViolation, authentication, server, unexpectedReply, outOfMemory
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The endpoint string could not be parsed, or uses something unsupported (`rediss://`).
        public static let invalidURL = Code(.invalidURL)
        /// An argument was out of range (an empty command, a non-positive timeout).
        public static let invalidArgument = Code(.invalidArgument)
        /// Nothing listens at the TCP address (`ECONNREFUSED`), or no socket file at the path.
        public static let connectionRefused = Code(.connectionRefused)
        /// Connecting failed for another reason: unknown host, unreachable network, permissions.
        public static let connect = Code(.connect)
        /// The connect timeout or the command timeout expired. After a command timeout the
        /// connection is closed; call ``RedisConnection/reconnect()``.
        public static let timeout = Code(.timeout)
        /// The connection failed (server closed it, reset, I/O error), or a call was made after it
        /// failed. Call ``RedisConnection/reconnect()``.
        public static let connectionLost = Code(.connectionLost)
        /// The connection was closed with ``RedisConnection/close()``.
        public static let closed = Code(.closed)
        /// The server sent bytes that are not valid RESP2.
        public static let protocolViolation = Code(.protocolViolation)
        /// AUTH failed, or the server requires a password that was not given (`NOAUTH`,
        /// `WRONGPASS`).
        public static let authentication = Code(.authentication)
        /// The server answered a command with an error reply (`ERR …`, `WRONGTYPE …`).
        public static let server = Code(.server)
        /// A reply had a different type than the caller expected (see ``RedisReply/expectOK()``).
        public static let unexpectedReply = Code(.unexpectedReply)
        /// hiredis could not allocate memory.
        public static let outOfMemory = Code(.outOfMemory)

        public var description: String {
            switch base {
            case .invalidURL: "invalid URL"
            case .invalidArgument: "invalid argument"
            case .connectionRefused: "connection refused"
            case .connect: "connect failed"
            case .timeout: "timeout"
            case .connectionLost: "connection lost"
            case .closed: "connection closed"
            case .protocolViolation: "protocol error"
            case .authentication: "authentication failed"
            case .server: "server error"
            case .unexpectedReply: "unexpected reply"
            case .outOfMemory: "out of memory"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// A sentence for people: what failed, where, and what to do about it. Secrets redacted.
    public var message: String
    /// The endpoint involved, as ``RedisEndpoint/description`` (password shown as `***`).
    public var endpoint: String?
    /// The errno hiredis saw, when the failure came from a system call.
    public var systemErrno: Int32?
    /// hiredis's own error text (`redisContext.errstr`), redacted.
    public var hiredisMessage: String?
    /// The server's error reply (`ERR …`), redacted, when the failure is a server reply.
    public var serverMessage: String?

    /// Creates an error. Library code passes text through a redactor before it gets here.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: A sentence naming what failed and what to do about it.
    ///   - endpoint: The redacted endpoint description.
    ///   - systemErrno: The errno from the failed system call.
    ///   - hiredisMessage: hiredis's error text.
    ///   - serverMessage: The server's error reply.
    public init(
        _ code: Code, _ message: String, endpoint: String? = nil, systemErrno: Int32? = nil,
        hiredisMessage: String? = nil, serverMessage: String? = nil
    ) {
        self.code = code
        self.message = message
        self.endpoint = endpoint
        self.systemErrno = systemErrno
        self.hiredisMessage = hiredisMessage
        self.serverMessage = serverMessage
    }

    /// `code: message (cause)`, one paragraph, for logs and the command line.
    public var description: String {
        var text = "\(code): \(message)"
        var causes: [String] = []
        if let systemErrno {
            let name = hiredisMessage.map { ": \($0)" } ?? ""
            causes.append("errno \(systemErrno)\(name)")
        } else if let hiredisMessage {
            causes.append("hiredis: \(hiredisMessage)")
        }
        if let serverMessage, !message.contains(serverMessage) {
            causes.append("server: \(serverMessage)")
        }
        if !causes.isEmpty { text += " (\(causes.joined(separator: "; ")))" }
        return text
    }

    /// The same as ``description``: nothing in an error is kept back except secrets.
    public var debugDescription: String { description }
}
