import ClustmakeModel
public import ClustmakeRedis
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// clustmake's private `redis-server` for the embedded default: one per working directory, under `.clustmake/redis/`,
/// on a unix socket only (no TCP port), with a password kept in a file only you can read, and append-only
/// persistence, so states, results and statistics survive a restart (docs/hosts.md).
///
/// ```swift
/// let local = try LocalRedis()                       // .clustmake/redis under the working directory
/// let server = try await local.ensureRunning()       // starts it, or finds it running
/// let store = try JobStore(endpoint: server.endpoint, namespace: "demo")
/// …
/// try await local.stop()                             // clustmake redis stop
/// ```
///
/// The files, in ``directory`` (mode 0700):
///
/// | file | |
/// | --- | --- |
/// | `password` | 32 random hex digits, mode 0600, made once |
/// | `redis.conf` | mode 0600 (it holds `requirepass`); rewritten at every start |
/// | `redis.sock` | the socket (or `/tmp/clustmake-redis-UID/HASH.sock` when this path is too long for a socket) |
/// | `redis.pid`, `redis.log` | the server's process id and log |
/// | `appendonlydir/` | the data |
/// | `lock` | taken while starting or stopping, so two commands never start two servers |
/// | `idle-timeout` | the server's idle timeout, `never` or seconds (``IdleStop``), written when it starts |
/// | `idle-watch`, `idle-watch.lock`, `idle-watch.log` | the idle watcher's last look, its lock and its log |
/// | `in-use` | held shared by every command that uses the server (``hold()``) |
///
/// Every method is safe to call from concurrent commands in the same directory. The blocking parts (redis calls,
/// the lock) run on threads of their own.
public struct LocalRedis: Sendable {
    /// The state directory clustmake keeps under the working directory.
    public static let defaultStateDirectory = ".clustmake"

    /// The server's directory: `STATE/redis`, absolute.
    public let directory: String
    /// The unix socket the server listens on.
    public let socketPath: String
    /// The file holding the password (mode 0600).
    public let passwordFile: String
    /// The server's configuration (mode 0600).
    public let configFile: String
    /// The file where the server writes its process id.
    public let pidFile: String
    /// The server's log.
    public let logFile: String
    /// The `redis-server` to start; `nil`: `$CLUSTMAKE_REDIS_SERVER`, else `PATH`, `/usr/bin`, `/usr/sbin`,
    /// `/usr/local/bin`.
    public let redisServer: String?
    /// When a server this value starts stops by itself (``IdleStop``); ``IdleStop/never`` by default.
    public let idleStop: IdleStop

    /// A running server.
    public struct Running: Sendable {
        /// How to reach it: its socket and password.
        public var endpoint: RedisEndpoint
        /// Its process id.
        public var pid: Int32
        /// Whether this call started it (`false`: it was running already).
        public var started: Bool
    }

    /// What ``status()`` found.
    public struct Status: Sendable, Hashable {
        /// Whether the server runs and answers.
        public var running: Bool
        /// Its process id, while it runs (also when it runs but does not answer).
        public var pid: Int32?
        /// Its socket.
        public var socketPath: String
        /// Its directory.
        public var directory: String
        /// `redis_version` from `INFO`, when it answers.
        public var version: String?
        /// Seconds since it started, when it answers.
        public var uptimeSeconds: Int?
        /// Keys in database 0, when it answers.
        public var keys: Int?
        /// Memory it uses, when it answers.
        public var usedMemoryBytes: Int64?
        /// Why it does not answer, when it runs but does not.
        public var problem: String?
        /// Its idle stop, when it runs: the timeout, and what the watcher last saw.
        public var idleWatch: IdleWatch?
    }

    /// Describes the server under `stateDirectory` (nothing is created until ``ensureRunning(timeout:)``).
    /// - Parameters:
    ///   - stateDirectory: clustmake's state directory, `.clustmake` under the working directory by default.
    ///   - redisServer: The `redis-server` binary, or `nil` to look for it.
    ///   - idleStop: When a server started by ``ensureRunning(timeout:)`` stops by itself, and who watches it.
    /// - Throws: ``HostsError`` (``HostsError/Code/stateDirectory``) when the working directory cannot be read.
    public init(
        stateDirectory: String = LocalRedis.defaultStateDirectory, redisServer: String? = nil,
        idleStop: IdleStop = .never
    ) throws(HostsError) {
        let base: String
        do { base = try FileSystem.absolute(stateDirectory) } catch {
            throw HostsError(.stateDirectory, "cannot read the working directory", cause: error.cause)
        }
        directory = base + "/redis"
        passwordFile = directory + "/password"
        configFile = directory + "/redis.conf"
        pidFile = directory + "/redis.pid"
        logFile = directory + "/redis.log"
        socketPath = Self.socketPath(for: directory)
        self.redisServer = redisServer
        self.idleStop = idleStop
    }

