import ClustmakeModel
import Glibc

/// A blocking connection to one redis server over TCP or a unix socket (hiredis underneath).
///
/// ```swift
/// let redis = try RedisConnection(endpoint: RedisEndpoint(parsing: "redis://:pw@10.0.0.5:6380/1"))
/// try redis.command("SET", "job:1:state", "done").expectOK()
/// let states = try redis.pipeline([["GET", "job:1:state"], ["GET", "job:2:state"]])
/// ```
///
/// Every call blocks the calling thread until the reply arrives or the timeout expires, so:
/// - **Never call it from Swift's cooperative pool** (a `Task`, an `async` function): the pool
///   has one thread per core and a blocked thread stalls unrelated tasks. Use it from a
///   dedicated `Thread`, or from an actor whose executor is a serial `DispatchQueue`.
/// - **Use it from one thread at a time.** hiredis contexts are not thread-safe, so this type
///   is deliberately not `Sendable`: the compiler rejects sharing it between concurrency domains.
///   Create it on the thread that uses it, or keep it inside an actor whose executor runs on a
///   dedicated thread; give each thread its own connection.
///   It is a class rather than a `~Copyable` struct so that callers can store it in ordinary
///   properties and collections; the hiredis context inside it is non-copyable and freed once.
///
/// After an I/O error or a timeout the hiredis context is unusable (a late reply could be read
/// as the answer to the next command), so the connection drops it: later calls throw
/// ``RedisError/Code/connectionLost`` until ``reconnect()`` succeeds.
///
/// Writes to a socket the server closed raise `SIGPIPE`; the connection blocks that signal on
/// the calling thread around each call and discards it, so the process survives a redis restart
/// even when nothing set `SIGPIPE` to be ignored.
public final class RedisConnection {
    /// The server this connection talks to.
    public let endpoint: RedisEndpoint
    /// The bound on establishing the connection.
    public let connectTimeout: Duration
    /// The bound on each socket read and write, or `nil` to wait forever.
    public let commandTimeout: Duration?

    private var context: HiredisContext?
    /// The failure that dropped `context` (an I/O error, a timeout, a failed reconnect).
    private var lostBecause: RedisError?
    /// Whether `context` is `nil` because the caller called ``close()``.
    private var closedByCaller = false
    /// When `AUTH` and `SELECT` are sent (``Handshake``).
    public let handshake: Handshake
    /// Whether an `AUTH` was sent without waiting for its reply (``Handshake/withFirstCommand``): its reply comes
    /// before the replies of anything sent after it.
    private var loginPending = false

    /// When a connection logs in (`AUTH`) and selects its database (`SELECT`).
    public enum Handshake: Sendable, Hashable {
        /// Before the initializer returns: a wrong password or database is reported by the initializer, at the
        /// cost of a round trip.
        case beforeReturning
        /// With the first command: `AUTH` waits in the output buffer and goes out with it, so a process that opens
        /// a connection for a few commands (the worker, for each job) saves a round trip, a network round trip
        /// through a tunnel. A wrong password is reported by the first command, with the error the initializer
        /// would give; the server has not run it (it refuses commands of a client that did not log in), and the
        /// connection is closed. Where the server runs them anyway (it has no password, or the default user needs
        /// none) the replies are returned as usual. A database other than 0 is still selected, with `AUTH`, before
        /// the initializer returns: commands behind a refused `SELECT` would run in database 0.
        case withFirstCommand
    }

    /// Connects, then sends `AUTH` and `SELECT` as the endpoint asks.
    ///
    /// - Parameters:
    ///   - endpoint: Where to connect and how to log in.
    ///   - connectTimeout: The bound on establishing the TCP or unix connection. Positive.
    ///   - commandTimeout: The bound on each read and write of a command (including `AUTH` and
    ///     `SELECT`), or `nil` for none. Positive. Blocking commands (`BLPOP key 5`) need a
    ///     command timeout longer than what they block for.
    ///   - handshake: When to log in: before returning (the default), or with the first command, which then
    ///     reports a refused `AUTH` (``Handshake/withFirstCommand``; a database other than 0 is still selected
    ///     before returning).
    /// - Throws: ``RedisError`` with code ``RedisError/Code/connectionRefused``,
    ///   ``RedisError/Code/connect``, ``RedisError/Code/timeout``,
    ///   ``RedisError/Code/authentication``, ``RedisError/Code/server`` (`SELECT` refused) or
    ///   ``RedisError/Code/invalidArgument``; the message names the endpoint.
    public init(
        endpoint: RedisEndpoint, connectTimeout: Duration = .seconds(5), commandTimeout: Duration? = .seconds(30),
        handshake: Handshake = .beforeReturning
    ) throws(RedisError) {
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.handshake = handshake
        guard connectTimeout > .zero else {
            throw RedisError(.invalidArgument, "the connect timeout must be positive, not \(connectTimeout)")
        }
        if let commandTimeout, commandTimeout <= .zero {
            throw RedisError(
                .invalidArgument, "the command timeout must be positive (or nil for none), not \(commandTimeout)")
        }
        context = try open()
    }

