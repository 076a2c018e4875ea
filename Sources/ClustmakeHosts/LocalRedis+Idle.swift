import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The idle stop of the embedded redis: a watcher process, started with the server, stops it when nothing has used
/// it for the idle timeout; the next command that needs it starts it again, its data kept (docs/hosts.md).
///
/// Why a watcher process: redis has no idle shutdown of its own (its `timeout` setting closes idle client
/// connections, it never stops the server), and clustmake's commands end while the server should live on. The
/// watcher (`clustmake redis watch`, hidden) polls the server with one connection of its own, and counts as busy:
///
/// - a clustmake command that uses the embedded redis: each one holds a shared lock on `in-use` for as long as it
///   runs (``hold()``), a `run` for the whole run, and the lock goes away with the process, crash or not;
/// - a client connected (`INFO`'s `connected_clients`: more than the watcher's own connection), such as a worker, a
///   `status --watch` or a redis-cli.
///
/// A connection that came and went between two looks does not count: `clustmake redis status` itself connects, and
/// looking must not put the stop off. Every clustmake command that uses the server holds it anyway.
///
/// When none of these was seen for the idle timeout, it takes the directory's `lock` (starts and stops wait for it),
/// takes `in-use` exclusively without waiting (a command that came in between keeps the server), looks at the
/// clients once more and sends `SHUTDOWN`, which fsyncs the append-only file before the server exits: no recorded
/// result is lost. A command that arrives meanwhile waits for the stop, then starts the server again.
extension LocalRedis {
    /// The default idle timeout: ten minutes.
    public static let defaultIdleTimeout = Duration.seconds(600)

    /// When the server stops by itself, and who watches it.
    public struct IdleStop: Sendable, Hashable {
        /// How long the server may be idle before it stops itself; `nil`: never.
        public var timeout: Duration?
        /// Whether this setting replaces the one of a server that runs already (`clustmake redis start
        /// --idle-timeout`); otherwise it applies to a server this call starts.
        public var replacesRunning: Bool
        /// Whether it is only the default: a server this call starts keeps the idle timeout recorded by an earlier
        /// start (`idle-timeout`), if there is one.
        public var isDefault: Bool
        /// The program, and its first arguments, that runs ``watchIdle(poll:)`` in a process of its own
        /// (`clustmake redis watch`; `--state-dir DIR` is added); `nil`: no watcher is started (the caller watches).
        public var watcher: [String]?

        /// A setting.
        /// - Parameters:
        ///   - timeout: How long the server may be idle; `nil`: it never stops by itself.
        ///   - replacesRunning: Whether it replaces the setting of a server that runs already.
        ///   - isDefault: Whether an idle timeout recorded by an earlier start takes precedence.
        ///   - watcher: The watcher's command line, or `nil`.
        public init(
            timeout: Duration?, replacesRunning: Bool = false, isDefault: Bool = false, watcher: [String]? = nil
        ) {
            self.timeout = timeout
            self.replacesRunning = replacesRunning
            self.isDefault = isDefault
            self.watcher = watcher
        }

        /// Never stops by itself, and no watcher.
        public static let never = IdleStop(timeout: nil)
    }

    /// What the watcher last wrote about the server (`idle-watch`), as ``status()`` reports it.
    public struct IdleWatch: Sendable, Hashable {
        /// The server's idle timeout (`idle-timeout`); `nil`: it never stops by itself.
        public var timeout: Duration?
        /// Whether a watcher runs (it holds `idle-watch.lock`).
        public var watching: Bool
        /// Since when nothing has used the server, when the watcher last found it idle (seconds since 1970).
        public var idleSince: Double?
        /// What kept the server busy at the watcher's last look, when something did.
        public var busy: String?
        /// When the watcher last looked (seconds since 1970).
        public var checked: Double?
        /// How many times this watcher has looked.
        public var polls: Int

        /// The idle timeout in seconds; `nil`: never.
        public var timeoutSeconds: Double? { timeout.map(\.inSeconds) }

        /// When the server would stop if nothing uses it meanwhile (seconds since 1970), while it is idle.
        public var stopsAt: Double? {
            guard watching, let timeout, let idleSince else { return nil }
            return idleSince + timeout.inSeconds
        }
    }

