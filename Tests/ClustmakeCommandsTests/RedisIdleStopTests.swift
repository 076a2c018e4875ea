import ClustmakeModel
import Foundation
import Testing

@testable import ClustmakeCommands

/// The embedded redis comes and goes by itself: the built `clustmake` in a temporary directory, with a real
/// `redis-server` under its `.clustmake/redis`, and the watcher process `clustmake redis start` leaves behind.
@Suite struct RedisIdleStopTests {
    /// A temporary directory whose embedded redis is stopped, and which is removed, when the value goes away.
    final class Directory {
        let url: URL

        init() throws { url = try CLI.temporaryDirectory() }

        deinit {
            _ = try? Tool.built("clustmake", ["redis", "stop"], in: url)
            try? FileManager.default.removeItem(at: url)
        }

        /// Runs the built `clustmake` here, with `environment` set.
        func clustmake(_ arguments: [String], environment: [String: String] = [:]) throws -> CLI.Result {
            try Tool.run(
                CLI.built("clustmake"), arguments, environment: environment, removing: ["REDISCLI_AUTH"],
                directory: url)
        }

        /// Writes a graph of one namespace `demo`.
        func graph(_ jobs: String) throws -> String {
            try "{\"namespace\": \"demo\", \"jobs\": [\(jobs)]}".write(
                to: url.appendingPathComponent("jobs.json"), atomically: true, encoding: .utf8)
            return "jobs.json"
        }

        /// Waits until `clustmake redis status` exits with `status` (0 running, 3 stopped).
        func waitForRedisStatus(_ status: Int32, what: String) async throws {
            // Polls are counted, not clock time: a busy cooperative pool may resume this task late.
            for _ in 0..<600 {
                if try clustmake(["redis", "status"]).status == status { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw CLIError("gave up waiting until \(what)")
        }
    }

    @Test(
        "idle timeouts: durations, never and 0; anything else is refused",
        arguments: [
            ("10m", Duration?.some(.seconds(600))), ("90", .seconds(90)), ("1h30m", .seconds(5400)),
            ("2s", .seconds(2)), ("never", nil), ("NEVER", nil), ("0", nil), ("0s", nil),
        ])
    func parsing(text: String, expected: Duration?) {
        #expect(RedisCommand.idleTimeout(parsing: text) == .some(expected))
    }

    @Test("an idle timeout that is not a duration is refused", arguments: ["", "-5", "ten", "5x", "1e12"])
    func badParsing(text: String) {
        #expect(RedisCommand.idleTimeout(parsing: text) == nil)
    }

    @Test("the idle timeout: --idle-timeout (even when running), else the variable, else the last start's")
    func settingPrecedence() throws {
        let directory = try Directory()
        let variable = [RedisCommand.idleTimeoutVariable: "5m"]
        let start = try directory.clustmake(["redis", "start"], environment: variable)
        #expect(start.stdout.contains("Idle stop: armed, after 5m 00s"), "\(start.stdout)")
        let replaced = try directory.clustmake(["redis", "start", "--idle-timeout", "7m"], environment: variable)
        #expect(replaced.stdout.hasPrefix("Already running"))
        #expect(replaced.stdout.contains("Idle stop: armed, after 7m 00s"), "\(replaced.stdout)")
        #expect(try directory.clustmake(["redis", "stop"]).status == 0)
        #expect(try directory.clustmake(["push", try directory.graph(#"{"id": "a", "command": "true"}"#)]).status == 0)
        let status = try directory.clustmake(["redis", "status"])
        #expect(status.stdout.contains("Idle stop: armed, after 7m 00s"), "\(status.stdout)")
    }

    @Test("redis start --idle-timeout 2s: status shows the stop armed and when it fires; the server then stops itself")
    func startedServerStopsItself() async throws {
        let directory = try Directory()
        let start = try directory.clustmake(["redis", "start", "--idle-timeout", "2s"])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stdout.contains("Idle stop: armed, after 2.00 s"))
        await #expect(throws: Never.self) {
            try await directory.waitForRedisStatus(3, what: "the embedded redis stopped itself")
        }
        let log = try String(
            contentsOf: directory.url.appendingPathComponent(".clustmake/redis/idle-watch.log"), encoding: .utf8)
        #expect(log.contains("stopped redis after"))

        // Started again, it has a new watcher: status never shows what the last one saw.
        let again = try directory.clustmake(["redis", "start"])
        #expect(again.stdout.contains("Idle stop: armed, after 2.00 s"), "\(again.stdout)")
        #expect(!again.stdout.contains("stopped after"), "\(again.stdout)")
    }

