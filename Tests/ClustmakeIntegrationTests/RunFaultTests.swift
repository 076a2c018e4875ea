import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `clustmake run` against faults of real redis and real hosts, each checked for exactly-once completion in redis:
/// every job done once, after its dependencies, no attempt recorded twice.
@Suite struct RunFaultTests {
    /// Two layers of `count` jobs of `seconds` each, every job of the second depending on one of the first, and
    /// `tail` on all of the second.
    /// With `stuck` (a host and a marker path), the first job that starts on that host runs until it is stopped.
    static func layers(_ count: Int, seconds: Double, stuck: (host: String, marker: String)? = nil) -> String {
        var command = "sleep \(seconds)"
        if let stuck {
            command =
                "if [ \\\"$CLUSTMAKE_HOST\\\" = \(stuck.host) ] && mkdir \(stuck.marker) 2>/dev/null; "
                + "then exec sleep infinity; fi; \(command)"
        }
        var text = "jobs:\n"
        for index in 0..<count {
            text += "  - {id: a\(index), command: \"\(command)\", cost: \(seconds)}\n"
            text += "  - {id: b\(index), command: \"\(command)\", cost: \(seconds), deps: [a\(index)]}\n"
        }
        text += "  - {id: tail, command: \"true\", deps: [\((0..<count).map { "b\($0)" }.joined(separator: ", "))]}\n"
        return text
    }

    /// A host's processes (its sshd and workers) stopped with SIGSTOP, as on a machine that hangs, until
    /// ``thaw()``.
    final class Frozen {
        let pids: [pid_t]
        private var thawed = false

        init(host: String, _ fixture: RunFixture) throws {
            pids = try fixture.cluster.pids(host: host)
            for pid in pids { kill(pid, SIGSTOP) }
        }

        /// Lets the processes go on (the first call only).
        func thaw() {
            guard !thawed else { return }
            thawed = true
            for pid in pids { kill(pid, SIGCONT) }
        }
    }

    /// No attempt number appears twice among a job's attempts, and each counts up from 1.
    static func expectNoAttemptTwice(_ record: RunRecord, sourceLocation: SourceLocation = #_sourceLocation) {
        for (job, attempts) in record.attempts {
            let numbers = attempts.map(\.number)
            #expect(numbers == Array(1...max(1, numbers.count)), "\(job): \(numbers)", sourceLocation: sourceLocation)
        }
    }

    /// A directory the hosts' test user may write its markers in.
    static func markers(_ fixture: RunFixture) throws -> String {
        let path = fixture.directory + "/markers"
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        chmod(path, 0o777)
        return path
    }

    /// The first job (by id) that redis shows in progress on `host`, waited for up to a minute.
    static func jobRunning(on host: String, _ fixture: RunFixture, _ store: JobStore) throws -> String? {
        var job: String?
        _ = try fixture.waitUntil(.seconds(60)) {
            let states = (try? store.states()) ?? [:]
            job = states.keys.sorted().first { id in
                states[id] == .inProgress && (try? store.status(of: id))?.host == host
            }
            return job != nil
        }
        return job
    }

    /// Starts `clustmake run GRAPH` on the fixture's hosts (`processors` slots each), namespace ``RunFixture/ns(_:)``
    /// of `name`; returns it and the namespace's store.
    static func startRun(_ fixture: RunFixture, graph: String, name: String, processors: Int) throws -> (
        SSHTestCluster.RunningCommand, JobStore
    ) {
        let arguments = [
            "run", graph, "--cluster", try fixture.clusterFile(processors: processors), "--redis", fixture.redisURL,
            "--namespace", fixture.ns(name),
        ]
        return (try fixture.start(arguments), try fixture.store(name))
    }

