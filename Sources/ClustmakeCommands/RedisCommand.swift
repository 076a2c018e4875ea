import ArgumentParser
import ClustmakeHosts
import ClustmakeInput
import ClustmakeModel
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// `clustmake redis start|stop|status`: clustmake's embedded redis for this working directory.
struct RedisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Start, stop or show clustmake's embedded redis for this directory.",
        discussion: """
            Without --redis, clustmake run starts a private redis-server under .clustmake/redis/ in the working \
            directory: on a unix socket only, with a password in a file only you can read, its data kept in an \
            append-only file. Later commands in the same directory reuse it, and start it again when it is not \
            running. It stops itself when nothing has used it for the idle timeout (10 minutes; \
            --idle-timeout or CLUSTMAKE_REDIS_IDLE_TIMEOUT, never to keep it), never during a run; its data stays. \
            See docs/hosts.md.
            """,
        subcommands: [Start.self, Stop.self, Status.self, Watch.self])

    /// The environment variable that sets the idle timeout of an embedded redis a command starts.
    static let idleTimeoutVariable = "CLUSTMAKE_REDIS_IDLE_TIMEOUT"

    /// The idle timeout `text` gives: `.some(nil)` for `never` or 0, `nil` when it is not a duration.
    static func idleTimeout(parsing text: String) -> Duration?? {
        let trimmed = text.filter { !$0.isWhitespace }.lowercased()
        if trimmed == "never" { return .some(nil) }
        guard let seconds = Quantity.seconds(trimmed), seconds.isFinite, seconds >= 0, seconds < 1e9 else { return nil }
        if seconds == 0 { return .some(nil) }
        return .some(.milliseconds(Int64((seconds * 1000).rounded(.up))))
    }

    /// The idle stop of an embedded redis a command starts: `--idle-timeout` (``Start``), else
    /// `CLUSTMAKE_REDIS_IDLE_TIMEOUT`, else the idle timeout the last start recorded, else ten minutes; watched by
    /// `clustmake redis watch` of this executable.
    /// - Parameters:
    ///   - option: `--idle-timeout`, when given (it then replaces the setting of a server that runs already).
    ///   - environment: Reads an environment variable.
    /// - Throws: ``ClustmakeModel/InputError`` naming the option or the variable, for a value that is not a duration.
    static func idleStop(option: String?, environment: (String) -> String?) throws(InputError) -> LocalRedis.IdleStop {
        let (text, subject): (String?, String) =
            option != nil
            ? (option, "--idle-timeout") : (environment(idleTimeoutVariable), idleTimeoutVariable)
        var timeout: Duration? = LocalRedis.defaultIdleTimeout
        var isDefault = true
        if let text, !text.isEmpty || option != nil {
            isDefault = false
            guard let parsed = idleTimeout(parsing: text) else {
                throw InputError(
                    .invalidValue, "'\(text)' is not an idle timeout.",
                    fix: "Write a duration such as 600, 90s, 10m or 2h, or never (0) to keep the server running.",
                    subject: subject)
            }
            timeout = parsed
        }
        return LocalRedis.IdleStop(
            timeout: timeout, replacesRunning: option != nil, isDefault: isDefault, watcher: watcherCommand())
    }

    /// `clustmake redis watch` of this executable when it is `clustmake`, else of a `clustmake` next to it (a program
    /// that runs the commands in-process, such as the tests, must not start itself); `nil` when there is none.
    static func watcherCommand() -> [String]? {
        guard let path = WorkerLocation.clustmake(), let slash = path.lastIndex(of: "/") else { return nil }
        let executable = path.hasSuffix("/clustmake") ? path : String(path[..<slash]) + "/clustmake"
        return access(executable, X_OK) == 0 ? [executable, "redis", "watch"] : nil
    }

    /// Where the embedded redis lives.
    struct Location: ParsableArguments {
        @Option(
            help: ArgumentHelp(
                "clustmake's state directory (the server is in its redis/ subdirectory).", valueName: "dir"))
        var stateDir = LocalRedis.defaultStateDirectory

        func local(idleStop: LocalRedis.IdleStop = .never) throws -> LocalRedis {
            do { return try LocalRedis(stateDirectory: stateDir, idleStop: idleStop) } catch {
                throw InputError(.invalidValue, error.message, fix: error.fix, subject: "--state-dir")
            }
        }
    }

    /// `clustmake redis start`.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start", abstract: "Start the embedded redis, unless it runs already.")

        @OptionGroup var location: Location

        @Option(
            help: ArgumentHelp(
                "Stop the server when nothing has used it for this long, e.g. 600, 10m, 2h; never (or 0) keeps it "
                    + "(default: $CLUSTMAKE_REDIS_IDLE_TIMEOUT, else the last start's, else 10m).",
                valueName: "duration"))
        var idleTimeout: String?

        func validate() throws {
            if let idleTimeout, RedisCommand.idleTimeout(parsing: idleTimeout) == nil {
                throw ValidationError(
                    "--idle-timeout must be a duration such as 600, 10m or 2h, or never, not '\(idleTimeout)'.")
            }
        }

        func run() async throws {
            let idleStop = try RedisCommand.idleStop(option: idleTimeout, environment: RedisResolver.processEnvironment)
            let local = try location.local(idleStop: idleStop)
            let running: LocalRedis.Running
            do { running = try await local.ensureRunning() } catch {
                throw CommandFailure(status: 1, error.description)
            }
            let verb = running.started ? "Started" : "Already running:"
            print(
                """
                \(verb) redis (pid \(running.pid)) on unix socket \(local.socketPath).
                Password in \(local.passwordFile); data in \(local.directory).
                From other tools: REDISCLI_AUTH="$(cat \(local.passwordFile))" redis-cli -s \(local.socketPath)
                """)
            if let watch = await local.status().idleWatch { print(Status.describe(watch)) }
        }
    }

    /// `clustmake redis stop`.
    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stop",
            abstract:
                "Stop the embedded redis; its data stays for the next start. Refused while a run uses it (exit 2).")

        @OptionGroup var location: Location

        @Flag(help: "Stop it even while clustmake commands (a run) use it: their workers then fail to record.")
        var force = false

        func run() async throws {
            let local = try location.local()
            let wasRunning: Bool
            do { wasRunning = try await local.stop(force: force) } catch {
                throw CommandFailure(status: error.code == .redisInUse ? 2 : 1, error.description)
            }
            print(
                wasRunning
                    ? "Stopped redis; its data stays in \(local.directory)."
                    : "redis was not running (\(local.directory)).")
        }
    }

    /// `clustmake redis status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Show whether the embedded redis runs (exit status 0) or not (3).")

        @OptionGroup var location: Location

        func run() async throws {
            let local = try location.local()
            let status = await local.status()
            if status.running {
                var facts = ["pid \(status.pid ?? 0)"]
                if let version = status.version { facts.append("redis \(version)") }
                if let uptime = status.uptimeSeconds { facts.append("up \(Format.duration(Double(uptime)))") }
                if let keys = status.keys { facts.append(Format.count(keys, "key")) }
                if let memory = status.usedMemoryBytes { facts.append("\(Format.bytes(memory)) used") }
                print("redis runs: \(facts.joined(separator: ", ")).")
                print("Socket \(status.socketPath); password in \(local.passwordFile); data in \(status.directory).")
                if let watch = status.idleWatch { print(Self.describe(watch)) }
                return
            }
            if let pid = status.pid {
                print("redis (pid \(pid)) runs but does not answer: \(status.problem ?? "no reason given").")
                throw ExitCode(1)
            }
            print(
                "redis is not running (\(status.directory)). Commands that use it start it; "
                    + "or start it with: clustmake redis start")
            throw ExitCode(3)
        }

        /// The idle stop line: whether it is armed and, while the server is idle, when it would fire.
        static func describe(_ watch: LocalRedis.IdleWatch) -> String {
            guard let timeout = watch.timeoutSeconds else {
                return "Idle stop: off (idle timeout never); arm it with: clustmake redis start --idle-timeout 10m"
            }
            let after = Format.duration(timeout)
            guard watch.watching else {
                return "Idle stop: not armed: no watcher runs (idle timeout \(after)); "
                    + "clustmake redis start starts one."
            }
            let armed = "Idle stop: armed, after \(after) with no client and no clustmake command"
            if let stopsAt = watch.stopsAt, let idleSince = watch.idleSince {
                let idle = Format.duration(max(0, UTCTime.now().secondsSince1970 - idleSince))
                return "\(armed); idle for \(idle), it stops at \(UTCTime(secondsSince1970: stopsAt)) "
                    + "unless something uses it."
            }
            return "\(armed); in use (\(watch.busy ?? "the watcher has not looked yet"))."
        }
    }

    /// `clustmake redis watch` (hidden): the idle watcher a start runs in the background.
    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "watch", abstract: "Stop the embedded redis when it has been idle for its idle timeout.",
            shouldDisplay: false)

        @OptionGroup var location: Location

        func run() async throws {
            // It outlives the terminal that started it.
            signal(SIGHUP, SIG_IGN)
            let local = try location.local()
            let end: LocalRedis.WatchEnd
            do { end = try await local.watchIdle() } catch {
                print("\(UTCTime.now()) pid \(getpid()): \(error)")
                throw CommandFailure(status: 1, error.description)
            }
            print("\(UTCTime.now()) pid \(getpid()): \(end)")
        }
    }
}
