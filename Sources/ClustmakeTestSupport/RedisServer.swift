import ClustmakeRedis
import ClustmakeSystem
import Foundation
import Glibc
import Synchronization

/// A real `redis-server` for one test: its own temporary directory, a free TCP port on
/// 127.0.0.1, optionally a unix socket, a password and ACL users; persistence off.
///
/// ```swift
/// @Test("GET returns what SET stored") func roundTrip() throws {
///     let server = try RedisServer()
///     let redis = try server.connect()
///     try redis.command("SET", "k", "v").expectOK()
/// }   // the server stops when `server` goes away
/// ```
///
/// **One server per test.** Swift Testing runs tests in parallel; a private server (about 10 ms
/// to start, a few MB of memory) keeps them isolated even when a test restarts, kills or
/// reconfigures redis, which a shared server with one database per test could not.
///
/// `init` fails loudly, never skips, when `redis-server` is missing: the error names the Debian
/// package. Set `CLUSTMAKE_REDIS_SERVER` to use another binary.
///
/// The methods block (spawning, polling for PING, waiting for exit); call them from test code,
/// not from production code on the cooperative pool. If the test process dies without running
/// `deinit`, the server lingers until killed: look for `redis-server 127.0.0.1:PORT` processes
/// and `/tmp/clustmake-redis.*` directories.
public final class RedisServer: Sendable {
    /// An ACL user created at start-up (`user NAME on >PASSWORD RULES…` in the configuration).
    public struct User: Sendable, Hashable {
        /// The user name.
        public var name: String
        /// The user's password.
        public var password: String
        /// ACL rules after the password; all keys, channels and commands by default.
        public var rules: [String]

        /// Creates a user.
        /// - Parameters:
        ///   - name: The user name.
        ///   - password: The user's password.
        ///   - rules: ACL rules; all keys, channels and commands by default.
        public init(name: String, password: String, rules: [String] = ["~*", "&*", "+@all"]) {
            self.name = name
            self.password = password
            self.rules = rules
        }
    }

    /// How to start the server.
    public struct Options: Sendable {
        /// Also listen on a unix socket in the temporary directory.
        public var unixSocket: Bool
        /// The default user's password (`requirepass`), or `nil` for none.
        public var password: String?
        /// ACL users to create.
        public var users: [User]
        /// More configuration as command-line arguments: `["--maxclients", "20"]`.
        public var extraArguments: [String]
        /// How long to wait for the first PONG.
        public var startupTimeout: Duration
        /// The `redis-server` binary; `nil` means `$CLUSTMAKE_REDIS_SERVER`, then `PATH`.
        public var executable: String?

        /// Creates options; the defaults give a TCP-only server without a password.
        /// - Parameters:
        ///   - unixSocket: Also listen on a unix socket.
        ///   - password: The default user's password.
        ///   - users: ACL users to create.
        ///   - extraArguments: More configuration as command-line arguments.
        ///   - startupTimeout: How long to wait for the first PONG.
        ///   - executable: The `redis-server` binary to run.
        public init(
            unixSocket: Bool = false, password: String? = nil, users: [User] = [], extraArguments: [String] = [],
            startupTimeout: Duration = .seconds(10), executable: String? = nil
        ) {
            self.unixSocket = unixSocket
            self.password = password
            self.users = users
            self.extraArguments = extraArguments
            self.startupTimeout = startupTimeout
            self.executable = executable
        }
    }

    /// The options the server was started with.
    public let options: Options
    /// The TCP port on 127.0.0.1; the same after ``restart()``.
    public let port: Int
    /// The temporary directory holding the log, the unix socket and any dump files.
    public let directory: String
    /// The server's log file.
    public let logFile: String
    /// The server's stdout and stderr (configuration errors appear here before the log opens).
    public let outputFile: String
    /// The unix socket's path, when ``Options/unixSocket`` is set.
    public let unixSocketPath: String?
    /// The binary that runs.
    public let executable: String

    private struct State: Sendable {
        var pid: pid_t?
        var removed = false
    }
    private let state: Mutex<State>