    /// Whether the connection is open: not closed, and no I/O error or timeout since it opened.
    public var isConnected: Bool { context != nil }

    /// Sends one command and waits for its reply.
    ///
    /// - Parameter arguments: The command name and its arguments, sent binary-safe.
    /// - Returns: The reply; never ``RedisReply/error(_:)``.
    /// - Throws: ``RedisError``: ``RedisError/Code/server`` or ``RedisError/Code/authentication``
    ///   when the server answers with an error reply (the connection stays usable);
    ///   ``RedisError/Code/timeout``, ``RedisError/Code/connectionLost`` or
    ///   ``RedisError/Code/protocolViolation`` when the connection failed (call ``reconnect()``);
    ///   ``RedisError/Code/closed`` after ``close()``.
    @discardableResult
    public func command(_ arguments: [RedisArgument]) throws(RedisError) -> RedisReply {
        let reply = try exchange([arguments], label: Self.commandName(arguments))[0]
        if case .error(let message) = reply {
            throw RedisError.serverReply(message, command: Self.commandName(arguments), endpoint: endpoint.description)
        }
        return reply
    }

    /// Sends one command given as strings and waits for its reply: `command("GET", key)`.
    ///
    /// - Parameter arguments: The command name and its arguments, sent as UTF-8.
    /// - Returns: The reply; never ``RedisReply/error(_:)``.
    /// - Throws: ``RedisError``, as the form taking `[RedisArgument]`.
    @discardableResult
    public func command(_ arguments: String...) throws(RedisError) -> RedisReply {
        try command(arguments.map { RedisArgument($0) })
    }

    /// Sends all commands, then reads all replies: one round trip for the whole batch.
    ///
    /// Error replies come back as ``RedisReply/error(_:)`` values in their place, not thrown,
    /// so one bad command does not hide the others' results.
    ///
    /// - Parameter commands: The commands, each a non-empty argument list.
    /// - Returns: One reply per command, in order.
    /// - Throws: ``RedisError`` when the connection fails midway (the replies read so far are
    ///   lost; the connection is closed), or for an empty command (nothing is sent).
    public func pipeline(_ commands: [[RedisArgument]]) throws(RedisError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        let first = Self.commandName(commands[0])
        let label = commands.count == 1 ? first : "a pipeline of \(commands.count) commands (first: \(first))"
        return try exchange(commands, label: label)
    }

    /// Sends a batch of encoded commands, then reads all replies: one round trip, as ``pipeline(_:)-([[RedisArgument]])``
    /// does for commands given as arguments.
    /// - Parameter batch: The commands.
    /// - Returns: One reply per command, in order; error replies in their place.
    /// - Throws: ``RedisError`` when the connection fails midway (the connection is closed).
    public func pipeline(_ batch: RedisCommandBatch) throws(RedisError) -> [RedisReply] {
        guard batch.count > 0 else { return [] }
        return try exchange(batch, label: "a pipeline of \(batch.count) commands")
    }

    /// Like ``pipeline(_:)``, but each read and write of this batch may take up to `timeout` instead of
    /// ``commandTimeout``: for a batch the server takes long to answer, such as the `EXEC` of a transaction of a
    /// million commands. The command timeout applies again afterwards.
    ///
    /// - Parameters:
    ///   - commands: The commands, each a non-empty argument list.
    ///   - timeout: The bound for this batch, positive, or `nil` to wait forever.
    /// - Returns: One reply per command, in order.
    /// - Throws: ``RedisError``, as ``pipeline(_:)``.
    public func pipeline(_ commands: [[RedisArgument]], timeout: Duration?) throws(RedisError) -> [RedisReply] {
        try setTimeout(timeout)
        defer { try? setTimeout(commandTimeout) }
        return try pipeline(commands)
    }