    /// Starts the server unless it runs already, and waits until it answers; arms its idle stop (``idleStop``:
    /// recorded for a server it starts, and a watcher started when one is due and none runs).
    /// - Parameter timeout: How long to wait for it to answer; a server loading its data set, which takes a while
    ///   for a large one, is waited for as long as it answers that it is loading.
    /// - Returns: Its endpoint and process id, and whether this call started it.
    /// - Throws: ``HostsError``: ``HostsError/Code/redisServerMissing`` (naming the Debian package),
    ///   ``HostsError/Code/stateDirectory``, ``HostsError/Code/redisStart`` (with the log's tail).
    public func ensureRunning(timeout: Duration = .seconds(20)) async throws(HostsError) -> Running {
        let lock = try await DedicatedThread.run { () throws(HostsError) in try self.lock() }
        defer { close(lock) }
        try prepareFiles()
        let endpoint = try self.endpoint()
        if let pid = livePID() {
            // Running (perhaps still loading its data): wait for it rather than start a second one.
            try await waitUntilAnswering(endpoint, pid: pid, timeout: timeout)
            try await armIdleStop(started: false)
            return Running(endpoint: endpoint, pid: pid, started: false)
        }
        let server = try findServer()
        let start = try await ProcessRunner.run([server, configFile], timeout: .seconds(30))
        guard start.status == 0 else {
            throw HostsError(
                .redisStart, "\(server) \(configFile) failed (exit status \(start.status ?? -1))",
                fix: "Read \(logFile).", cause: CheckAnalysis.clip(start.stdout + start.stderr + logTail()))
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pid = readPID()
        while pid == nil && clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            pid = readPID()
        }
        guard let pid else {
            throw HostsError(
                .redisStart, "redis-server did not write \(pidFile) within \(Format.seconds(timeout))",
                fix: "Read \(logFile).", cause: logTail())
        }
        try await waitUntilAnswering(endpoint, pid: pid, timeout: timeout)
        try await armIdleStop(started: true)
        return Running(endpoint: endpoint, pid: pid, started: true)
    }

    /// The endpoint of the server: its socket and the password from ``passwordFile``. It need not run.
    /// - Throws: ``HostsError`` (``HostsError/Code/stateDirectory``) when the password file is missing, unreadable,
    ///   or readable by others.
    public func endpoint() throws(HostsError) -> RedisEndpoint {
        RedisEndpoint(unixSocket: socketPath, password: try readPassword())
    }

    /// Whether the server runs and answers, with a few facts about it. Never starts it.
    public func status() async -> Status {
        var status = Status(running: false, socketPath: socketPath, directory: directory)
        guard let pid = livePID() else { return status }
        status.pid = pid
        guard let endpoint = try? endpoint() else {
            status.problem = "its password file \(passwordFile) cannot be read"
            return status
        }
        let answer = await ask(endpoint, ["INFO", "server", "memory", "keyspace"])
        switch answer {
        case .failure(let error):
            status.problem = error.message
        case .success(let info):
            status.running = true
            status.idleWatch = idleWatch()
            let fields = Self.infoFields(info)
            status.version = fields["redis_version"]
            status.uptimeSeconds = fields["uptime_in_seconds"].flatMap { Int($0) }
            status.usedMemoryBytes = fields["used_memory"].flatMap { Int64($0) }
            // db0:keys=3,expires=0,avg_ttl=0
            status.keys =
                fields["db0"].flatMap { db in
                    db.split(separator: ",").first { $0.hasPrefix("keys=") }.flatMap { Int($0.dropFirst(5)) }
                } ?? 0
        }
        return status
    }

    /// Stops the server: `SHUTDOWN` (which writes the append-only file), else `SIGTERM`; then waits for it to exit.
    /// While a clustmake command uses it (``hold()``: a `run` for its whole life), it is not stopped unless `force`:
    /// a run's workers would fail to record what they finish.
    /// - Parameters:
    ///   - force: Stop it even while commands use it.
    ///   - timeout: How long to wait for it to exit.
    /// - Returns: Whether it was running.
    /// - Throws: ``HostsError``: ``HostsError/Code/redisInUse`` when commands use it and `force` is false,
    ///   ``HostsError/Code/redisUnreachable`` when it does not exit in time.
    @discardableResult
    public func stop(force: Bool = false, timeout: Duration = .seconds(20)) async throws(HostsError) -> Bool {
        var info = stat()
        guard stat(directory, &info) == 0 else { return false }
        let lock = try await DedicatedThread.run { () throws(HostsError) in try self.lock() }
        defer { close(lock) }
        guard let pid = livePID() else {
            unlink(pidFile)
            return false
        }
        if !force && !inUseIsFree() {
            let users = ProcessIdentity.flockHolders(of: inUseFile).sorted().map { "pid \($0)" }
            throw HostsError(
                .redisInUse,
                "not stopping the embedded redis in \(directory): clustmake commands use it"
                    + (users.isEmpty ? "" : " (\(users.joined(separator: ", ")))")
                    + "; a run's workers would fail to record the jobs they finish",
                fix: "wait for them to end, stop a run with `clustmake cancel`, or pass --force to stop it anyway")
        }
        try await DedicatedThread.run { () throws(HostsError) in try self.shutDown(pid: pid, timeout: timeout) }
        return true
    }

    /// Stops the server `pid` with the directory's lock held: `SHUTDOWN` (which fsyncs the append-only file), else
    /// `SIGTERM` (the same orderly shutdown) half way through `timeout`; waits for it to exit and removes its pid
    /// file. It blocks: call it on a thread of its own.
    /// - Throws: ``HostsError`` (``HostsError/Code/redisUnreachable``) when it does not exit in time.
    func shutDown(pid: Int32, timeout: Duration) throws(HostsError) {
        if let endpoint = try? endpoint(),
            let connection = try? RedisConnection(
                endpoint: endpoint, connectTimeout: .seconds(2), commandTimeout: .seconds(10))
        {
            // The server closes the connection instead of answering: the reply is an error either way.
            _ = try? connection.command("SHUTDOWN")
            connection.close()
        }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var terminated = false
        while Self.isAlive(pid) {
            if clock.now >= deadline {
                throw HostsError(
                    .redisUnreachable,
                    "redis-server (pid \(pid)) did not exit within \(Format.seconds(timeout))",
                    fix: "kill \(pid)", cause: logTail())
            }
            if !terminated && clock.now >= deadline - timeout / 2 {
                kill(pid, SIGTERM)
                terminated = true
            }
            Self.sleep(.milliseconds(20))
        }
        unlink(pidFile)
    }
}
