import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One `clustmake run` of a namespace at a time (its lock on this machine, its lease in redis for every machine),
/// `clustmake cancel` that signals only a run that holds its lock, and `clustmake redis stop` that leaves a run's
/// redis alone (docs/run.md, "Resume and cancel").
@Suite struct RunExclusionTests {
    /// Ends the jobs of ``heldGraph(_:release:)``.
    /// Lets the held jobs end, and waits (30 s at most) until no process waits for `release` any more: the file
    /// goes with the fixture's directory when the test returns, and a job that had not looked yet (every 0.05 s)
    /// would then loop for ever, its worker with it, after a test that killed their run.
    static func end(_ release: String) {
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline && waiting(for: release) { blockingSleep(.milliseconds(20)) }
    }

    /// Whether a process's arguments name `path` (a held job's `sh -c while [ ! -e PATH ] …`).
    static func waiting(for path: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.contains { name in
            guard let pid = Int32(name), pid != getpid() else { return false }
            return ProcessIdentity.arguments(of: pid)?.contains { $0.contains(path) } == true
        }
    }

    /// `run` of ``heldGraph(_:release:)`` into the fixture's redis, namespace ``RunFixture/ns(_:)`` of `name`, on
    /// this machine or, `overSSH`, on the fixture's hosts (one slot each).
    static func runArguments(_ fixture: RunFixture, release: String, name: String, overSSH: Bool = false) throws
        -> [String]
    {
        ["run", try heldGraph(fixture, release: release)]
            + (overSSH ? ["--cluster", try fixture.clusterFile(processors: 1)] : [])
            + ["--redis", fixture.redisURL, "--namespace", fixture.ns(name)]
    }

    /// Starts `clustmake ARGUMENTS` (a run of ``heldGraph(_:release:)`` in namespace ``RunFixture/ns(_:)`` of
    /// `name`) and returns once its job runs.
    static func startHeld(_ fixture: RunFixture, _ arguments: [String], _ name: String) throws -> (
        SSHTestCluster.RunningCommand, JobStore
    ) {
        let run = try fixture.start(arguments)
        let store = try fixture.store(name)
        try #require(try fixture.waitUntil { (try? store.states())?["hold"] == .inProgress }, "the job never ran")
        return (run, store)
    }

    /// A graph of one job that runs until the test creates `release` (the test ends it, not a clock).
    static func heldGraph(_ fixture: RunFixture, release: String) throws -> String {
        try fixture.graphFile(
            "jobs:\n  - {id: hold, command: \"while [ ! -e \(release) ]; do sleep 0.05; done\"}\n",
            name: "held-\(UInt32.random(in: 0...UInt32.max)).yaml")
    }

    @Test("two runs of one namespace started at once: one runs, the other is refused (exit 2) naming its pid and host")
    func concurrentRuns() throws {
        let fixture = try RunFixture(hosts: 1)
        let release = fixture.directory + "/release-concurrent"
        defer { Self.end(release) }
        let arguments = try Self.runArguments(fixture, release: release, name: "twice")
        let runs = [try fixture.start(arguments), try fixture.start(arguments)]
        #expect(try fixture.waitUntil(.seconds(60)) { runs.contains { $0.hasExited } }, "neither run ended")
        let refusedIndex = try #require(runs.firstIndex { $0.hasExited })
        let refused = try runs[refusedIndex].wait()
        let running = runs[1 - refusedIndex]
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(
            refused.stderr.contains(
                "a run of namespace '\(fixture.ns("twice"))' is going on already (pid \(running.pid) on "
                    + "\(ProcessIdentity.hostname())"), "\(refused.stderr)")
        #expect(!running.hasExited)
        let store = try fixture.store("twice")
        #expect(try fixture.waitUntil { (try? store.states())?["hold"] == .inProgress })
        Self.end(release)
        let result = try running.wait(timeout: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try store.attempts(of: "hold").count == 1, "the refused run dispatched nothing")
    }