    @Test("while it is idle, redis status says when the idle stop fires")
    func statusShowsWhen() async throws {
        let directory = try Directory()
        #expect(try directory.clustmake(["redis", "start", "--idle-timeout", "10m"]).status == 0)
        var status = try directory.clustmake(["redis", "status"])
        for _ in 0..<600 {
            if status.stdout.contains("it stops at") { break }
            try await Task.sleep(for: .milliseconds(100))
            status = try directory.clustmake(["redis", "status"])
        }
        #expect(status.status == 0)
        #expect(
            status.stdout.contains("Idle stop: armed, after 10m 00s with no client and no clustmake command; idle for"),
            "\(status.stdout)")
        #expect(status.stdout.contains("unless something uses it."))
    }

    @Test("redis start --idle-timeout never keeps the server, and status says the stop is off")
    func never() throws {
        let directory = try Directory()
        let start = try directory.clustmake(["redis", "start", "--idle-timeout", "never"])
        #expect(start.status == 0, "\(start.stderr)")
        let status = try directory.clustmake(["redis", "status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("Idle stop: off (idle timeout never)"))
    }

    @Test("a bad idle timeout is bad input: exit 2 and one message naming the option or the variable")
    func badSetting() throws {
        let directory = try Directory()
        let option = try directory.clustmake(["redis", "start", "--idle-timeout", "soon"])
        #expect(option.status == 2)
        #expect(option.stderr.contains("--idle-timeout must be a duration such as 600, 10m or 2h, or never"))
        let variable = try directory.clustmake(
            ["push", try directory.graph(#"{"id": "a", "command": "true"}"#)],
            environment: [RedisCommand.idleTimeoutVariable: "soon"])
        #expect(variable.status == 2)
        #expect(variable.stderr.contains("CLUSTMAKE_REDIS_IDLE_TIMEOUT: 'soon' is not an idle timeout."))
        #expect(!FileManager.default.fileExists(atPath: directory.url.path + "/.clustmake/redis/redis.pid"))
    }

    @Test("after redis stop, the collector's commands start the embedded redis again, its data kept")
    func collectorStartsIt() async throws {
        let directory = try Directory()
        let graph = try directory.graph(#"{"id": "a", "command": "true"}"#)
        #expect(try directory.clustmake(["push", graph]).status == 0)
        let stop = try directory.clustmake(["redis", "stop"])
        #expect(stop.stdout.hasPrefix("Stopped redis"))
        #expect(try directory.clustmake(["redis", "status"]).status == 3)

        for command in [["status"], ["stats"], ["results", "--format", "tsv"]] {
            _ = try directory.clustmake(["redis", "stop"])
            let result = try directory.clustmake(command + ["--namespace", "demo"])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("Is redis-server running"))
            #expect(try directory.clustmake(["redis", "status"]).status == 0, "\(command) started it")
        }
        let status = try directory.clustmake(["status", "--namespace", "demo"])
        #expect(status.stdout.contains("jobs 1"))

        // Where it cannot be started, the message says why and how to start it.
        _ = try directory.clustmake(["redis", "stop"])
        let missing = try directory.clustmake(
            ["status", "--namespace", "demo"], environment: ["CLUSTMAKE_REDIS_SERVER": "/nonexistent/redis-server"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot start the embedded redis of this directory"), "\(missing.stderr)")
        #expect(missing.stderr.contains("redis-server not found at /nonexistent/redis-server"))
        #expect(missing.stderr.contains("Start it by hand with `clustmake redis start`"))
    }

    @Test("in-process commands start the watcher from the clustmake next to them, never themselves")
    func watcherIsClustmake() throws {
        let watcher = try #require(RedisCommand.watcherCommand())
        #expect(watcher == [try CLI.built("clustmake"), "redis", "watch"])
    }

    @Test("a run outlives the idle timeout: the server stays while the run goes, and stops itself after")
    func runHoldsIt() async throws {
        let directory = try Directory()
        // No client is connected between the two jobs' workers, longer than the idle timeout: only the run's hold
        // keeps the server.
        let graph = try directory.graph(
            #"{"id": "a", "command": "sleep 3"}, {"id": "b", "command": "true", "deps": ["a"]}"#)
        let run = try directory.clustmake(["run", graph], environment: [RedisCommand.idleTimeoutVariable: "1s"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("done b on localhost"), "\(run.stderr)")
        await #expect(throws: Never.self) {
            try await directory.waitForRedisStatus(3, what: "the embedded redis stopped itself after the run")
        }
        let status = try directory.clustmake(["status", "--namespace", "demo"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("done 2"), "\(status.stdout)")
    }
}