    /// How ``watchIdle(poll:)`` ended.
    public enum WatchEnd: Sendable, Hashable, CustomStringConvertible {
        /// It stopped the server after it was idle this many seconds.
        case stopped(idleSeconds: Double)
        /// The server was stopped or gone (`clustmake redis stop`, a crash).
        case serverGone
        /// The server's idle timeout is `never`.
        case disabled
        /// Another watcher watches the server already.
        case anotherWatcher

        public var description: String {
            switch self {
            case .stopped(let idle): "stopped redis after \(Format.duration(idle)) idle"
            case .serverGone: "redis is not running; nothing to watch"
            case .disabled: "the idle timeout is never; not watching"
            case .anotherWatcher: "another watcher watches redis already"
            }
        }
    }

    /// A shared hold on the server: while one is held, the idle stop waits (``hold()``).
    public final class Hold: Sendable {
        private let descriptor: Mutex<Int32?>

        init(descriptor: Int32) { self.descriptor = Mutex(descriptor) }

        /// Lets the hold go now; it also goes when the value is released.
        public func release() {
            descriptor.withLock { held in
                if let open = held { close(open) }
                held = nil
            }
        }

        deinit { release() }
    }

    /// The file holding the server's idle timeout (`never` or seconds), written when it starts.
    var idleTimeoutFile: String { directory + "/idle-timeout" }
    /// The watcher's state, rewritten at every look.
    var idleWatchFile: String { directory + "/idle-watch" }
    /// Held exclusively by the watcher for as long as it runs.
    var idleWatchLockFile: String { directory + "/idle-watch.lock" }
    /// The watcher's own log (its start-up errors and how it ended).
    public var idleWatchLog: String { directory + "/idle-watch.log" }
    /// Held shared by every command that uses the server, exclusively by the watcher while it stops it.
    var inUseFile: String { directory + "/in-use" }

    /// Holds the server for as long as the returned value lives: the idle stop never stops it meanwhile. Take it
    /// before ``ensureRunning(timeout:)``; it waits while the watcher is stopping the server.
    /// - Throws: ``HostsError`` (``HostsError/Code/stateDirectory``) when the file cannot be made or locked.
    public func hold() async throws(HostsError) -> Hold {
        try await DedicatedThread.run { () throws(HostsError) -> Hold in
            try Self.makePrivateDirectory(LocalRedis.directoryName(directory), mode: 0o700, mustBePrivate: false)
            try Self.makePrivateDirectory(directory, mode: 0o700, mustBePrivate: true)
            let descriptor = try Self.openLockFile(inUseFile)
            while flock(descriptor, LOCK_SH) != 0 {
                guard errno == EINTR else {
                    let cause = ProcessRunner.errorText()
                    close(descriptor)
                    throw HostsError(.stateDirectory, "cannot lock \(inUseFile)", cause: cause)
                }
            }
            return Hold(descriptor: descriptor)
        }
    }

    /// The idle timeout of the server, from `idle-timeout`: `.some(nil)` for never, `nil` when the file is missing
    /// or unreadable (a value from a file: anything but `never` or a number of seconds is ignored).
    func recordedIdleTimeout() -> Duration?? {
        guard let text = Self.readSmallFile(idleTimeoutFile) else { return nil }
        let value = text.trimmingCharacters(in: "\n").trimmingCharacters(in: " ")
        if value == "never" { return .some(nil) }
        guard let seconds = Double(value), seconds.isFinite, seconds > 0, seconds < 1e9 else { return nil }
        return .some(.milliseconds(Int64((seconds * 1000).rounded(.up))))
    }

    /// Records `timeout` as the server's idle timeout.
    func recordIdleTimeout(_ timeout: Duration?) throws(HostsError) {
        let text = timeout.map { Format.fixed($0.inSeconds, 3) } ?? "never"
        try Self.writePrivateFile(idleTimeoutFile, text + "\n")
    }

    /// Called by ``ensureRunning(timeout:)`` with the directory's lock held: records the idle timeout when the
    /// server was just started and the setting is not only the default, when the setting replaces the running one's,
    /// or when none is recorded; then starts a watcher when one is due and none runs.
    func armIdleStop(started: Bool) async throws(HostsError) {
        let recorded = recordedIdleTimeout()
        let timeout: Duration?
        if idleStop.replacesRunning || recorded == nil || (started && !idleStop.isDefault) {
            timeout = idleStop.timeout
            try recordIdleTimeout(timeout)
        } else {
            timeout = recorded ?? nil
        }
        guard timeout != nil, let watcher = idleStop.watcher, !watcherRuns() else { return }
        try await startWatcher(watcher)
    }