    @Test("a run from another machine (another run directory) is refused by the lease in redis; cancel stops the run")
    func otherMachineAndCancel() throws {
        let fixture = try RunFixture(hosts: 1)
        let release = fixture.directory + "/release-other"
        defer { Self.end(release) }
        let namespace = fixture.ns("elsewhere")
        let arguments = try Self.runArguments(fixture, release: release, name: "elsewhere")
        let (first, store) = try Self.startHeld(fixture, arguments, "elsewhere")
        // Another run directory stands for another machine: its lock file is another, only the lease is shared.
        let elsewhere = fixture.directory + "/runtime-elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let second = try fixture.cluster.start(
            ["/usr/bin/env", "XDG_RUNTIME_DIR=\(elsewhere)", RunFixture.clustmake] + arguments
        ).wait(timeout: .seconds(60))
        #expect(second.status == 2, "\(second.stderr)")
        #expect(
            second.stderr.contains("(pid \(first.pid) on \(ProcessIdentity.hostname()), since "), "\(second.stderr)")
        #expect(
            second.stderr.contains("its lease in redis at redis://:***@127.0.0.1:\(fixture.redis.port)"),
            "\(second.stderr)")
        // cancel finds nothing to stop from there, and says so.
        let nothing = try fixture.cluster.start(
            ["/usr/bin/env", "XDG_RUNTIME_DIR=\(elsewhere)", RunFixture.clustmake, "cancel", "--namespace", namespace]
        ).wait()
        #expect(nothing.status == 1 && nothing.stderr.contains("nothing to cancel"), "\(nothing.stderr)")
        #expect(!first.hasExited)
        let cancel = try fixture.run(["cancel", "--namespace", namespace])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("cancelled the run of namespace '\(namespace)' (pid \(first.pid))"))
        let result = try first.wait(timeout: .seconds(60))
        #expect(result.status == 130, "\(result.stderr)")
        #expect(try store.states()["hold"] == .interrupted)
    }

    @Test("cancel never signals a process whose pid a stale lock file names, and says there is nothing to cancel")
    func staleLockFile() throws {
        let fixture = try RunFixture(hosts: 1)
        let runtime = fixture.directory + "/runtime-stale"
        // The run directory as clustmake makes it: private to the user.
        try FileManager.default.createDirectory(
            atPath: runtime + "/clustmake", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // An unrelated process, alive until the test ends it, whose pid (and start time) a crashed run's file names.
        let unrelated = try fixture.cluster.start(["sleep", "infinity"])
        defer {
            unrelated.signal(SIGKILL)
            _ = try? unrelated.wait()
        }
        let identity = try #require(ProcessIdentity.of(unrelated.pid))
        try "namespace crashed\npid \(identity.pid)\nstart \(identity.startTicks)\nhost here\n".write(
            toFile: runtime + "/clustmake/run-crashed-00000000.lock", atomically: true, encoding: .utf8)
        for arguments in [["cancel", "--namespace", "crashed"], ["cancel"]] {
            let cancel = try fixture.cluster.start(
                ["/usr/bin/env", "XDG_RUNTIME_DIR=\(runtime)", RunFixture.clustmake] + arguments
            ).wait()
            #expect(cancel.status == 1, "\(cancel.stdout)\(cancel.stderr)")
            #expect(cancel.stderr.contains("nothing to cancel"), "\(cancel.stderr)")
            #expect(
                cancel.stderr.contains("names pid \(identity.pid), which does not hold it)")
                    && cancel.stderr.contains("nothing was signalled"),
                "\(cancel.stderr)")
            #expect(!unrelated.hasExited, "the unrelated process was signalled")
        }
    }

    @Test(
        "a run killed with SIGKILL: the next run here takes its lease over at once; another machine's only after expiry"
    )
    func staleLease() throws {
        let fixture = try RunFixture(hosts: 1)
        let release = fixture.directory + "/release-stale"
        defer { Self.end(release) }
        let namespace = fixture.ns("stale")
        let arguments = try Self.runArguments(fixture, release: release, name: "stale", overSSH: true)
        let (killed, _) = try Self.startHeld(fixture, arguments, "stale")
        killed.signal(SIGKILL)
        _ = try killed.wait()
        Self.end(release)
        // Its lease is still in redis, naming a process that no longer runs on this machine: taken over at once.
        let next = try fixture.run(arguments)
        #expect(next.status == 0, "\(next.stderr)")
        #expect(
            next.stderr.contains(
                "took over the namespace's lease in redis from an earlier run (pid \(killed.pid) on "
                    + "\(ProcessIdentity.hostname())), which no longer runs on this machine"), "\(next.stderr)")

        // A lease left by a run on another machine, which cannot be checked from here, holds until it expires.
        let redis = try fixture.redis.connect()
        let key = "compmake:{\(namespace)}:run"
        let time = try redis.command("TIME").array?.compactMap { $0.string.flatMap { Int64($0) } } ?? []
        let now = try #require(time.first) * 1000
        _ = try redis.command(
            "HSET", key, "token", "run/node9/77/1", "expires", String(now + 600_000), "host", "node9", "pid", "77",
            "start", "1", "machine", "another-machine", "since", "2026-01-01T00:00:00.000Z")
        let refused = try fixture.run(arguments + ["--more"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("(pid 77 on node9, since 2026-01-01T00:00:00.000Z"), "\(refused.stderr)")
        #expect(refused.stderr.contains("until its lease expires (in "), "\(refused.stderr)")
        // Expired on redis's clock (the killed machine never renewed it): taken over, with a message.
        _ = try redis.command("HSET", key, "expires", String(now - 5000))
        let taken = try fixture.run(arguments + ["--more"])
        #expect(taken.status == 0, "\(taken.stderr)")
        #expect(
            taken.stderr.contains("from an earlier run (pid 77 on node9), which expired "), "\(taken.stderr)")
        #expect(try redis.command("EXISTS", key).integer == 0, "the lease is let go at the end")
    }

    @Test("redis stop refuses while a run uses the embedded redis (exit 2, naming it), and stops it with --force")
    func redisStopDuringRun() throws {
        let fixture = try RunFixture(hosts: 1)
        let release = fixture.directory + "/release-embedded"
        defer { Self.end(release) }
        let work = fixture.directory + "/embedded"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let graph = try Self.heldGraph(fixture, release: release)
        func inWork(_ arguments: [String]) -> [String] {
            ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", work, RunFixture.clustmake] + arguments
        }
        let run = try fixture.cluster.start(inWork(["run", graph, "--namespace", fixture.ns("embedded")]))
        defer {
            run.signal(SIGKILL)
            _ = try? run.wait()
            _ = try? fixture.cluster.start(inWork(["redis", "stop", "--force"])).wait()
        }
        let started = try fixture.waitUntil(.seconds(60)) {
            let status = try fixture.cluster.start(inWork(["status", "--namespace", fixture.ns("embedded")])).wait()
            return status.stdout.contains("in-progress 1")
        }
        try #require(started, "the run never started its job")
        let refused = try fixture.cluster.start(inWork(["redis", "stop"])).wait()
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("clustmake commands use it (pid "), "\(refused.stderr)")
        #expect(refused.stderr.contains("pid \(run.pid)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("pass --force"), "\(refused.stderr)")
        // --force stops it all the same: the run's worker then cannot record its job.
        let forced = try fixture.cluster.start(inWork(["redis", "stop", "--force"])).wait()
        #expect(forced.status == 0 && forced.stdout.contains("Stopped redis"), "\(forced.stdout)\(forced.stderr)")
        let stopped = try fixture.cluster.start(inWork(["redis", "status"])).wait()
        #expect(stopped.status == 3, "\(stopped.stdout)")
    }
}