    /// Queues `commands` and reads the replies of the `earlier` commands queued by the call before, so that redis
    /// runs one batch while the caller builds the next: the new commands are sent before the reads block (hiredis
    /// flushes its output buffer when it has no reply at hand). Commands queued with `earlier` 0 go out with the next
    /// call's reads; the replies of the last batch are read by a call with no commands. Between such calls the
    /// connection must serve nothing else.
    /// - Parameters:
    ///   - commands: The commands to send, each a non-empty argument list (may be empty).
    ///   - earlier: How many replies of commands sent before are still to read.
    /// - Returns: Those `earlier` replies, in order.
    /// - Throws: ``RedisError``, as ``pipeline(_:)``; the connection is unusable afterwards.
    public func sendReceivingEarlier(_ commands: [[RedisArgument]], earlier: Int) throws(RedisError) -> [RedisReply] {
        try exchange(
            commands, reading: earlier, label: "a pipeline of \(commands.count) commands, reading \(earlier) replies")
    }

    /// Sends `commands` now, reading no reply: their replies are read by a later ``sendReceivingEarlier(_:earlier:)``.
    /// Between such calls the connection must serve nothing else.
    /// - Throws: ``RedisError``, as ``pipeline(_:)``; the connection is unusable afterwards.
    public func send(_ commands: [[RedisArgument]]) throws(RedisError) {
        _ = try exchange(commands, reading: 0, flushing: true, label: "sending \(commands.count) commands")
    }

    /// ``sendReceivingEarlier(_:earlier:)-([[RedisArgument]],_)`` of an encoded batch, sent at once (`flushing`):
    /// its replies are read by a later call.
    /// - Parameters:
    ///   - batch: The commands to send (may be empty).
    ///   - earlier: How many replies of commands sent before are still to read, before this batch's.
    /// - Returns: Those `earlier` replies, in order.
    /// - Throws: ``RedisError``, as ``pipeline(_:)``; the connection is unusable afterwards.
    public func sendReceivingEarlier(_ batch: RedisCommandBatch, earlier: Int) throws(RedisError) -> [RedisReply] {
        try exchange(
            batch, reading: earlier, flushing: true,
            label: "a pipeline of \(batch.count) commands, reading \(earlier) replies")
    }

    /// Closes the connection. Later calls throw ``RedisError/Code/closed`` until ``reconnect()``.
    public func close() {
        context = nil
        loginPending = false
        closedByCaller = true
        lostBecause = nil
    }

    /// Drops the current connection, if any, and connects again with the same endpoint and
    /// timeouts (sending `AUTH` and `SELECT` again).
    /// - Throws: ``RedisError``, as ``init(endpoint:connectTimeout:commandTimeout:)``; the
    ///   connection then stays closed and later calls report this error.
    public func reconnect() throws(RedisError) {
        context = nil
        loginPending = false
        closedByCaller = false
        do {
            context = try open()
            lostBecause = nil
        } catch {
            lostBecause = error
            throw error
        }
    }

    // MARK: - Internals

    /// Appends `commands`, reads `count` replies (as many as commands by default), and drops the context on any
    /// failure.
    private func exchange(
        _ commands: [[RedisArgument]], reading count: Int? = nil, flushing: Bool = false, label: String
    ) throws(RedisError) -> [RedisReply] {
        if let index = commands.firstIndex(where: \.isEmpty) {
            throw RedisError(
                .invalidArgument, "command \(index + 1) of \(commands.count) is empty; it needs at least a name",
                endpoint: endpoint.description)
        }
        return try exchange(RedisCommandBatch(commands), reading: count, flushing: flushing, label: label)
    }