    /// Starts `watcher` in the background and waits (up to ten seconds) until it holds its lock, so that
    /// ``status()`` right after a start reports the idle stop armed.
    private func startWatcher(_ watcher: [String]) async throws(HostsError) {
        // What an earlier watcher last saw is not this one's.
        unlink(idleWatchFile)
        // `sh -c '"$@" &'` starts the watcher in the background and exits at once: the watcher is nobody's child
        // (init reaps it), so neither this command nor a long run keeps a zombie of it, and Spawn (clustmake's one
        // process runner) reaps the shell.
        let arguments =
            ["/bin/sh", "-c", "\"$@\" &", "sh"] + watcher + ["--state-dir", LocalRedis.directoryName(directory)]
        let ending: Spawn.Ending
        do {
            ending = try await Spawn.run(
                arguments, standardOutput: .file(idleWatchLog, append: true), standardError: .standardOutput,
                timeout: .seconds(10))
        } catch {
            throw HostsError(
                .process, "cannot start the idle watcher of the embedded redis (\(watcher.joined(separator: " ")))",
                cause: "\(error) (errno \(error.code))")
        }
        guard ending.status == 0 else {
            throw HostsError(
                .process, "cannot start the idle watcher of the embedded redis (/bin/sh exited \(ending))",
                fix: "Read \(idleWatchLog).")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while !watcherRuns() && clock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// Whether a watcher runs: it holds `idle-watch.lock`.
    func watcherRuns() -> Bool {
        guard let descriptor = try? Self.openLockFile(idleWatchLockFile) else { return false }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_EX | LOCK_NB) != 0
    }

    /// What the watcher last wrote, and whether it still runs; `nil` when no watcher ever wrote.
    func idleWatch() -> IdleWatch {
        let timeout = recordedIdleTimeout()
        var watch = IdleWatch(timeout: timeout ?? nil, watching: watcherRuns(), polls: 0)
        guard let text = Self.readSmallFile(idleWatchFile) else { return watch }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = String(parts[1])
            func time() -> Double? { Double(value).flatMap { $0.isFinite && $0 > 0 && $0 < 1e11 ? $0 : nil } }
            switch parts[0] {
            case "idle_since": watch.idleSince = time()
            case "checked": watch.checked = time()
            case "busy": watch.busy = String(value.prefix(200))
            case "polls": watch.polls = Int(value).map { max(0, $0) } ?? 0
            default: break
            }
        }
        return watch
    }

    /// Watches the server until it has been idle for its idle timeout, then stops it; returns early when the server
    /// is stopped by other means, when its idle timeout is `never`, or when another watcher runs. This is what
    /// `clustmake redis watch` runs, in a process of its own started with the server. It blocks a thread of its
    /// own for its whole life.
    /// - Parameter poll: How often to look; `nil`: a quarter of the idle timeout, between 0.1 and 5 seconds.
    /// - Returns: How it ended.
    /// - Throws: ``HostsError`` (``HostsError/Code/stateDirectory``) when its files cannot be opened;
    ///   ``HostsError/Code/redisUnreachable`` when the server did not exit after `SHUTDOWN` and `SIGTERM`.
    public func watchIdle(poll: Duration? = nil) async throws(HostsError) -> WatchEnd {
        try await DedicatedThread.run { () throws(HostsError) -> WatchEnd in try self.watchIdleBlocking(poll: poll) }
    }