    /// Starts a server and waits until it answers PING.
    ///
    /// Picks a free port by binding port 0 and reading it back; if another process takes the
    /// port before redis binds it, starts again on a new port (up to 5 attempts).
    /// - Parameter options: How to start it.
    /// - Throws: ``RedisServerError`` when `redis-server` is not installed, the temporary
    ///   directory cannot be made, or the server does not answer in time (with the log's tail).
    public init(_ options: Options = Options()) throws(RedisServerError) {
        self.options = options
        executable = try Self.findExecutable(options.executable)
        directory = try Self.makeTemporaryDirectory()
        logFile = directory + "/redis.log"
        outputFile = directory + "/redis.out"
        unixSocketPath = options.unixSocket ? directory + "/redis.sock" : nil

        var lastError: RedisServerError?
        for _ in 0..<5 {
            let candidate: Int
            do { candidate = try Self.freePort() } catch {
                lastError = error
                continue
            }
            do {
                let pid = try Self.launch(
                    executable: executable, arguments: Self.arguments(options, port: candidate, directory: directory),
                    outputFile: outputFile)
                try Self.waitUntilReady(
                    pid: pid, endpoint: Self.endpoint(port: candidate, options: options), options: options,
                    logFile: logFile, outputFile: outputFile)
                port = candidate
                state = Mutex(State(pid: pid))
                return
            } catch {
                lastError = error
                guard error.addressInUse else { break }
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw lastError ?? RedisServerError("redis-server did not start", logTail: "")
    }

    deinit { stop() }

    /// The TCP endpoint, with the default user's password when one is set.
    public var endpoint: RedisEndpoint { Self.endpoint(port: port, options: options) }

    /// The unix socket endpoint, when ``Options/unixSocket`` is set.
    public var unixEndpoint: RedisEndpoint? {
        unixSocketPath.map { RedisEndpoint(unixSocket: $0, password: options.password) }
    }

    /// The server's process id while it runs.
    public var pid: pid_t? { state.withLock { $0.pid } }

    /// Whether the server process runs (it may have exited on its own).
    public var isRunning: Bool {
        state.withLock { state in
            guard let pid = state.pid else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                state.pid = nil
                return false
            }
            return true
        }
    }

    /// Opens a connection to this server over TCP.
    /// - Parameters:
    ///   - database: The database index to select.
    ///   - commandTimeout: The bound on each command, 10 s by default.
    /// - Returns: A new connection; the caller owns it.
    /// - Throws: ``RedisError`` when connecting fails.
    public func connect(database: Int = 0, commandTimeout: Duration? = .seconds(10)) throws(RedisError)
        -> RedisConnection
    {
        try RedisConnection(
            endpoint: endpoint.withDatabase(database), connectTimeout: .seconds(2), commandTimeout: commandTimeout)
    }

    /// Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its temporary directory.
    /// Safe to call more than once; ``restart()`` cannot follow.
    public func stop() {
        state.withLock { state in
            if let pid = state.pid { Self.terminate(pid, signal: SIGTERM) }
            state.pid = nil
            if !state.removed {
                try? FileManager.default.removeItem(atPath: directory)
                state.removed = true
            }
        }
    }

    /// Kills the server with SIGKILL, as a crash would, and reaps it. The directory stays, so
    /// ``restart()`` can follow.
    public func kill() {
        state.withLock { state in
            if let pid = state.pid { Self.terminate(pid, signal: SIGKILL) }
            state.pid = nil
        }
    }

    /// Stops the server if it runs (SIGTERM) and starts it again on the same port, with the
    /// same options and directory; waits until it answers PING. Data is not kept (persistence
    /// is off unless ``Options/extraArguments`` turn it on).
    /// - Throws: ``RedisServerError`` when it does not come back, e.g. because another process
    ///   took the port meanwhile (tried 5 times, 100 ms apart).
    public func restart() throws(RedisServerError) {
        try state.withLock { (state) throws(RedisServerError) in
            guard !state.removed else {
                throw RedisServerError("restart() after stop(): the server's directory is gone", logTail: "")
            }
            if let pid = state.pid { Self.terminate(pid, signal: SIGTERM) }
            state.pid = nil
            var lastError: RedisServerError?
            for attempt in 0..<5 {
                if attempt > 0 { Self.sleep(.milliseconds(100)) }
                do throws(RedisServerError) {
                    let pid = try Self.launch(
                        executable: executable, arguments: Self.arguments(options, port: port, directory: directory),
                        outputFile: outputFile)
                    state.pid = pid
                    try Self.waitUntilReady(
                        pid: pid, endpoint: endpoint, options: options, logFile: logFile, outputFile: outputFile)
                    return
                } catch {
                    state.pid = nil
                    lastError = error
                    guard error.addressInUse else { break }
                }
            }
            throw lastError ?? RedisServerError("redis-server did not restart", logTail: "")
        }
    }

    /// The last lines of the server's log and output, for failure messages.
    /// - Parameter lines: How many lines of each file.
    /// - Returns: The lines, each file under a heading.
    public func logTail(lines: Int = 30) -> String {
        Self.logTail(logFile: logFile, outputFile: outputFile, lines: lines)
    }

    // MARK: - Starting and stopping

    private static func endpoint(port: Int, options: Options) -> RedisEndpoint {
        RedisEndpoint(host: "127.0.0.1", port: port, password: options.password)
    }

    private static func arguments(_ options: Options, port: Int, directory: String) -> [String] {
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--dir", directory,
            "--logfile", directory + "/redis.log", "--pidfile", directory + "/redis.pid",
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice",
        ]
        if options.unixSocket {
            arguments += ["--unixsocket", directory + "/redis.sock", "--unixsocketperm", "700"]
        }
        if let password = options.password { arguments += ["--requirepass", password] }
        for user in options.users {
            arguments += ["--user", user.name, "on", ">" + user.password] + user.rules
        }
        return arguments + options.extraArguments
    }

