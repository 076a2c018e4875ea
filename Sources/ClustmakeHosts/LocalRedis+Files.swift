import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

extension LocalRedis {
    /// The longest socket path a unix socket address holds (`sun_path` is 108 bytes with its NUL).
    static let socketPathLimit = 107

    /// `DIRECTORY/redis.sock`, or, when that is too long for a socket, `/tmp/clustmake-redis-UID/HASH.sock` with
    /// HASH from the directory's path (the same directory always gets the same socket).
    static func socketPath(for directory: String) -> String {
        let inside = directory + "/redis.sock"
        if inside.utf8.count <= socketPathLimit { return inside }
        var hash = SHA256()
        hash.update(Array(directory.utf8))
        return "\(shortSocketDirectory)/\(hash.finalizeHex().prefix(16)).sock"
    }

    /// `/tmp/clustmake-redis-UID`: the fallback socket directory.
    static var shortSocketDirectory: String { "/tmp/clustmake-redis-\(getuid())" }

    /// Creates the directory (0700), the password file (0600, once) and the configuration (0600, every time).
    func prepareFiles() throws(HostsError) {
        let state = LocalRedis.directoryName(directory)
        try Self.makePrivateDirectory(state, mode: 0o700, mustBePrivate: false)
        try Self.makePrivateDirectory(directory, mode: 0o700, mustBePrivate: true)
        if socketPath.hasPrefix(Self.shortSocketDirectory + "/") {
            try Self.makePrivateDirectory(Self.shortSocketDirectory, mode: 0o700, mustBePrivate: true)
        }
        if access(passwordFile, F_OK) != 0 {
            var bytes = [UInt8](repeating: 0, count: 16)
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
            let password = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            try Self.writePrivateFile(passwordFile, password + "\n")
        }
        let password = try readPassword()
        try Self.writePrivateFile(configFile, configuration(password: password))
    }

    /// The server's configuration: no TCP port, the socket only, append-only persistence, the password. The
    /// append-only file is compacted (rewritten by a forked child) only once it reaches 1 GB, not from 64 MB on:
    /// a push of a million jobs would otherwise pay four rewrites of the growing data set while it writes, 4 s of
    /// CPU beside the push's own on a 2-core machine.
    func configuration(password: String) -> String {
        """
        # clustmake's private redis for this directory (clustmake redis start|stop|status; docs/hosts.md).
        # Written by clustmake at every start: edits are lost. Mode 0600: it holds the password.
        daemonize yes
        port 0
        unixsocket \(Self.configQuoted(socketPath))
        unixsocketperm 700
        dir \(Self.configQuoted(directory))
        pidfile \(Self.configQuoted(pidFile))
        logfile \(Self.configQuoted(logFile))
        loglevel notice
        appendonly yes
        appendfsync everysec
        auto-aof-rewrite-min-size 1gb
        save ""
        requirepass \(password)

        """
    }

    /// A value for redis.conf: double-quoted, with `\` and `"` escaped.
    static func configQuoted(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }

    /// The password, from a file that must be a regular file of this user with no permissions for others.
    func readPassword() throws(HostsError) -> String {
        let descriptor = open(passwordFile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            throw HostsError(
                .stateDirectory, "cannot read the redis password file \(passwordFile)",
                fix: "Start the server with clustmake redis start, which makes it.", cause: ProcessRunner.errorText())
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else {
            throw HostsError(.stateDirectory, "the redis password file \(passwordFile) is not a file of yours")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw HostsError(
                .stateDirectory, "the redis password file \(passwordFile) may be read by others",
                fix: "chmod 600 \(passwordFile)")
        }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        let line = bytes[0..<max(0, count)].prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }
        guard !line.isEmpty, let password = String(validating: line, as: UTF8.self) else {
            throw HostsError(
                .stateDirectory, "the redis password file \(passwordFile) is empty",
                fix: "Remove it; clustmake redis start makes a new one.")
        }
        return password
    }

