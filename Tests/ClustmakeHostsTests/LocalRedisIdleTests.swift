import ClustmakeHosts
import ClustmakeRedis
import Foundation
import Glibc
import Synchronization
import Testing

/// The idle stop of the embedded redis: a real `redis-server` per test, watched by ``LocalRedis/watchIdle(poll:)`` in
/// this process (the `clustmake redis watch` process runs the same code; the command tests start that one).
@Suite struct LocalRedisIdleTests {
    /// The idle timeout of these tests: short, so they wait for conditions a few seconds at most.
    static let idleTimeout = Duration.seconds(2)
    /// How often the watcher looks in these tests.
    static let poll = Duration.milliseconds(200)

    @Test("a server nothing uses for its idle timeout stops itself, and its data survives the restart")
    func idleStop() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path, idleStop: .init(timeout: Self.idleTimeout))
        try await stopping(local) {
            let running = try await local.ensureRunning()
            _ = try withRedisConnection(to: running.endpoint) { try $0.command("SET", "clustmake:test", "kept") }
            let armed = try #require(await local.status().idleWatch)
            #expect(armed.timeoutSeconds == 2)

            let end = try await local.watchIdle(poll: Self.poll)
            guard case .stopped(let idle) = end else {
                Issue.record("the watcher ended with \(end), not a stop")
                return
            }
            #expect(idle >= 2)
            #expect(!isRunning(running.pid))
            #expect(await local.status().running == false)

            let again = try await local.ensureRunning()
            #expect(again.started)
            let value = try withRedisConnection(to: again.endpoint) { try $0.command("GET", "clustmake:test").string }
            #expect(value == "kept")
        }
    }

    @Test("a connected client keeps the server running past its idle timeout; it stops once the client leaves")
    func clientKeepsIt() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path, idleStop: .init(timeout: Self.idleTimeout))
        try await stopping(local) {
            let running = try await local.ensureRunning()
            let client = try RedisConnection(endpoint: running.endpoint)
            let watcher = WatcherRun(local, poll: Self.poll)
            // 15 looks 0.2 s apart span 3 s, more than the idle timeout.
            try await watcher.waitForLooks(15)
            #expect(isRunning(running.pid))
            #expect(await local.status().idleWatch?.busy?.contains("connected") == true)
            #expect(try client.command("PING") == .status("PONG"))

            client.close()
            let end = try await watcher.end()
            guard case .stopped = end else {
                Issue.record("the watcher ended with \(end), not a stop")
                return
            }
            #expect(!isRunning(running.pid))
        }
    }

    @Test("a command's hold (a run) keeps the server running with no client; it stops once the hold is let go")
    func holdKeepsIt() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path, idleStop: .init(timeout: Self.idleTimeout))
        try await stopping(local) {
            var hold: LocalRedis.Hold? = try await local.hold()
            let running = try await local.ensureRunning()
            let watcher = WatcherRun(local, poll: Self.poll)
            // 15 looks 0.2 s apart span 3 s, more than the idle timeout.
            try await watcher.waitForLooks(15)
            #expect(isRunning(running.pid))
            #expect(await local.status().idleWatch?.busy == "a clustmake command uses it")
            #expect(await local.status().idleWatch?.stopsAt == nil)

            withExtendedLifetime(hold) {}
            hold = nil
            let end = try await watcher.end()
            guard case .stopped = end else {
                Issue.record("the watcher ended with \(end), not a stop")
                return
            }
            #expect(!isRunning(running.pid))
        }
    }

    @Test("a command's hold waits while the watcher stops the server (it holds in-use exclusively), then gets it")
    func holdWaitsForAStop() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path)
        // A first hold makes the directory and its in-use file; it is let go at once, explicitly (a value merely
        // dropped may live on in an async frame, or in the thread that made it, and keep its lock).
        try await local.hold().release()
        // The watcher's side of a stop: in-use taken exclusively, without waiting.
        let stopper = open(local.directory + "/in-use", O_RDWR | O_CLOEXEC)
        try #require(stopper >= 0)
        defer { close(stopper) }
        // Other tests of this suite spawn processes meanwhile, and a child holds a copy of every descriptor
        // (close-on-exec included) until it execs: the exclusive lock is retried until it comes, bounded.
        var polls = 0
        while flock(stopper, LOCK_EX | LOCK_NB) != 0 && polls < 1000 {
            polls += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(polls < 1000, "the in-use file stayed locked: the first hold was not let go")
        let held = Mutex(false)
        let waiting = Task {
            let hold = try await local.hold()
            held.withLock { $0 = true }
            withExtendedLifetime(hold) {}
        }
        // Nothing to wait for: the hold must not come while the stop goes on, however long that is.
        try await Task.sleep(for: .milliseconds(500))
        #expect(!held.withLock { $0 })
        flock(stopper, LOCK_UN)
        try await waiting.value
        #expect(held.withLock { $0 })
    }

    @Test("while it is idle, status says when the idle stop fires")
    func stopsAt() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path, idleStop: .init(timeout: .seconds(600)))
        try await stopping(local) {
            _ = try await local.ensureRunning()
            let watcher = WatcherRun(local, poll: Self.poll)
            try await watcher.waitWhileRunning("the watcher found the server idle") {
                await local.status().idleWatch?.stopsAt != nil
            }
            let watch = try #require(await local.status().idleWatch)
            let idleSince = try #require(watch.idleSince)
            #expect(watch.watching)
            #expect(watch.stopsAt == idleSince + 600)
            #expect(watch.busy == nil)
            try await local.stop()
            #expect(try await watcher.end() == .serverGone)
        }
    }

    @Test(
        "a connection that only looks (named as redis status names its own) does not keep the server running",
        .timeLimit(.minutes(10)))
    func lookingClientIgnored() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path, idleStop: .init(timeout: Self.idleTimeout))
        try await stopping(local) {
            let running = try await local.ensureRunning()
            let looking = try RedisConnection(endpoint: running.endpoint)
            defer { looking.close() }
            #expect(try looking.command("CLIENT", "SETNAME", "clustmake-look") == .status("OK"))
            let end = try await local.watchIdle(poll: Self.poll)
            guard case .stopped = end else {
                Issue.record("the watcher ended with \(end), not a stop")
                return
            }
            #expect(!isRunning(running.pid))
        }
    }

    @Test("a watcher whose server and directory were removed ends without making the directory again")
    func directoryRemoved() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path + "/.clustmake", idleStop: .init(timeout: .seconds(600)))
        let running = try await local.ensureRunning()
        let watcher = WatcherRun(local, poll: Self.poll)
        try await watcher.waitForLooks(1)
        kill(running.pid, SIGTERM)
        try await waitUntil("the server exited") { !isRunning(running.pid) }
        // Retried, as in the test below: the removal can find the directory changing under it (it failed once in CI
        // with "Operation not permitted" on .clustmake/redis).
        try await waitUntil("the state directory is removed") {
            (try? FileManager.default.removeItem(atPath: state.path + "/.clustmake")) != nil
                || access(state.path + "/.clustmake", F_OK) != 0
        }
        #expect(try await watcher.end() == .serverGone)
        #expect(access(state.path + "/.clustmake", F_OK) != 0)
    }

    @Test(
        "a server whose directory, or only its pid file (what a removal halfway shows), was removed under it is stopped by its watcher, which then ends",
        arguments: [true, false])
    func directoryRemovedUnderServer(wholeDirectory: Bool) async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path + "/.clustmake", idleStop: .init(timeout: .seconds(600)))
        let running = try await local.ensureRunning()
        defer { if isRunning(running.pid) { kill(running.pid, SIGKILL) } }
        let watcher = WatcherRun(local, poll: Self.poll)
        // The watcher has a connection of its own once it has looked at the server's clients.
        try await watcher.waitForLooks(2)
        if wholeDirectory {
            // The running server may be making a file in it (its append-only directory) while it goes: retried.
            try await waitUntil("the state directory is removed") {
                (try? FileManager.default.removeItem(atPath: state.path + "/.clustmake")) != nil
                    || access(state.path + "/.clustmake", F_OK) != 0
            }
        } else {
            try FileManager.default.removeItem(atPath: local.pidFile)
        }
        #expect(try await watcher.end() == .serverGone)
        try await waitUntil("the orphaned server exited") { !isRunning(running.pid) }
        if wholeDirectory { #expect(access(state.path + "/.clustmake", F_OK) != 0) }
    }

    @Test("a watcher that finds the idle timeout never while a start switches it on keeps watching")
    func switchedOnMeanwhile() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path, idleStop: .never)
        try await stopping(local) {
            let running = try await local.ensureRunning()
            // A start in progress holds the directory's lock while it records the idle timeout.
            let starter = open(local.directory + "/lock", O_RDWR | O_CLOEXEC)
            try #require(starter >= 0)
            defer { close(starter) }
            #expect(flock(starter, LOCK_EX) == 0)
            let watcher = WatcherRun(local, poll: Self.poll)
            try await watcher.waitWhileRunning("the watcher runs") { await local.status().idleWatch?.watching == true }
            try "2\n".write(toFile: local.directory + "/idle-timeout", atomically: true, encoding: .utf8)
            flock(starter, LOCK_UN)
            let end = try await watcher.end()
            guard case .stopped = end else {
                Issue.record("the watcher ended with \(end), not a stop")
                return
            }
            #expect(!isRunning(running.pid))
        }
    }

    @Test("with the idle timeout never, no watcher watches and the server keeps running")
    func never() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path, idleStop: .never)
        try await stopping(local) {
            let running = try await local.ensureRunning()
            #expect(try await local.watchIdle(poll: Self.poll) == .disabled)
            #expect(isRunning(running.pid))
            let watch = try #require(await local.status().idleWatch)
            #expect(watch.timeout == nil)
            #expect(!watch.watching)
        }
    }

    @Test("a start with only the default keeps the idle timeout an earlier start recorded; an explicit one replaces it")
    func recordedSetting() async throws {
        let state = try TemporaryDirectory()
        let explicit = try LocalRedis(stateDirectory: state.path, idleStop: .init(timeout: .seconds(30)))
        try await stopping(explicit) {
            _ = try await explicit.ensureRunning()
            try await explicit.stop()
            let byDefault = try LocalRedis(
                stateDirectory: state.path, idleStop: .init(timeout: .seconds(600), isDefault: true))
            _ = try await byDefault.ensureRunning()
            #expect(await byDefault.status().idleWatch?.timeoutSeconds == 30)

            let replacing = try LocalRedis(
                stateDirectory: state.path, idleStop: .init(timeout: nil, replacesRunning: true))
            #expect(try await replacing.ensureRunning().started == false)
            #expect(await replacing.status().idleWatch?.timeout == nil)
        }
    }
}