    /// ``watchIdle(poll:)`` on the calling thread, which it blocks until the watch ends: for a thread that does
    /// nothing else (a test's watcher must not wait for the concurrency pool to start it).
    public func watchIdleBlocking(poll: Duration? = nil) throws(HostsError) -> WatchEnd {
        let watchLock = try Self.openLockFile(idleWatchLockFile)
        defer { close(watchLock) }
        guard flock(watchLock, LOCK_EX | LOCK_NB) == 0 else { return .anotherWatcher }
        writeWatchState(idleSince: nil, busy: "the watcher has not looked yet", polls: 0)
        var observer = ClientObserver(local: self)
        defer { observer.connection?.close() }
        var idleSince: Double?
        var polls = 0
        // Whether the last look found no idle-timeout file in a directory still there (below).
        var timeoutFileMissing = false
        // Every way out but an error is decided with the directory's lock held, and lets go of the watcher's lock
        // before that one: a start meanwhile (which holds the directory's lock) finds this watcher either still
        // watching, or gone and to be replaced.
        func end(_ end: WatchEnd) -> WatchEnd {
            flock(watchLock, LOCK_UN)
            return end
        }
        while true {
            guard case .some(.some(let timeout)) = recordedIdleTimeout() else {
                // No timeout to read: switched off, or its file went with the directory. The lock never makes the
                // directory again: a directory gone under the server is handled as below.
                guard let lock = try lockIfPresent() else {
                    observer.stopOrphanedServer()
                    return end(.serverGone)
                }
                switch recordedIdleTimeout() {
                case .some(.some):
                    close(lock)
                    timeoutFileMissing = false
                    continue
                case .some(.none):
                    defer { close(lock) }
                    writeWatchState(idleSince: nil, busy: "the idle timeout is never", polls: polls)
                    return end(.disabled)
                case .none:
                    // No idle-timeout file in a directory still there: its files are being removed under the server
                    // (what a removal halfway shows), or that file alone was. A server whose pid file went too is
                    // stopped as an orphan, as below. Otherwise the watcher looks again after a poll, by when a
                    // removal has taken the directory; a second look that finds the same ends the watch, as for a
                    // timeout switched off (taken for one, a removal left the server running for good).
                    if livePID() == nil {
                        defer { close(lock) }
                        observer.stopOrphanedServer()
                        return end(.serverGone)
                    }
                    if timeoutFileMissing {
                        defer { close(lock) }
                        writeWatchState(idleSince: nil, busy: "no idle timeout is recorded", polls: polls)
                        return end(.disabled)
                    }
                    timeoutFileMissing = true
                    close(lock)
                    Self.sleep(poll ?? .milliseconds(500))
                    continue
                }
            }
            timeoutFileMissing = false
            let interval = poll ?? min(max(timeout / 4, .milliseconds(100)), .seconds(5))
            Self.sleep(interval)
            polls += 1
            guard let pid = livePID() else {
                // When the directory is gone there is nothing to lock and nothing to make again. A server still
                // running there lost its socket and its data files with it, so nobody can reach it again and it has
                // nothing left to keep: the watcher stops it through its own connection instead of leaving it running
                // for ever.
                guard let lock = try lockIfPresent() else {
                    observer.stopOrphanedServer()
                    return end(.serverGone)
                }
                defer { close(lock) }
                if livePID() == nil {
                    // No pid file: the server stopped, or its files are being removed under it (the directory is
                    // still there). In the second case no command can find it any more, so it is stopped as an
                    // orphan, through the watcher's own connection; a server that stopped has closed that.
                    observer.stopOrphanedServer()
                    return end(.serverGone)
                }
                continue
            }
            let now = UTCTime.now().secondsSince1970
            let busy = inUseIsFree() ? observer.clientsBusy(pid: pid) : "a clustmake command uses it"
            if busy != nil {
                idleSince = nil
            } else if idleSince == nil {
                idleSince = now
            }
            writeWatchState(idleSince: idleSince, busy: busy, polls: polls)
            guard let since = idleSince, now - since >= timeout.inSeconds else { continue }
            // Gone meanwhile: the next look finds it so.
            guard let lock = try lockIfPresent() else { continue }
            defer { close(lock) }
            let inUse = try Self.openLockFile(inUseFile)
            defer { close(inUse) }
            // A command that came in between holds `in-use`, or has connected: not idle after all.
            guard flock(inUse, LOCK_EX | LOCK_NB) == 0, livePID() == pid, observer.clientsBusy(pid: pid) == nil else {
                idleSince = nil
                continue
            }
            try shutDown(pid: pid, timeout: .seconds(20))
            let idle = UTCTime.now().secondsSince1970 - since
            writeWatchState(idleSince: nil, busy: "stopped after \(Format.duration(idle)) idle", polls: polls)
            return end(.stopped(idleSeconds: idle))
        }
    }

