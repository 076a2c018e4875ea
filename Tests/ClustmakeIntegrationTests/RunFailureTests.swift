import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `clustmake run` when hosts fail, when the executor is killed, and when the run is cancelled.
@Suite struct RunFailureTests {
    /// `count` independent jobs `j0…` that each sleep `seconds` (`nil`: until they are stopped, at cost 60), and
    /// `tail` depending on all of them. With `started`, each job first creates the file `started/ID`.
    static func sleepers(_ count: Int, seconds: Double?, started: String? = nil) -> String {
        var text = "jobs:\n"
        let sleep = seconds.map { "sleep \($0)" } ?? "sleep infinity"
        for index in 0..<count {
            let touch = started.map { "touch \($0)/j\(index); " } ?? ""
            text += "  - {id: j\(index), command: \"\(touch)\(sleep)\", cost: \(seconds ?? 60)}\n"
        }
        text += "  - {id: tail, command: \"true\", deps: [\((0..<count).map { "j\($0)" }.joined(separator: ", "))]}\n"
        return text
    }

    @Test(
        "a host killed in the middle: its jobs run on the other hosts, nothing runs twice, the run succeeds",
        arguments: ["tcp", "unix"])
    func killedHost(tunnel: String) throws {
        let fixture = try RunFixture()
        let graph = try fixture.graphFile(Self.sleepers(30, seconds: 1))
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(tunnel: tunnel), "--redis", fixture.redisURL,
                "--namespace", fixture.ns("kill-\(tunnel)"),
            ])
        let store = try fixture.store("kill-\(tunnel)")
        let started = try fixture.waitUntil(.seconds(30)) {
            let states = (try? store.states()) ?? [:]
            return states.keys.contains { id in
                states[id] == .inProgress && (try? store.status(of: id))?.host == "h2"
            }
        }
        try #require(started, "no job started on h2")
        try fixture.cluster.kill(host: "h2")
        // It comes back once the run has taken it out of use (it revokes the attempts of its failed lines just
        // before): a probe finds it and it is used again.
        let revoked = try fixture.waitUntil(.seconds(60)) {
            let states = (try? store.states()) ?? [:]
            return states.keys.contains { id in
                (try? store.attempts(of: id))?.contains {
                    $0.host == "h2" && $0.state == .lost && $0.reason?.contains("its host h2 failed") == true
                } == true
            }
        }
        try #require(revoked, "no attempt on h2 was revoked")
        try fixture.cluster.revive(host: "h2")
        let result = try run.wait(timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(4000))")
        #expect(result.stderr.contains("host h2 failed"))
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        let lostOnH2 = record.attempts.values.flatMap { $0 }.filter { $0.host == "h2" && $0.state != .succeeded }
        #expect(!lostOnH2.isEmpty, "the killed host's attempts are recorded lost")
        #expect(result.stdout.contains("host h2 failed"))
        #expect(result.stderr.contains("host h2 answers again"), "\(result.stderr.suffix(3000))")
    }

    @Test("a host killed while its worker holds a reservation: the reserved job runs elsewhere at once, once")
    func killedHostWithReservation() throws {
        let fixture = try RunFixture(hosts: 2)
        // Jobs planned as short (bundled, and look-ahead lines behind them) that run for a second: each slot's
        // worker reserves the next job of its line, or of the line sent ahead, while the current one runs.
        var text = "jobs:\n"
        for index in 1...10 { text += "  - {id: j\(index), command: \"sleep 1\", cost: 0.01}\n" }
        text +=
            "  - {id: tail, command: \"true\", cost: 0.01, deps: [\((1...10).map { "j\($0)" }.joined(separator: ", "))]}\n"
        let graph = try fixture.graphFile(text)
        // Leases (and so reservations) of a minute: a reservation left by the killed worker would hold its job
        // back far longer than the run takes.
        let worker = fixture.directory + "/compmake-long-lease"
        try "#!/bin/sh\nexec \(RunFixture.compmake) --lease_ttl=60 --kill_grace=2 \"$@\"\n".write(
            toFile: worker, atomically: true, encoding: .utf8)
        chmod(worker, 0o755)
        let namespace = fixture.ns("reserved")
        let run = try fixture.start([
            "run", graph, "--cluster", try fixture.cluster.writeClusterFile(processors: 1, worker: worker), "--redis",
            fixture.redisURL, "--namespace", namespace,
        ])
        let store = try fixture.store("reserved")
        let redis = try fixture.redis.connect()
        // A job not in progress whose lease key a worker on h2 holds: a reservation there.
        let reserved = try fixture.waitUntil(.seconds(60)) {
            let states = (try? store.states()) ?? [:]
            return states.contains { id, state in
                guard state != .inProgress, state != .done else { return false }
                let holder = (try? redis.command("GET", "compmake:{\(namespace)}:lease:\(id)").string) ?? nil
                return holder?.hasPrefix("h2/") == true
            }
        }
        try #require(reserved, "no worker on h2 reserved a job")
        try fixture.cluster.kill(host: "h2")
        let result = try run.wait(timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(4000))")
        // The executor gave the reservation back with the line: no worker found the job reserved (117).
        #expect(!result.stderr.contains("is running under another worker"), "\(result.stderr)")
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        let leases = try redis.command("KEYS", "compmake:{\(namespace)}:lease:*").array ?? []
        #expect(leases.isEmpty, "\(leases)")
    }

    @Test(
        "the executor killed with SIGKILL: running it again adopts the running jobs and starts nothing twice",
        arguments: ["tcp", "unix"])
    func resumeAfterSIGKILL(tunnel: String) throws {
        let fixture = try RunFixture()
        let graph = try fixture.graphFile(Self.sleepers(9, seconds: 3))
        let arguments = [
            "run", graph, "--cluster", try fixture.clusterFile(processors: 1, tunnel: tunnel), "--redis",
            fixture.redisURL, "--namespace", fixture.ns("resume-\(tunnel)"),
        ]
        let first = try fixture.start(arguments)
        let store = try fixture.store("resume-\(tunnel)")
        let midway = try fixture.waitUntil(.seconds(30)) {
            let states = (try? store.states()) ?? [:]
            return states.values.contains(.done) && states.values.contains(.inProgress)
        }
        try #require(midway, "the run never got half way")
        // Counted just before the kill: read after the executor's exit, a busy machine may have let them finish.
        let runningAtKill = try store.states().filter { $0.value == .inProgress }.count
        first.signal(SIGKILL)
        _ = try first.wait(timeout: .seconds(10))
        #expect(runningAtKill > 0)
        let second = try fixture.run(arguments, timeout: .seconds(120))
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr.suffix(3000))")
        #expect(second.stderr.contains("done already"))
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        #expect(record.attempts.values.allSatisfy { $0.count == 1 }, "no job was started twice")
    }

    @Test("clustmake cancel stops the running jobs on every host, records them interrupted, and the run exits 130")
    func cancel() throws {
        let fixture = try RunFixture()
        let graph = try fixture.graphFile(Self.sleepers(8, seconds: nil))
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(), "--redis", fixture.redisURL, "--namespace",
                fixture.ns("cancel"),
            ])
        let store = try fixture.store("cancel")
        let busy = try fixture.waitUntil(.seconds(30)) {
            ((try? store.states()) ?? [:]).values.filter { $0 == .inProgress }.count == 6
        }
        try #require(busy, "six jobs never ran at once")
        let cancel = try fixture.run(["cancel", "--namespace", fixture.ns("cancel")])
        #expect(cancel.status == 0, "\(cancel.stdout)\n\(cancel.stderr)")
        let result = try run.wait(timeout: .seconds(60))
        #expect(result.status == 130, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        #expect(result.stdout.contains("cancelled"))
        let states = try store.states()
        #expect(states.values.filter { $0 == .interrupted }.count == 6, "\(states)")
        #expect(!states.values.contains(.inProgress) && !states.values.contains(.lost), "\(states)")
        // Nothing is left running on the hosts.
        for host in fixture.cluster.hostNames {
            let gone = try fixture.waitUntil(.seconds(10)) { try fixture.processes(on: host, named: "sleep").isEmpty }
            #expect(gone, "a job is still running on \(host)")
        }
    }

    @Test("clustmake cancel while workers hold reservations: every job stopped or not started, no lease left behind")
    func cancelWithReservations() throws {
        let fixture = try RunFixture(hosts: 2)
        // Jobs planned as short that run until stopped: each slot's worker reserves the next job of its line.
        var text = "jobs:\n"
        for index in 1...10 { text += "  - {id: j\(index), command: \"sleep infinity\", cost: 0.01}\n" }
        let graph = try fixture.graphFile(text)
        let namespace = fixture.ns("cancel-reserved")
        let run = try fixture.start([
            "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", fixture.redisURL,
            "--namespace", namespace,
        ])
        let store = try fixture.store("cancel-reserved")
        let redis = try fixture.redis.connect()
        func leases() -> [String] {
            let keys = (try? redis.command("KEYS", "compmake:{\(namespace)}:lease:*").array) ?? []
            return keys.compactMap(\.string).map { String($0.split(separator: ":").last ?? "") }
        }
        // Two jobs in progress and a lease on a job that is not: a reservation.
        let reserved = try fixture.waitUntil(.seconds(60)) {
            let states = (try? store.states()) ?? [:]
            return states.values.filter { $0 == .inProgress }.count == 2
                && leases().contains { states[$0] == .notStarted }
        }
        try #require(reserved, "no worker reserved a job")
        let cancel = try fixture.run(["cancel", "--namespace", namespace])
        #expect(cancel.status == 0, "\(cancel.stdout)\n\(cancel.stderr)")
        let result = try run.wait(timeout: .seconds(60))
        #expect(result.status == 130, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        let states = try store.states()
        #expect(states.values.filter { $0 == .interrupted }.count == 2, "\(states)")
        #expect(states.values.filter { $0 == .notStarted }.count == 8, "\(states)")
        for (id, state) in states where state == .notStarted { #expect(try store.attempts(of: id).isEmpty) }
        #expect(leases().isEmpty, "\(leases())")
    }

    @Test("SIGINT (Ctrl-C) stops the run the same way")
    func interrupt() throws {
        let fixture = try RunFixture(hosts: 1)
        let started = fixture.directory + "/started"
        try FileManager.default.createDirectory(atPath: started, withIntermediateDirectories: true)
        let graph = try fixture.graphFile(Self.sleepers(3, seconds: nil, started: started))
        let run = try fixture.start(["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("sigint")])
        let store = try fixture.store("sigint")
        // A job's process runs (its file is there) under its worker, which holds it in progress.
        let busy = try fixture.waitUntil(.seconds(60)) {
            let states = (try? store.states()) ?? [:]
            return states.keys.contains { id in
                states[id] == .inProgress && FileManager.default.fileExists(atPath: started + "/" + id)
            }
        }
        try #require(busy)
        run.signal(SIGINT)
        let result = try run.wait(timeout: .seconds(60))
        #expect(result.status == 130, "\(result.stdout)\n\(result.stderr)")
        let states = try store.states()
        #expect(states.values.contains(.interrupted))
        #expect(!states.values.contains(.inProgress), "\(states)")
    }

    @Test("Ctrl-C as the first lines start (the whole process group signalled) cancels the run; no host is failed")
    func interruptAtStart() throws {
        let fixture = try RunFixture(hosts: 1)
        let jobs = (0..<1500).map { #"{"id": "n\#($0)", "command": "true"}"# }.joined(separator: ",\n")
        let graph = try fixture.graphFile(#"{"jobs": ["# + jobs + "]}\n", name: "jobs.json")
        let run = try fixture.start(
            ["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("at-start"), "--json"])
        // The run's standard output (a file) as it writes it: the signal goes as soon as a line has started, while
        // the executor starts the slot's other sessions (a signal to the group reaches one before it leaves it).
        let deadline = ContinuousClock.now + .seconds(60)
        var started = false
        while !started && ContinuousClock.now < deadline {
            let output = (try? String(contentsOfFile: "/proc/\(run.pid)/fd/1", encoding: .utf8)) ?? ""
            started = output.contains("line-started")
            if !started { usleep(500) }
        }
        try #require(started, "no line started")
        run.signal(SIGINT)
        let result = try run.wait(timeout: .seconds(60))
        #expect(result.status == 130, "\(result.stdout.suffix(2000))\n\(result.stderr.suffix(2000))")
        #expect(!result.stdout.contains("host-quarantined"), "\(result.stdout.suffix(3000))")
        #expect(!(try fixture.store("at-start").states().values.contains(.inProgress)))
    }

    @Test("a hung host (no heartbeat within the lease): its job runs elsewhere, and its late result is not recorded")
    func hungHost() throws {
        let fixture = try RunFixture()
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: slow, command: "sleep 2", cost: 10}
              - {id: after, command: "true", deps: [slow]}
            """)
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", fixture.redisURL,
                "--namespace", fixture.ns("hung"),
            ])
        let store = try fixture.store("hung")
        var hungHost = ""
        let started = try fixture.waitUntil(.seconds(30)) {
            guard let status = try? store.status(of: "slow"), status.state == .inProgress else { return false }
            hungHost = status.host ?? ""
            return true
        }
        try #require(started)
        // Freeze the worker on its host: it stops renewing its lease, as on a host that hangs.
        let workers = try fixture.processes(on: hungHost, named: "compmake")
        try #require(!workers.isEmpty)
        for pid in workers { kill(pid, SIGSTOP) }
        let result = try run.wait(timeout: .seconds(90))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        #expect(result.stderr.contains("no heartbeat"))
        // The frozen worker wakes up and tries to record its attempt: it does not count.
        for pid in workers { kill(pid, SIGCONT) }
        _ = try fixture.waitUntil(.seconds(10)) {
            try store.attempts(of: "slow").allSatisfy { $0.state != .running }
        }
        let attempts = try store.attempts(of: "slow")
        #expect(
            attempts.filter { $0.state == .succeeded && $0.superseded == nil }.count == 1, "\(attempts.map(\.fields))")
        #expect(attempts.first?.host == hungHost)
        #expect(attempts.last?.host != hungHost)
        #expect(try store.state(of: "slow") == .done)
    }
}
