import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A worker's reservation of the next job of its line (docs/run.md, "Reservations"), against a real redis: the next
/// job reserved while the current one runs, its command started the moment the current one ends, and every way the
/// reservation can end (started, stale, given back on a failure or a stop signal). Each test waits for the
/// reservation's lease key in redis before it lets the current job end, so each path is the one taken.
@Suite struct WorkerReservationTests {
    /// A command that waits for `file` to exist (the test's go-ahead), then runs `then`; it gives up when the file's
    /// directory is gone (the fixture removed it: a test that ended early, or a worker killed under its job).
    private static func waitFor(_ file: String, then: String) -> String {
        let directory = String(file[..<file.lastIndex(of: "/")!])
        return "while [ ! -e '\(file)' ]; do [ -d '\(directory)' ] || exit 1; sleep 0.01; done; \(then)"
    }

    private func holder(_ fixture: WorkerFixture, _ id: String) throws -> String? {
        try fixture.server.connect().command("GET", "compmake:{\(fixture.namespace)}:lease:\(id)").string
    }

    private func push(_ fixture: WorkerFixture, _ jobs: [Job]) throws {
        try fixture.store.push(try JobGraph(jobs: jobs), pushedBy: "test")
    }

    @Test("the next batch's first job is reserved while the job before it runs, then run once, after it")
    func reservedFromTheNextBatch() throws {
        let fixture = try WorkerFixture([])
        let go = fixture.path("go")
        try push(fixture, [shell("a", Self.waitFor(go, then: "true")), shell("b", "echo B", deps: ["a"])])
        let session = try WorkerStreamTests.Session(fixture, first: "a\n")
        #expect(fixture.eventually { (try? fixture.store.state(of: "a")) == .inProgress })
        session.send("b\n")
        // The worker reads the batch while a runs and reserves b: b's lease key is the worker's, b not started.
        #expect(fixture.eventually { (try? holder(fixture, "b"))?.hasPrefix("nodeA/\(session.pid)/") == true })
        #expect(try fixture.store.state(of: "b") == .notStarted && fixture.store.status(of: "b").attempts == 0)
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        #expect(session.answer() == "0", "\(session.stderr)")
        #expect(session.answer() == "0", "\(session.stderr)")
        session.closeInput()
        #expect(session.exitStatus() == WorkerExitStatus.success, "\(session.stderr)")
        #expect(try fixture.store.states() == ["a": .done, "b": .done])
        let a = try fixture.store.attempts(of: "a")
        let b = try fixture.store.attempts(of: "b")
        #expect(a.count == 1 && b.count == 1)
        let ended = try #require(a.first?.ended)
        let started = try #require(b.first?.started)
        #expect(started.secondsSince1970 >= ended.secondsSince1970)
        #expect(try fixture.store.output(of: "b", attempt: 1, .stdout) == Array("B\n".utf8))
        #expect(try holder(fixture, "b") == nil)
    }

    @Test(
        "a reserved job whose definition a push changed: the command started on the reservation is killed and the new one runs, once"
    )
    func staleReservation() throws {
        let fixture = try WorkerFixture([])
        let go = fixture.path("go")
        let oldPID = fixture.path("old.pid")
        let a = shell("a", Self.waitFor(go, then: "true"))
        try push(fixture, [a, shell("b", "echo $$ > '\(oldPID)'; exec sleep 30", deps: ["a"])])
        let session = try WorkerStreamTests.Session(fixture, first: "a b\n")
        #expect(fixture.eventually { (try? holder(fixture, "b")) != nil })
        try push(fixture, [a, shell("b", "echo new", deps: ["a"])])
        try fixture.server.connect().command("CONFIG", "RESETSTAT").expectOK()
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        #expect(session.answer() == "0", "\(session.stderr)")
        session.closeInput()
        #expect(session.exitStatus() == WorkerExitStatus.success, "\(session.stderr)")
        // Three scripts: a recorded with b's start refused (stale), b taken again, b recorded (a start on the
        // reservation would have been two).
        #expect(try fixture.scriptRuns() == 3)
        // The old command, if it got as far as writing its pid before it was killed, is gone.
        if let written = try? String(contentsOfFile: oldPID, encoding: .utf8) {
            let pid = try #require(pid_t(written.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(kill(pid, 0) == -1 && errno == ESRCH)
        }
        #expect(try fixture.store.states() == ["a": .done, "b": .done])
        let b = try fixture.store.attempts(of: "b")
        #expect(b.count == 1 && b.first?.number == 1)
        #expect(try fixture.store.output(of: "b", attempt: 1, .stdout) == Array("new\n".utf8))
    }