    /// ``exchange(_:reading:flushing:label:)-([[RedisArgument]],_,_,_)`` of commands already encoded.
    private func exchange(
        _ batch: RedisCommandBatch, reading count: Int? = nil, flushing: Bool = false, label: String
    ) throws(RedisError) -> [RedisReply] {
        if loginPending && count != nil {
            // Sending without reading (or reading earlier commands' replies): logging in is settled first, so no
            // command goes out behind an AUTH that may be refused.
            try settleLogin()
        }
        let login = loginPending
        loginPending = false
        let outcome = withSIGPIPEBlocked { () -> Result<Exchanged, HiredisFailure>? in
            switch context {
            case .some(let live):
                Self.run(
                    batch, reading: count ?? batch.count, afterLogin: login, flushing: flushing,
                    on: live, redact: redact)
            case .none: nil
            }
        }
        switch outcome {
        case .none:
            throw unusableError()
        case .success(let exchanged):
            if let reply = exchanged.login {
                do throws(RedisError) { try check(reply, of: .auth) } catch {
                    // The commands behind a refused AUTH ran only if the server lets the connection run them as it
                    // is (a server without a password, a default user without one): their replies say which.
                    let refused = exchanged.replies.first.map { $0.errorMessage?.hasPrefix("NOAUTH") == true } ?? true
                    guard refused else { return exchanged.replies }
                    throw drop(refused: error)
                }
            }
            return exchanged.replies
        case .failure(let failure):
            let during = !login ? label : batch.count == 0 ? "AUTH" : "AUTH and then \(label)"
            throw drop(failure, during: during)
        }
    }

    /// Reads the reply of the `AUTH` sent by ``open()`` and not read yet: an exchange of no command, which drops the
    /// connection when the login is refused.
    private func settleLogin() throws(RedisError) {
        _ = try exchange(RedisCommandBatch(), label: "AUTH")
    }

    /// What ``run(_:reading:afterLogin:flushing:on:redact:)`` read: the reply of `AUTH`, then the commands'.
    private struct Exchanged {
        var login: RedisReply?
        var replies: [RedisReply]
    }

    /// Drops the context after `failure`, remembering why; returns the error to throw.
    private func drop(_ failure: HiredisFailure, during label: String) -> RedisError {
        drop(refused: commandError(failure, during: label))
    }

    /// Drops the context after `error` (a failure, or a refused login), remembering why; returns the error.
    private func drop(refused error: RedisError) -> RedisError {
        context = nil
        lostBecause = error
        return error
    }

    /// Sets the open context's bound on each read and write (nothing when it is not open); drops the context when
    /// that fails.
    private func setTimeout(_ timeout: Duration?) throws(RedisError) {
        var failure: HiredisFailure?
        switch context {
        case .some(let live):
            do throws(HiredisFailure) { try live.setTimeout(timeout) } catch { failure = error }
        case .none: break
        }
        guard let failure else { return }
        throw drop(failure, during: "setting the command timeout")
    }

    /// Appends `batch`, then reads the reply of the `AUTH` appended before them when `afterLogin`,
    /// then `count` replies: of commands appended before, then of these. After a refused `AUTH`, a connection the
    /// server closed (as it does for a large command of a client that did not log in) ends the reading without a
    /// failure.
    private static func run(
        _ batch: RedisCommandBatch, reading count: Int, afterLogin: Bool = false, flushing: Bool = false,
        on context: borrowing HiredisContext, redact: (String) -> String
    ) -> Result<Exchanged, HiredisFailure> {
        var read = Exchanged(login: nil, replies: [])
        do throws(HiredisFailure) {
            try context.append(encoded: batch)
            if flushing { try context.flush() }
            if afterLogin { read.login = try context.nextReply(redact: redact) }
            read.replies.reserveCapacity(count)
            for _ in 0..<count { read.replies.append(try context.nextReply(redact: redact)) }
            return .success(read)
        } catch {
            guard case .error = read.login else { return .failure(error) }
            read.replies = []
            return .success(read)
        }
    }