    /// Starts a run of ``layers(_:seconds:stuck:)`` on h1 and h2, one slot each, whose first job on h2 runs until
    /// it is stopped; returns once that job runs.
    static func startWithJobStuckOnH2(_ fixture: RunFixture, _ name: String) throws -> (
        SSHTestCluster.RunningCommand, JobStore, String
    ) {
        let graph = try fixture.graphFile(
            Self.layers(6, seconds: 1, stuck: ("h2", try Self.markers(fixture) + "/stuck")))
        let (run, store) = try startRun(fixture, graph: graph, name: name, processors: 1)
        // Its process has started (its marker made), so it is the one of h2's single slot in progress now.
        try #require(
            try fixture.waitUntil(.seconds(60)) {
                FileManager.default.fileExists(atPath: try Self.markers(fixture) + "/stuck")
            }, "no job got stuck on h2")
        let job = try #require(try Self.jobRunning(on: "h2", fixture, store), "no job ran on h2")
        return (run, store, job)
    }

    /// Waits for the run's end and checks it succeeded with every job done once, in dependency order, no attempt
    /// recorded twice.
    @discardableResult
    static func expectCompletedOnce(
        _ run: SSHTestCluster.RunningCommand, _ store: JobStore, timeout: Duration = .seconds(180),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> RunRecord {
        let result = try run.wait(timeout: timeout)
        #expect(
            result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(4000))", sourceLocation: sourceLocation)
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce(sourceLocation: sourceLocation)
        record.expectDependencyOrder(sourceLocation: sourceLocation)
        expectNoAttemptTwice(record, sourceLocation: sourceLocation)
        return record
    }

    /// Whether, within 30 s, no job process (`sleep`) is left among `host`'s processes.
    static func noJobLeft(on host: String, _ fixture: RunFixture) throws -> Bool {
        try fixture.waitUntil(.seconds(30)) { try fixture.processes(on: host, named: "sleep").isEmpty }
    }

    @Test("redis restarted in the middle of a run (append-only file on): the run keeps its lease and completes once")
    func redisRestarted() throws {
        let fixture = try RunFixture(
            hosts: 2,
            redis: RedisServer.Options(
                password: RunFixture.password, extraArguments: ["--appendonly", "yes", "--appendfsync", "always"]))
        // b0 runs until the test has seen what it checks after the restart.
        let release = fixture.directory + "/release-restart"
        defer { _ = FileManager.default.createFile(atPath: release, contents: nil) }
        let graph = try fixture.graphFile(
            Self.layers(8, seconds: 0.5).replacingOccurrences(
                of: "{id: b0, command: \"sleep 0.5\"",
                with: "{id: b0, command: \"while [ ! -e \(release) ]; do sleep 0.05; done\""))
        let (run, store) = try Self.startRun(fixture, graph: graph, name: "restart", processors: 2)
        let midway = try fixture.waitUntil(.seconds(60)) {
            let states = (try? store.states()) ?? [:]
            return states.values.contains(.done) && states["b0"] == .inProgress
        }
        try #require(midway, "the run never got half way")
        try fixture.redis.restart()
        // The run's lease survived in the append-only file, and the run renews it through a new connection.
        let redis = try fixture.redis.connect()
        let lease = "compmake:{\(fixture.ns("restart"))}:run"
        func expires() -> Int64 { (try? redis.command("HGET", lease, "expires").string).flatMap { Int64($0) } ?? 0 }
        let before = expires()
        #expect(before > 0, "the run's lease was lost with the restart")
        #expect(
            try fixture.waitUntil(.seconds(40)) { expires() > before },
            "the run never renewed its lease after the restart")
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        try Self.expectCompletedOnce(run, try fixture.store("restart"))
    }

    @Test("redis down when a command starts: a clear error within the connect timeout, nothing written")
    func redisDown() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile(Self.layers(2, seconds: 0.1))
        let port = fixture.redis.port
        fixture.redis.kill()
        for arguments in [
            ["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("down")],
            ["push", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("down")],
            ["status", "--redis", fixture.redisURL, "--namespace", fixture.ns("down")],
        ] {
            let started = ContinuousClock.now
            let result = try fixture.run(arguments, timeout: .seconds(60))
            #expect(ContinuousClock.now - started < .seconds(30), "\(arguments[0]) took too long")
            #expect(result.status == 1, "\(arguments[0]): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("127.0.0.1:\(port)"), "\(arguments[0]): \(result.stderr)")
            #expect(
                result.stderr.localizedCaseInsensitiveContains("refused")
                    || result.stderr.localizedCaseInsensitiveContains("cannot"), "\(arguments[0]): \(result.stderr)")
        }
        // Nothing half-written: no run lock is left behind, and redis, back, holds nothing of the namespace.
        try fixture.redis.restart()
        let keys = try fixture.redis.connect().command("KEYS", "compmake:{\(fixture.ns("down"))}:*")
        #expect(keys.array?.isEmpty == true, "\(keys)")
    }

    @Test("a host frozen (its sshd and workers stopped) and thawed later: its job runs elsewhere once, nothing is left")
    func frozenHost() throws {
        let fixture = try RunFixture(hosts: 2)
        let (run, store, frozenJob) = try Self.startWithJobStuckOnH2(fixture, "frozen")
        let frozen = try Frozen(host: "h2", fixture)
        defer { frozen.thaw() }
        // The frozen job is found lost (its lease runs out) and done on the other host while h2 stays frozen.
        let movedOn = try fixture.waitUntil(.seconds(90)) {
            (try? store.attempts(of: frozenJob))?.contains { $0.state == .succeeded && $0.host == "h1" } == true
        }
        #expect(movedOn, "\(frozenJob) was not run again on h1")
        frozen.thaw()
        try Self.expectCompletedOnce(run, store)
        // The thawed worker found its lease gone and stopped its job: nothing of it runs on h2.
        #expect(try Self.noJobLeft(on: "h2", fixture), "a job is still running on h2")
    }

    @Test("the ssh path to a host cut while a job runs: the job is requeued, done once, nothing is left on the host")
    func sshCut() throws {
        let fixture = try RunFixture(hosts: 2)
        let (run, store, cutJob) = try Self.startWithJobStuckOnH2(fixture, "cut")
        // The sessions' sshd processes on h2 die: every connection to it drops, the workers and jobs stay.
        for pid in try fixture.processes(on: "h2", named: "sshd") { kill(pid, SIGKILL) }
        let record = try Self.expectCompletedOnce(run, store)
        #expect(
            record.attempts[cutJob, default: []].contains { $0.host == "h2" && $0.state != .succeeded },
            "\(cutJob): \(record.attempts[cutJob, default: []].map { "\($0.host) \($0.state)" })")
        #expect(try Self.noJobLeft(on: "h2", fixture), "a job is still running on h2")
    }

    /// `count` no-op jobs `j0…` of cost 0.01 (`--bundle auto` groups them), every fifth from `gap` on depending on
    /// the one `gap` before it; on each of `stuck` (a host and a marker path), the first job that starts there makes
    /// the marker directory, writes its id to `MARKER/job`, and runs until it is stopped.
    static func manyJobs(_ count: Int, gap: Int, stuck: [(host: String, marker: String)]) -> String {
        let holds = stuck.map {
            "if [ \\\"$CLUSTMAKE_HOST\\\" = \($0.host) ] && mkdir \($0.marker) 2>/dev/null; then "
                + "echo $CLUSTMAKE_JOB > \($0.marker)/job; exec sleep infinity; fi; "
        }
        let command = holds.joined() + "true"
        var text = "jobs:\n"
        text.reserveCapacity(count * (command.count + 60))
        for index in 0..<count {
            let deps = index >= gap && index % 5 == 0 ? ", deps: [j\(index - gap)]" : ""
            text += "  - {id: j\(index), command: \"\(command)\", cost: 0.01\(deps)}\n"
        }
        return text
    }

    @Test("10,000 jobs on 4 hosts, one host killed and one frozen during the run: all done, none twice")
    func tenThousandJobsKilledAndFrozenHost() throws {
        let fixture = try RunFixture(hosts: 4)
        let markers = try Self.markers(fixture)
        let count = 10_000
        let graph = try fixture.graphFile(
            Self.manyJobs(count, gap: 500, stuck: [("h3", markers + "/h3"), ("h4", markers + "/h4")]))
        let (run, store) = try Self.startRun(fixture, graph: graph, name: "many", processors: 2)
        func done() -> Int { ((try? store.states()) ?? [:]).values.filter { $0 == .done }.count }
        /// The id the job stuck on `host` wrote, once it is written whole.
        func stuckJob(on host: String) -> String? {
            let text = try? String(contentsOfFile: markers + "/\(host)/job", encoding: .utf8)
            guard let text, text.hasSuffix("\n") else { return nil }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // A job holds a slot of h3 and one of h4, and a tenth of the jobs are done.
        let midway = try fixture.waitUntil(.seconds(300)) {
            stuckJob(on: "h3") != nil && stuckJob(on: "h4") != nil && done() >= count / 10
        }
        try #require(midway, "the run never got a tenth of the way with jobs on h3 and h4: \(done()) done")
        try fixture.cluster.kill(host: "h3")
        // h4 stays frozen until its held job is done elsewhere: the run must move its jobs without h4's help
        // (its lease running out), and then get the thawed worker's late word right.
        let frozen = try Frozen(host: "h4", fixture)
        defer { frozen.thaw() }
        // The held job is the one stuck on h4, which it names in its marker: it never ends there by itself, where a
        // no-op job found in progress on h4 could end with a request its worker sent just before the freeze.
        let held = try #require(stuckJob(on: "h4"), "the job stuck on h4 did not write its id")
        let doneAtFaults = done()
        #expect(doneAtFaults < count, "the faults came after the run's end")
        let movedOn = try fixture.waitUntil(.seconds(300)) {
            (try? store.attempts(of: held))?.contains { $0.state == .succeeded && $0.host != "h4" } == true
        }
        #expect(movedOn, "\(held) was not run again on another host while h4 was frozen")
        #expect(done() > doneAtFaults, "the run made no progress after the faults")
        frozen.thaw()
        let record = try Self.expectCompletedOnce(run, store, timeout: .seconds(600))
        #expect(record.states.count == count && record.states.values.allSatisfy { $0 == .done })
        let notDone = record.attempts.values.flatMap { $0 }.filter { $0.state != .succeeded }
        #expect(notDone.contains { $0.host == "h3" }, "h3's job is not recorded lost")
        #expect(record.attempts[held, default: []].contains { $0.host == "h4" && $0.state != .succeeded })
        // The thawed worker found its lease gone and stopped its job: nothing of it runs on h4.
        #expect(try Self.noJobLeft(on: "h4", fixture), "a job is still running on h4")
    }

    @Test("the plan directory's disk full, or read-only: a clear error naming it, and no partial plan left")
    func planDiskFull() throws {
        let fixture = try RunFixture(hosts: 1)
        // 3000 jobs: their scripts and plan.json are far larger than the 64 KiB file system.
        var text = "jobs:\n"
        for index in 0..<3000 { text += "  - {id: job-\(index), command: \"echo \(index)\"}\n" }
        let graph = try fixture.graphFile(text)
        let mount = fixture.directory + "/small"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try fixture.cluster.start(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount]).wait()
        try #require(mounted.status == 0, "\(mounted.stderr)")
        defer { _ = try? fixture.cluster.start(["umount", "-l", mount]).wait() }
        let arguments = [
            "plan", graph, "--no-push", "--redis", fixture.redisURL, "--namespace", fixture.ns("full"), "-o",
            mount + "/plan",
        ]
        let full = try fixture.run(arguments)
        #expect(full.status == 1, "\(full.stdout)\(full.stderr)")
        #expect(full.stderr.contains(mount), "\(full.stderr)")
        #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount).isEmpty, "a partial plan was left")

        let readOnly = try fixture.cluster.start(["mount", "-o", "remount,ro", mount]).wait()
        try #require(readOnly.status == 0, "\(readOnly.stderr)")
        let refused = try fixture.run(arguments)
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains(mount), "\(refused.stderr)")
        #expect(refused.stderr.contains("Read-only file system"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount).isEmpty, "a partial plan was left")
    }
}