    @Test("a job that fails gives the reservation of the next one back as it is recorded")
    func failureGivesBack() throws {
        let fixture = try WorkerFixture([])
        let go = fixture.path("go")
        try push(fixture, [shell("a", Self.waitFor(go, then: "exit 3")), shell("b", "true")])
        let session = try WorkerStreamTests.Session(fixture, first: "a b\n")
        #expect(fixture.eventually { (try? holder(fixture, "b")) != nil })
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        #expect(session.answer() == "113", "\(session.stderr)")
        // Answered: b is free at once, for any worker.
        #expect(try holder(fixture, "b") == nil)
        #expect(try fixture.store.states() == ["a": .failed, "b": .notStarted])
        #expect(try fixture.store.status(of: "b").attempts == 0)
        session.closeInput()
        #expect(session.exitStatus() == WorkerExitStatus.success, "\(session.stderr)")
    }

    @Test("a stop signal while a job runs: it is recorded interrupted and the reservation is given back")
    func stopGivesBack() throws {
        let fixture = try WorkerFixture([])
        let go = fixture.path("go")
        try push(fixture, [shell("a", Self.waitFor(go, then: "true")), shell("b", "true", deps: ["a"])])
        let session = try WorkerStreamTests.Session(fixture, first: "a b\n")
        #expect(fixture.eventually { (try? holder(fixture, "b")) != nil })
        kill(session.pid, SIGTERM)
        #expect(session.exitStatus() == WorkerExitStatus.interrupted, "\(session.stderr)")
        #expect(try holder(fixture, "b") == nil && holder(fixture, "a") == nil)
        #expect(try fixture.store.states() == ["a": .interrupted, "b": .notStarted])
        #expect(try fixture.store.attempts(of: "a").count == 1 && fixture.store.attempts(of: "b").isEmpty)
    }

    @Test("a job whose lease another attempt took: it is stopped and the reservation of the next job given back")
    func lostLeaseGivesBack() throws {
        let fixture = try WorkerFixture([])
        let go = fixture.path("go")
        try push(fixture, [shell("a", Self.waitFor(go, then: "true")), shell("b", "true", deps: ["a"])])
        let session = try WorkerStreamTests.Session(fixture, options: ["--lease_ttl=0.6"], first: "a b\n")
        defer { _ = FileManager.default.createFile(atPath: go, contents: nil) }
        #expect(fixture.eventually { (try? holder(fixture, "b")) != nil })
        // As if the worker had been cut off for longer than its lease: the lease expires, another worker takes a.
        #expect(try fixture.server.connect().command("DEL", "compmake:{\(fixture.namespace)}:lease:a").integer == 1)
        let other = LeaseRequest(
            token: "other/1/x", ttl: .seconds(30), host: "nodeB", nodename: "b", workerPID: 1, workerVersion: "test")
        guard case .started = try fixture.store.acquire("a", more: false, request: other) else {
            Issue.record("the other worker should have taken the job")
            return
        }
        #expect(session.answer() == "124", "\(session.stderr)")
        #expect(try holder(fixture, "b") == nil)
        #expect(try fixture.store.state(of: "b") == .notStarted && fixture.store.status(of: "b").attempts == 0)
        session.closeInput()
        #expect(session.exitStatus() == WorkerExitStatus.success, "\(session.stderr)")
    }