    /// Connects, sets the timeouts, and logs in, returning the ready context.
    private func open() throws(RedisError) -> HiredisContext {
        func connectSocket() throws(HiredisFailure) -> HiredisContext {
            let context = try HiredisContext(connectingTo: endpoint.address, timeout: connectTimeout)
            try context.setTimeout(commandTimeout)
            return context
        }
        if case .unix(let path) = endpoint.address, path.utf8.count > 107 {
            throw RedisError(
                .invalidArgument,
                "the unix socket path of \(endpoint) is \(path.utf8.count) bytes long; the system limit is 107",
                endpoint: endpoint.description)
        }
        let ready: HiredisContext
        do { ready = try connectSocket() } catch { throw connectError(error) }
        var commands: [(arguments: [RedisArgument], command: LoginCommand)] = []
        if let password = endpoint.password {
            var auth: [RedisArgument] = ["AUTH"]
            if let username = endpoint.username { auth.append(RedisArgument(username)) }
            auth.append(RedisArgument(password))
            commands.append((auth, .auth))
        } else if let username = endpoint.username {
            throw RedisError(
                .authentication,
                "the endpoint \(endpoint) names user \"\(username)\" but gives no password; "
                    + "give it with --redis-password-file FILE (mode 0600), the REDISCLI_AUTH environment variable, "
                    + "or in the URL (redis://\(username):PASSWORD@host)",
                endpoint: endpoint.description)
        }
        if endpoint.database != 0 { commands.append((["SELECT", RedisArgument(endpoint.database)], .select)) }
        // SELECT is never left for later: the commands behind a refused SELECT would run in database 0.
        if handshake == .withFirstCommand, endpoint.database == 0, let login = commands.first {
            do throws(HiredisFailure) { try ready.append(encoded: RedisCommandBatch([login.arguments])) } catch {
                throw commandError(error, during: "AUTH")
            }
            loginPending = true
        } else if !commands.isEmpty {
            try logIn(ready, commands)
        }
        return ready
    }

    /// Sends `commands` (`AUTH`, `SELECT`) on a context that is not installed yet, in one round trip, and checks
    /// their replies.
    private func logIn(
        _ context: borrowing HiredisContext, _ commands: [(arguments: [RedisArgument], command: LoginCommand)]
    ) throws(RedisError) {
        let outcome = withSIGPIPEBlocked {
            Self.run(
                RedisCommandBatch(commands.map(\.arguments)), reading: commands.count, on: context, redact: redact)
        }
        switch outcome {
        case .success(let read):
            for (reply, sent) in zip(read.replies, commands) { try check(reply, of: sent.command) }
        case .failure(let failure):
            throw commandError(failure, during: commands.map(\.command.rawValue).joined(separator: " and "))
        }
    }

    /// The commands a connection logs in with.
    private enum LoginCommand: String {
        case auth = "AUTH"
        case select = "SELECT"
    }

    /// Throws the error for a refused `AUTH` or `SELECT` from its reply; nothing for any other reply.
    private func check(_ reply: RedisReply, of command: LoginCommand) throws(RedisError) {
        guard case .error(let message) = reply else { return }
        if command == .auth {
            let who = endpoint.username.map { "user \"\($0)\"" } ?? "the default user"
            var advice = "check the password"
            if message.contains("without any password configured") {
                advice =
                    "the server has no password set: drop the password from the endpoint, or configure "
                    + "requirepass / an ACL user on the server"
            } else if message.contains("wrong number of arguments") {
                advice = "AUTH with a user name needs redis 6 or later"
            }
            throw RedisError(
                .authentication,
                "AUTH as \(who) failed at \(endpoint): \(message); \(advice)",
                endpoint: endpoint.description, serverMessage: message)
        }
        let error = RedisError.serverReply(message, command: "SELECT", endpoint: endpoint.description)
        if error.code == .authentication { throw error }
        throw RedisError(
            .server,
            "cannot select database \(endpoint.database) at \(endpoint): \(message); "
                + "the server's `databases` setting bounds the index (16 by default)",
            endpoint: endpoint.description, serverMessage: message)
    }

    private func redact(_ text: String) -> String {
        guard let password = endpoint.password else { return text }
        return RedisPassword(password).redact(text)
    }

    private func unusableError() -> RedisError {
        if closedByCaller || lostBecause == nil {
            return RedisError(
                .closed, "the connection to \(endpoint) was closed with close(); call reconnect() to open it again",
                endpoint: endpoint.description)
        }
        let cause = lostBecause!
        return RedisError(
            .connectionLost,
            "the connection to \(endpoint) is unusable after an earlier failure; call reconnect(). "
                + "Earlier failure: \(cause)",
            endpoint: endpoint.description, systemErrno: cause.systemErrno, hiredisMessage: cause.hiredisMessage)
    }