/// A watcher run by a test on a thread of its own (not a task: while synchronous tests of other suites hold the
/// concurrency pool, a task may wait minutes to start), and how it ended, once it has.
struct WatcherRun {
    /// How it ended: a ``LocalRedis/WatchEnd`` or an error.
    final class Ending: Sendable {
        let result = Mutex<Result<LocalRedis.WatchEnd, HostsError>?>(nil)
        /// The ending, described, once there is one.
        var text: String? {
            result.withLock { result in
                result.map {
                    switch $0 {
                    case .success(let end): "\(end)"
                    case .failure(let error): "\(error)"
                    }
                }
            }
        }
    }

    let local: LocalRedis
    let ending = Ending()

    init(_ local: LocalRedis, poll: Duration) {
        self.local = local
        let ending = ending
        Thread.detachNewThread {
            let result = Result { () throws(HostsError) in try local.watchIdleBlocking(poll: poll) }
            ending.result.withLock { $0 = result }
        }
    }

    /// Waits until `condition` holds, as ``waitUntil(_:polls:_:)``; fails at once, saying how, if the watcher ends
    /// first, and on a timeout says what the watcher last wrote.
    func waitWhileRunning(_ what: String, _ condition: () async throws -> Bool) async throws {
        do {
            try await waitUntil(what, polls: 4800) {
                if let end = ending.text { throw WaitTimeout(what: "\(what): the watcher ended first (\(end))") }
                return try await condition()
            }
        } catch let timeout as WaitTimeout {
            let watch = await local.status().idleWatch.map { "\($0)" } ?? "no state"
            throw WaitTimeout(what: "\(timeout.what) (its last state: \(watch))")
        }
    }

