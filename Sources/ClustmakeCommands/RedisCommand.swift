import ArgumentParser
import ClustmakeHosts
import ClustmakeModel

/// `clustmake redis start|stop|status`: clustmake's embedded redis for this working directory.
struct RedisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Start, stop or show clustmake's embedded redis for this directory.",
        discussion: """
            Without --redis, clustmake run starts a private redis-server under .clustmake/redis/ in the working \
            directory: on a unix socket only, with a password in a file only you can read, its data kept in an \
            append-only file. Later commands in the same directory reuse it; it runs until clustmake redis stop. \
            See docs/hosts.md.
            """,
        subcommands: [Start.self, Stop.self, Status.self])

    /// Where the embedded redis lives.
    struct Location: ParsableArguments {
        @Option(
            help: ArgumentHelp(
                "clustmake's state directory (the server is in its redis/ subdirectory).", valueName: "dir"))
        var stateDir = LocalRedis.defaultStateDirectory

        func local() throws -> LocalRedis {
            do { return try LocalRedis(stateDirectory: stateDir) } catch {
                throw InputError(.invalidValue, error.message, fix: error.fix, subject: "--state-dir")
            }
        }
    }

    /// `clustmake redis start`.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start", abstract: "Start the embedded redis, unless it runs already.")

        @OptionGroup var location: Location

        func run() async throws {
            let local = try location.local()
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
        }
    }

    /// `clustmake redis stop`.
    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stop", abstract: "Stop the embedded redis; its data stays for the next start.")

        @OptionGroup var location: Location

        func run() async throws {
            let local = try location.local()
            let wasRunning: Bool
            do { wasRunning = try await local.stop() } catch { throw CommandFailure(status: 1, error.description) }
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
                return
            }
            if let pid = status.pid {
                print("redis (pid \(pid)) runs but does not answer: \(status.problem ?? "no reason given").")
                throw ExitCode(1)
            }
            print("redis is not running (\(status.directory)). Start it with: clustmake redis start")
            throw ExitCode(3)
        }
    }
}