    @Test("a line too long for a batch, coming while a job runs: no reservation, no busy loop, 121 after the job")
    func overlongLineWhileRunning() throws {
        let fixture = try WorkerFixture([])
        let go = fixture.path("go")
        try push(fixture, [shell("a", Self.waitFor(go, then: "true"))])
        let session = try WorkerStreamTests.Session(fixture, first: "a\n")
        defer { _ = FileManager.default.createFile(atPath: go, contents: nil) }
        #expect(fixture.eventually { (try? fixture.store.state(of: "a")) == .inProgress })
        // More than a line may hold, without its newline: the worker stops reading it once it is too long.
        session.send(String(repeating: "x", count: (1 << 20) + 8192))
        /// The worker's CPU time so far, in clock ticks (`/proc/PID/stat`: utime and stime).
        func ticks() throws -> Int {
            let stat = try String(contentsOfFile: "/proc/\(session.pid)/stat", encoding: .utf8)
            let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
            return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
        }
        let before = try ticks()
        usleep(1_000_000)
        // A second of a job's run: a worker spinning on its input would have used most of it.
        #expect(try ticks() - before < Int(sysconf(Int32(_SC_CLK_TCK))) / 4)
        #expect(FileManager.default.createFile(atPath: go, contents: nil))
        #expect(session.answer() == "0", "\(session.stderr)")
        #expect(session.exitStatus() == WorkerExitStatus.badArguments, "\(session.stderr)")
        #expect(session.stderr.contains("longer than"))
        #expect(try fixture.store.state(of: "a") == .done)
    }

    @Test("a reservation's token from redis is shown escaped in the worker's message")
    func reservedTokenEscaped() throws {
        let fixture = try WorkerFixture([shell("b", "true")])
        let token = "h9/1/\u{1B}[2J"
        #expect(
            try fixture.server.connect().command(
                "SET", "compmake:{\(fixture.namespace)}:lease:b", token, "PX", "60000"
            ).string == "OK")
        let other = try fixture.start(["b"], hostname: "nodeB").finish()
        #expect(other.status == WorkerExitStatus.leaseHeld, "\(other.stderr)")
        #expect(other.stderr.contains("reserved by another worker (lease h9/1/\\u{1B}[2J)"), "\(other.stderr)")
        #expect(!other.stderr.contains("\u{1B}"))
    }

    @Test("a worker killed while it holds a reservation: a host's release frees the job for another worker at once")
    func killedWorker() throws {
        let fixture = try WorkerFixture([])
        let go = fixture.path("go")
        try push(fixture, [shell("a", Self.waitFor(go, then: "true")), shell("b", "true")])
        let session = try WorkerStreamTests.Session(fixture, first: "a b\n")
        #expect(fixture.eventually { (try? holder(fixture, "b")) != nil })
        kill(session.pid, SIGKILL)
        _ = session.exitStatus()
        // The killed worker's job runs on (as on a host whose worker died): let it end.
        defer { _ = FileManager.default.createFile(atPath: go, contents: nil) }
        let other = try fixture.start(["b"], hostname: "nodeB").finish()
        // Until the reservation is given back or expires, another worker leaves b alone (leaseHeld, 117).
        #expect(other.status == WorkerExitStatus.leaseHeld && other.stderr.contains("reserved"), "\(other.stderr)")
        #expect(try fixture.store.releaseReservations(["a", "b"], host: "nodeA") == 1)
        let again = try fixture.start(["b"], hostname: "nodeB").finish()
        #expect(again.status == WorkerExitStatus.success, "\(again.stderr)")
        #expect(try fixture.store.state(of: "b") == .done && fixture.store.attempts(of: "b").count == 1)
    }
}