    /// What the watcher saw at its last look: a report for ``status()``, rewritten at every look and worthless after a
    /// crash, so never synced to the disk.
    private func writeWatchState(idleSince: Double?, busy: String?, polls: Int) {
        var text = "pid \(getpid())\nchecked \(Format.fixed(UTCTime.now().secondsSince1970, 3))\npolls \(polls)\n"
        if let idleSince { text += "idle_since \(Format.fixed(idleSince, 3))\n" }
        if let busy { text += "busy \(busy)\n" }
        try? Self.writePrivateFile(idleWatchFile, text, durable: false)
    }

    /// Opens (creating it, mode 0600) a lock file of the server's directory.
    static func openLockFile(_ path: String) throws(HostsError) -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw HostsError(.stateDirectory, "cannot open \(path)", cause: ProcessRunner.errorText())
        }
        return descriptor
    }

    /// Sleeps the calling thread (a dedicated one) for `duration`.
    static func sleep(_ duration: Duration) { blockingSleep(duration) }
}

/// The watcher's view of the server's clients: one connection of its own, kept from look to look.
private struct ClientObserver {
    let local: LocalRedis
    var connection: RedisConnection?
    var server: Int32?

    init(local: LocalRedis) { self.local = local }

    /// Stops the server this observer is connected to (`SHUTDOWN NOSAVE`: its directory, and so anything it could
    /// save, is gone). Without a connection there is no way left to reach it, and nothing is done.
    mutating func stopOrphanedServer() {
        // The server closes the connection instead of answering: the reply is an error either way.
        _ = try? connection?.command("SHUTDOWN", "NOSAVE")
        connection?.close()
        connection = nil
    }

    /// What clients keep the server busy, or `nil` when it has none but the watcher.
    mutating func clientsBusy(pid: Int32) -> String? {
        if server != pid {
            // A server the watcher has not seen yet (it was restarted): a connection of its own to it.
            connection?.close()
            connection = nil
            server = pid
        }
        do throws(RedisError) {
            if connection == nil {
                let opened = try RedisConnection(
                    endpoint: try local.endpointForWatch(), connectTimeout: .seconds(2), commandTimeout: .seconds(10))
                // Unnamed, the watcher would count itself: a server that cannot name it is never found idle.
                do throws(RedisError) {
                    _ = try opened.command("CLIENT", "SETNAME", LocalRedis.lookingClientName)
                } catch {
                    opened.close()
                    return "the watcher cannot name its connection: \(error.message)"
                }
                connection = opened
            }
            guard let connection else { return "it does not answer" }
            let info = try connection.command("INFO", "clients").string ?? ""
            // A value from the server: anything but a count reads as busy, never as idle.
            guard let clients = LocalRedis.infoFields(info)["connected_clients"].flatMap({ Int($0) }) else {
                return "its INFO lacks connected_clients"
            }
            guard clients > 1 else { return nil }
            // More than this one: those that only look (`redis status`, a start's wait) do not count as use.
            guard let list = try connection.command("CLIENT", "LIST").string else {
                return "its CLIENT LIST is unreadable"
            }
            let users = LocalRedis.users(inClientList: list)
            return users > 0 ? "\(Format.count(users, "client")) connected" : nil
        } catch {
            connection?.close()
            connection = nil
            return "it does not answer: \(error.message)"
        }
    }
}

extension LocalRedis {
    /// How many clients of `CLIENT LIST` (a line each, `id=3 addr=… name=NAME …`) are not named
    /// ``LocalRedis/lookingClientName``. A value from the server: a line without a name field counts as a user.
    static func users(inClientList list: String) -> Int {
        let looking = "name=" + lookingClientName
        return list.split(whereSeparator: \.isNewline).count { line in
            !line.split(separator: " ").contains { $0 == looking }
        }
    }
}

extension LocalRedis {
    /// Whether no command holds the server (``hold()``): `in-use` can be taken exclusively, and is let go at once.
    func inUseIsFree() -> Bool {
        guard let descriptor = try? Self.openLockFile(inUseFile) else { return true }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    /// The endpoint, with a password file problem as a redis error (the watcher reports either as "does not answer").
    func endpointForWatch() throws(RedisError) -> RedisEndpoint {
        do { return try endpoint() } catch { throw RedisError(.connect, error.message, endpoint: socketPath) }
    }
}