    /// The error for a failed connect (or a failed timeout setup right after it).
    private func connectError(_ failure: HiredisFailure) -> RedisError {
        let text = redact(failure.text)
        func error(_ code: RedisError.Code, _ message: String) -> RedisError {
            RedisError(
                code, message, endpoint: endpoint.description, systemErrno: failure.systemErrno, hiredisMessage: text)
        }
        if failure.isOutOfMemory { return error(.outOfMemory, "cannot allocate a connection to \(endpoint)") }
        switch (endpoint.address, failure.systemErrno) {
        case (.tcp(_, let port), ECONNREFUSED):
            return error(
                .connectionRefused,
                "cannot connect to \(endpoint): nothing listens there. Is redis-server running? "
                    + "Start one with: redis-server --port \(port) --save '' --appendonly no")
        case (.unix(let path), ENOENT):
            return error(
                .connectionRefused,
                "cannot connect to \(endpoint): the socket file does not exist. Is redis-server running "
                    + "with --unixsocket \(path)?")
        case (.unix, ECONNREFUSED):
            return error(
                .connectionRefused,
                "cannot connect to \(endpoint): no server accepts on that socket (a stale socket file of a "
                    + "stopped redis-server?)")
        case (.unix, EACCES):
            return error(
                .connect,
                "cannot connect to \(endpoint): permission denied on the socket; check the server's "
                    + "unixsocketperm and this user's groups")
        case (_, ETIMEDOUT), (_, EINPROGRESS), (_, EAGAIN):
            return error(
                .timeout,
                "no answer from \(endpoint) within \(Self.formatted(connectTimeout)): check the host, the port, "
                    + "firewalls and ssh tunnels, or raise the connect timeout")
        case (.tcp(let host, _), _) where failure.systemErrno == nil:
            return error(.connect, "cannot connect to \(endpoint): \(text); check the host name \"\(host)\"")
        default:
            return error(.connect, "cannot connect to \(endpoint): \(text)")
        }
    }

    /// The error for a failure while sending a command or reading its reply.
    private func commandError(_ failure: HiredisFailure, during label: String) -> RedisError {
        let text = redact(failure.text)
        func error(_ code: RedisError.Code, _ message: String) -> RedisError {
            RedisError(
                code, message, endpoint: endpoint.description, systemErrno: failure.systemErrno, hiredisMessage: text)
        }
        if failure.isOutOfMemory { return error(.outOfMemory, "cannot allocate memory for \(label) to \(endpoint)") }
        if failure.isProtocol {
            return error(
                .protocolViolation,
                "\(endpoint) sent a reply to \(label) that is not valid RESP2 (is it a redis server?); "
                    + "the connection is closed, call reconnect()")
        }
        if failure.isEOF {
            return error(
                .connectionLost,
                "\(endpoint) closed the connection during \(label) (the server restarted or was killed, or it "
                    + "dropped this client: idle timeout, maxclients, CLIENT KILL); call reconnect()")
        }
        if let code = failure.systemErrno, code == EAGAIN || code == EWOULDBLOCK || code == ETIMEDOUT {
            let limit = commandTimeout.map(Self.formatted) ?? "the timeout"
            return error(
                .timeout,
                "no reply to \(label) from \(endpoint) within \(limit); the connection is closed because the "
                    + "reply may still arrive. Call reconnect(); commands that block (BLPOP) or run long need a "
                    + "longer command timeout")
        }
        return error(
            .connectionLost,
            "lost the connection to \(endpoint) during \(label): \(text); call reconnect()")
    }

    /// The command's name for messages (`GET`), never its arguments.
    private static func commandName(_ arguments: [RedisArgument]) -> String {
        guard let first = arguments.first else { return "an empty command" }
        let name = String(decoding: first.bytes.prefix(32), as: UTF8.self).uppercased()
        return name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "|" })
            ? name : "a command"
    }

    /// `200 ms`, `5 s`, `1.5 s`.
    static func formatted(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if millis < 1000 { return "\(millis) ms" }
        if millis % 1000 == 0 { return "\(millis / 1000) s" }
        return "\(Double(millis) / 1000) s"
    }
}

/// `RedisConnection` must not cross threads or tasks: hiredis contexts are not thread-safe.
@available(*, unavailable, message: "a RedisConnection is used by one thread at a time; open one per thread")
extension RedisConnection: Sendable {}