    /// How the watcher ended, waiting for it (polls, not a time bound: see ``waitUntil(_:polls:_:)``).
    func end() async throws -> LocalRedis.WatchEnd {
        try await waitUntil("the watcher ended", polls: 4800) { ending.text != nil }
        return try ending.result.withLock { $0! }.get()
    }

    /// Waits until the watcher has looked `count` times; fails at once, saying how, if the watcher ended first. On a
    /// loaded machine a look can take seconds: the bound is four minutes of polling, and a timeout says what the
    /// watcher last wrote.
    func waitForLooks(_ count: Int) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        do {
            try await waitUntil("the watcher has looked \(count) times", polls: 4800) {
                if let end = ending.text {
                    throw WaitTimeout(what: "the watcher has looked \(count) times: it ended first (\(end))")
                }
                return await local.watchPolls() >= count
            }
        } catch let timeout as WaitTimeout {
            let watch = await local.status().idleWatch.map { "\($0)" } ?? "no state"
            throw WaitTimeout(what: "\(timeout.what) (after \(clock.now - started); its last state: \(watch))")
        }
    }
}

extension LocalRedis {
    /// How many times the watcher has looked, from its state file.
    func watchPolls() async -> Int { await status().idleWatch?.polls ?? 0 }
}

/// Waits until `condition` holds, looking every 50 ms, 1,200 times at most (a minute of polling). The bound counts
/// polls, not time on the clock: while other suites keep the cooperative pool busy this task may wait long to be
/// resumed, and that wait must not use up the bound.
func waitUntil(_ what: String, polls: Int = 1200, _ condition: () async throws -> Bool) async throws {
    for _ in 0..<polls {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw WaitTimeout(what: what)
}

struct WaitTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "gave up waiting until \(what)" }
}