    /// Takes the directory's lock (blocking), making the directory first if need be: the descriptor, to close when
    /// done.
    func lock() throws(HostsError) -> Int32 {
        try Self.makePrivateDirectory(LocalRedis.directoryName(directory), mode: 0o700, mustBePrivate: false)
        try Self.makePrivateDirectory(directory, mode: 0o700, mustBePrivate: true)
        guard let descriptor = try lockIfPresent() else {
            throw HostsError(
                .stateDirectory, "cannot open \(directory)/lock", cause: "the directory was removed meanwhile")
        }
        return descriptor
    }

    /// Takes the directory's lock (blocking) without ever making the directory: `nil` when it is gone. The idle
    /// watcher locks so: a directory removed under its server is never made again by the one process that goes on.
    func lockIfPresent() throws(HostsError) -> Int32? {
        let path = directory + "/lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw HostsError(.stateDirectory, "cannot open \(path)", cause: ProcessRunner.errorText())
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let cause = ProcessRunner.errorText()
                close(descriptor)
                throw HostsError(.stateDirectory, "cannot lock \(path)", cause: cause)
            }
        }
        return descriptor
    }

    /// The server's process id, if its pid file names a live `redis-server`.
    func livePID() -> Int32? {
        guard let pid = readPID(), Self.isAlive(pid) else { return nil }
        // A pid file left by a crash may name a process that reused the number.
        guard let command = Self.readSmallFile("/proc/\(pid)/comm"), command.hasPrefix("redis-server") else {
            return nil
        }
        return pid
    }

    func readPID() -> Int32? {
        Self.readSmallFile(pidFile).flatMap { Int32($0.trimmingCharacters(in: "\n").trimmingCharacters(in: " ")) }
    }

    /// Whether `pid` runs: it exists and is not a zombie (a daemon's parent is init, which may reap late).
    static func isAlive(_ pid: Int32) -> Bool { ProcessIdentity.of(pid) != nil }

    /// The last lines of the server's log.
    func logTail(lines: Int = 15) -> String {
        guard let text = Self.readSmallFile(logFile, limit: 1 << 20) else { return "" }
        return text.split(whereSeparator: \.isNewline).suffix(lines).joined(separator: "\n")
    }

    /// Finds `redis-server`.
    func findServer() throws(HostsError) -> String {
        if let redisServer {
            guard access(redisServer, X_OK) == 0 else {
                throw HostsError(
                    .redisServerMissing, "redis-server not found at \(redisServer)",
                    fix: "Install the Debian package redis-server (apt-get install redis-server), or give its path.")
            }
            return redisServer
        }
        if let value = getenv("CLUSTMAKE_REDIS_SERVER").map({ String(cString: $0) }), !value.isEmpty {
            guard access(value, X_OK) == 0 else {
                throw HostsError(
                    .redisServerMissing, "redis-server not found at \(value) (from $CLUSTMAKE_REDIS_SERVER)",
                    fix: "Install the Debian package redis-server (apt-get install redis-server), or fix the path.")
            }
            return value
        }
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
        for directory in directories where directory.hasPrefix("/") {
            let candidate = directory + "/redis-server"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw HostsError(
            .redisServerMissing,
            "redis-server is not installed (looked in PATH and /usr/bin, /usr/sbin, /usr/local/bin); without --redis, "
                + "clustmake runs a private one",
            fix: "Install the Debian package redis-server (apt-get install redis-server), or pass --redis URL.")
    }

    /// Polls PING until it answers, the process dies, or `timeout` passes without a sign of progress: a server
    /// that answers `LOADING` (reading its data set back, which takes 20 s and more for a million-job namespace on
    /// a slow machine) is waited for as long as it keeps answering so, each answer starting `timeout` again.
    func waitUntilAnswering(_ endpoint: RedisEndpoint, pid: Int32, timeout: Duration) async throws(HostsError) {
        let clock = ContinuousClock()
        let patience = max(timeout, .milliseconds(100))
        var deadline = clock.now + patience
        var last = "no answer yet"
        while true {
            switch await ask(endpoint, ["PING"]) {
            case .success: return
            case .failure(let error):
                last = error.message
                if Self.isLoading(error.message) { deadline = clock.now + patience }
            }
            guard Self.isAlive(pid) else {
                throw HostsError(
                    .redisStart, "redis-server (pid \(pid)) exited while starting", fix: "Read \(logFile).",
                    cause: logTail())
            }
            guard clock.now < deadline else {
                throw HostsError(
                    .redisStart,
                    "redis-server (pid \(pid)) did not answer on \(socketPath) within "
                        + Format.seconds(timeout),
                    fix: "Read \(logFile).", cause: last)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Whether `message`, from ``ask(_:_:)``, is redis's answer while it loads its data set.
    static func isLoading(_ message: String) -> Bool { message.contains(": LOADING ") }

    /// The client name of the connections that only look at the server (``status()``, the start's wait for an
    /// answer) and of the idle watcher's own: the watcher does not count them as use ("Idle stop" in docs/hosts.md).
    static let lookingClientName = "clustmake-look"

    /// Sends one command on a new connection (on a thread of its own) and returns the reply's text. The connection
    /// names itself ``lookingClientName`` in the same round trip, so the idle watcher does not take it for use.
    func ask(_ endpoint: RedisEndpoint, _ command: [String]) async -> Result<String, HostsError> {
        do throws(HostsError) {
            return .success(
                try await DedicatedThread.run { () throws(HostsError) -> String in
                    let reply: RedisReply
                    do throws(RedisError) {
                        let connection = try RedisConnection(
                            endpoint: endpoint, connectTimeout: .seconds(2), commandTimeout: .seconds(10))
                        defer { connection.close() }
                        reply = try connection.pipeline([
                            ["CLIENT", "SETNAME", RedisArgument(Self.lookingClientName)],
                            command.map { RedisArgument($0) },
                        ])[1]
                    } catch {
                        throw HostsError(.redisUnreachable, error.message)
                    }
                    if case .error(let message) = reply {
                        throw HostsError(.redisUnreachable, "redis answered \(command[0]) at \(endpoint): \(message)")
                    }
                    return reply.string ?? "\(reply)"
                })
        } catch {
            return .failure(error)
        }
    }

    /// `key:value` lines of `INFO`.
    static func infoFields(_ info: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in info.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
        }
        return fields
    }

    /// Makes `path` (one level) if missing; refuses a symbolic link or someone else's directory; with
    /// `mustBePrivate`, makes sure group and others have no access.
    static func makePrivateDirectory(_ path: String, mode: mode_t, mustBePrivate: Bool) throws(HostsError) {
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw HostsError(.stateDirectory, "cannot create \(path)", cause: ProcessRunner.errorText())
        }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw HostsError(.stateDirectory, "\(path) is not a directory", fix: "Move it out of the way.")
        }
        guard info.st_uid == geteuid() else {
            throw HostsError(
                .stateDirectory, "\(path) belongs to uid \(info.st_uid), not to you (uid \(geteuid()))",
                fix: "Use a directory of your own.")
        }
        if mustBePrivate && info.st_mode & 0o077 != 0 && chmod(path, 0o700) != 0 {
            throw HostsError(.stateDirectory, "cannot make \(path) private", cause: ProcessRunner.errorText())
        }
    }

    /// Writes `text` to `path` with mode 0600, through a temporary file and a rename.
    /// - Parameter durable: Whether to `fsync` the file before the rename: for settings that must survive a crash,
    ///   never for state rewritten at every look (an `fsync` waits for the disk's whole journal, which takes seconds
    ///   on a machine busy writing, and would slow the look down with it).
    static func writePrivateFile(_ path: String, _ text: String, durable: Bool = true) throws(HostsError) {
        let temporary = path + ".tmp.\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw HostsError(.stateDirectory, "cannot write \(temporary)", cause: ProcessRunner.errorText())
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let cause = ProcessRunner.errorText()
                close(descriptor)
                unlink(temporary)
                throw HostsError(.stateDirectory, "cannot write \(temporary)", cause: cause)
            }
            written += count
        }
        fchmod(descriptor, 0o600)
        if durable { fsync(descriptor) }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let cause = ProcessRunner.errorText()
            unlink(temporary)
            throw HostsError(.stateDirectory, "cannot write \(path)", cause: cause)
        }
    }

    static func readSmallFile(_ path: String, limit: Int = 4096) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        if bytes.count > limit { bytes = Array(bytes.suffix(limit)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func directoryName(_ path: String) -> String { WorkerBinary.directoryName(path) }
}