    /// Spawns the server with stdin from /dev/null, stdout and stderr appended to `outputFile`,
    /// no other inherited descriptors, and default signal handling.
    private static func launch(executable: String, arguments: [String], outputFile: String) throws(RedisServerError)
        -> pid_t
    {
        switch Spawn.process(
            [executable] + arguments, standardOutput: .file(outputFile, append: true), standardError: .standardOutput)
        {
        case .success(let pid):
            return pid
        case .failure(let error):
            throw RedisServerError("cannot start \(executable): \(error)", logTail: "")
        }
    }

    /// Polls PING every 10 ms until PONG, the process exits, or the startup timeout passes.
    private static func waitUntilReady(
        pid: pid_t, endpoint: RedisEndpoint, options: Options, logFile: String, outputFile: String
    ) throws(RedisServerError) {
        let clock = ContinuousClock()
        let deadline = clock.now + options.startupTimeout
        var lastProblem = "no answer yet"
        while clock.now < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let tail = logTail(logFile: logFile, outputFile: outputFile, lines: 30)
                throw RedisServerError(
                    "redis-server for \(endpoint) exited during start-up (wait status \(status))", logTail: tail,
                    addressInUse: tail.contains("Address already in use"))
            }
            do {
                let connection = try RedisConnection(
                    endpoint: endpoint, connectTimeout: .milliseconds(500), commandTimeout: .seconds(2))
                if try connection.command("PING") == .status("PONG") {
                    // Another test's server may have taken the port between probing and binding;
                    // then ours exits with "Address already in use" and PONG came from theirs.
                    let info = try connection.command("INFO", "server").string ?? ""
                    if info.contains("process_id:\(pid)\r\n") { return }
                    terminate(pid, signal: SIGKILL)
                    throw RedisServerError(
                        "port \(endpoint) was taken by another redis-server", logTail: "", addressInUse: true)
                }
            } catch let error as RedisServerError {
                throw error
            } catch let error as RedisError {
                lastProblem = error.description
            } catch {
                lastProblem = "\(error)"
            }
            sleep(.milliseconds(10))
        }
        terminate(pid, signal: SIGKILL)
        throw RedisServerError(
            "redis-server at \(endpoint) did not answer PING within \(options.startupTimeout) (last problem: "
                + "\(lastProblem))",
            logTail: logTail(logFile: logFile, outputFile: outputFile, lines: 30))
    }

    /// Sends `signal`, waits up to 5 s for the exit, then SIGKILLs and reaps.
    private static func terminate(_ pid: pid_t, signal: Int32) {
        Glibc.kill(pid, signal)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        var status: Int32 = 0
        while clock.now < deadline {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result == -1 && errno == ECHILD) { return }
            sleep(.milliseconds(2))
        }
        Glibc.kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    // MARK: - Environment

    private static func findExecutable(_ explicit: String?) throws(RedisServerError) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let path = explicit ?? environment["CLUSTMAKE_REDIS_SERVER"] {
            guard access(path, X_OK) == 0 else {
                throw RedisServerError(
                    "redis-server not found at \(path) (from \(explicit != nil ? "Options.executable" : "$CLUSTMAKE_REDIS_SERVER")). "
                        + "Install the Debian package redis-server (apt-get install redis-server) or fix the path.",
                    logTail: "")
            }
            return path
        }
        let searchPath = environment["PATH"] ?? ""
        let directories =
            searchPath.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/redis-server"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw RedisServerError(
            "redis-server is not installed (looked in PATH=\(searchPath) and /usr/bin, /usr/sbin, /usr/local/bin). "
                + "The redis tests need a real server: install the Debian package redis-server "
                + "(apt-get install redis-server), or set CLUSTMAKE_REDIS_SERVER to its path.",
            logTail: "")
    }

    private static func makeTemporaryDirectory() throws(RedisServerError) -> String {
        do { return try Prerequisite.temporaryDirectory(prefix: "clustmake-redis", mode: 0o700) } catch {
            throw RedisServerError(error.message, logTail: "")
        }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (``Prerequisite/freePort()``).
    private static func freePort() throws(RedisServerError) -> Int {
        do { return try Prerequisite.freePort() } catch {
            throw RedisServerError(error.message, logTail: "", addressInUse: error.addressInUse)
        }
    }

    static func sleep(_ duration: Duration) { blockingSleep(duration) }

    static func logTail(logFile: String, outputFile: String, lines: Int) -> String {
        func tail(_ path: String) -> String {
            guard let data = FileManager.default.contents(atPath: path) else { return "(no file)" }
            let text = String(decoding: data, as: UTF8.self)
            let kept = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
            return kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return "--- \(logFile) ---\n\(tail(logFile))\n--- \(outputFile) ---\n\(tail(outputFile))"
    }
}
