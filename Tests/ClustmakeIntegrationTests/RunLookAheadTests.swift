import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Look-ahead lines (docs/run.md, "Look-ahead") on real ssh hosts: with short jobs waiting and no slot free, a slot's
/// next line goes into its streamed session while its current line runs, and its worker takes that line's first job
/// as it records the last one's. Failures in the middle of a look-ahead line: a failed job, a host killed with a line
/// queued behind its hung job, a cancel with a line queued behind the running one. Each checks in redis that every
/// job ran at most once, after its dependencies.
@Suite struct RunLookAheadTests {
    /// `count` independent jobs `s0…` of `command`, estimated at 10 ms each (short enough for look-ahead), plus
    /// `extra`.
    static func jobs(_ count: Int, command: String, extra: [[String: Any]] = []) throws -> String {
        var jobs: [[String: Any]] = (0..<count).map { ["id": "s\($0)", "command": command, "cost": 0.01] }
        jobs += extra
        let data = try JSONSerialization.data(withJSONObject: ["jobs": jobs], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The `line-started` events of a `--json` run: each line's jobs, host, slot and whether it was sent ahead.
    static func lines(_ stdout: String) -> [(jobs: [String], host: String, slot: Int, ahead: Bool)] {
        stdout.split(separator: "\n").compactMap { line in
            guard let data = line.data(using: .utf8),
                let event = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                event["event"] as? String == "line-started", let jobs = event["jobs"] as? [String],
                let host = event["host"] as? String, let slot = event["slot"] as? Int
            else { return nil }
            return (jobs, host, slot, event["ahead"] as? Bool ?? false)
        }
    }

    static func arguments(_ fixture: RunFixture, _ graph: String, _ name: String) throws -> [String] {
        [
            "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", fixture.redisURL,
            "--namespace", fixture.ns(name), "--bundle", "off", "--json",
        ]
    }

    @Test("one slot: every line after the first is sent ahead; a failed job in one is answered, its dependent blocked")
    func failureInALookAheadLine() throws {
        let fixture = try RunFixture(hosts: 1)
        let extra: [[String: Any]] = [
            ["id": "f", "command": "sleep 0.05; exit 7", "cost": 0.01, "deps": ["s0"]],
            ["id": "g", "command": "true", "cost": 0.01, "deps": ["f"]],
        ]
        let graph = try fixture.graphFile(try Self.jobs(10, command: "sleep 0.05", extra: extra), name: "jobs.json")
        let result = try fixture.run(try Self.arguments(fixture, graph, "ahead-fail"), timeout: .seconds(120))
        #expect(result.status == 1, "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: try fixture.store("ahead-fail"))
        #expect(record.states["f"] == .failed && record.states["g"] == .blocked, "\(record.states)")
        for index in 0..<10 { #expect(record.states["s\(index)"] == .done) }
        #expect(record.attempts.values.allSatisfy { $0.count <= 1 }, "a job ran twice")
        #expect(record.attempts["g", default: []].isEmpty, "the blocked job ran")
        record.expectDependencyOrder()
        // One session ran every line; each line after the first was sent while the one before ran.
        let lines = Self.lines(result.stdout)
        #expect(lines.count == 11, "\(lines)")
        #expect(lines.first?.ahead == false && lines.dropFirst().allSatisfy(\.ahead), "\(lines)")
        #expect(lines.contains { $0.jobs == ["f"] && $0.ahead })
        #expect(RunStreamTests.workers(record).count == 1, "\(RunStreamTests.workers(record))")
        // The line after f's ran in the same session: the failure's answer did not end it.
        let failed = try #require(record.attempts["f"]?.first)
        let later = record.attempts.values.flatMap { $0 }.filter {
            ($0.started?.secondsSince1970 ?? 0) > (failed.ended?.secondsSince1970 ?? .infinity)
        }
        #expect(!later.isEmpty && later.allSatisfy { $0.workerPID == failed.workerPID })
        #expect(try RunStreamTests.nothingLeft(fixture), "a worker or job is left on a host")
    }

    @Test("a reviewed plan: each slot's later lines are sent ahead, and every slot runs its jobs in the planned order")
    func reviewedPlan() throws {
        let fixture = try RunFixture(hosts: 2)
        let extra: [[String: Any]] = (0..<6).map {
            ["id": "t\($0)", "command": "sleep 0.05", "cost": 0.01, "deps": ["s\($0)"]]
        }
        let graph = try fixture.graphFile(try Self.jobs(12, command: "sleep 0.05", extra: extra), name: "jobs.json")
        let cluster = try fixture.clusterFile(processors: 1)
        let directory = fixture.directory + "/plan"
        let planned = try fixture.run([
            "plan", graph, "--cluster", cluster, "--redis", fixture.redisURL, "--namespace", fixture.ns("ahead-plan"),
            "-o", directory,
        ])
        try #require(planned.status == 0, "\(planned.stderr)")
        let result = try fixture.run(
            ["run", graph, "--cluster", cluster, "--plan", directory, "--redis", fixture.redisURL, "--json"],
            timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: try fixture.store("ahead-plan"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        // Each host's slot ran its planned jobs in planned order (its lines, in the order they started).
        let plan = try JSONValue.parse(contentsOfFile: directory + "/plan.json")
        var sequences: [String: [(order: Int64, id: String)]] = [:]
        for job in plan["jobs"]?.arrayValue ?? [] {
            let host = try #require(job["host"]?.stringValue)
            let order = try #require(job["order"]?.intValue)
            sequences[host, default: []].append((order, try #require(job["id"]?.stringValue)))
        }
        let lines = Self.lines(result.stdout)
        for (host, planned) in sequences {
            let ran = lines.filter { $0.host == host }.flatMap(\.jobs)
            #expect(ran == planned.sorted { $0.order < $1.order }.map(\.id), "\(host)")
        }
        #expect(lines.contains { $0.ahead }, "no line was sent ahead: \(lines)")
        #expect(try RunStreamTests.nothingLeft(fixture), "a worker or job is left on a host")
    }

    @Test("a host killed while its session runs a look-ahead line with another queued behind: both run elsewhere, once")
    func hostKilledWithALineQueued() throws {
        let fixture = try RunFixture(hosts: 2)
        let markers = try RunFaultTests.markers(fixture)
        // The third job that starts on h2 hangs: its line was sent ahead, and so is the one queued behind it.
        let command =
            "if [ \"$CLUSTMAKE_HOST\" = h2 ]; then mkdir \(markers)/1 2>/dev/null || mkdir \(markers)/2 2>/dev/null "
            + "|| { mkdir \(markers)/3 2>/dev/null && exec sleep infinity; }; fi; sleep 0.05"
        let graph = try fixture.graphFile(try Self.jobs(30, command: command), name: "jobs.json")
        let run = try fixture.start(try Self.arguments(fixture, graph, "ahead-kill"))
        let store = try fixture.store("ahead-kill")
        try #require(
            try fixture.waitUntil(.seconds(60)) { FileManager.default.fileExists(atPath: markers + "/3") },
            "no third job started on h2")
        let held = try #require(try RunFaultTests.jobRunning(on: "h2", fixture, store), "no job ran on h2")
        try fixture.cluster.kill(host: "h2")
        let result = try run.wait(timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(4000))")
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        RunFaultTests.expectNoAttemptTwice(record)
        // On h2 three jobs started: two succeeded, the third hung; the line queued behind it never started there.
        let onH2 = record.attempts.values.flatMap { $0 }.filter { $0.host == "h2" }
        #expect(onH2.count == 3, "\(onH2.map { "\($0.job)/\($0.state)" })")
        #expect(onH2.filter { $0.state == .succeeded }.count == 2)
        #expect(record.attempts[held, default: []].contains { $0.host != "h2" && $0.state == .succeeded })
        let lines = Self.lines(result.stdout)
        #expect(lines.filter { $0.host == "h2" && $0.ahead }.count >= 2, "\(lines.filter { $0.host == "h2" })")
        #expect(try RunStreamTests.nothingLeft(fixture), "a worker or job is left on a host")
    }

    @Test("cancel while a line is queued behind the running one: the running job is interrupted, the queued never runs")
    func cancelWithALineQueued() throws {
        let fixture = try RunFixture(hosts: 1)
        // `long` is estimated short (so a line is queued behind it) but runs until it is stopped.
        let extra: [[String: Any]] = [["id": "long", "command": "sleep 120", "cost": 0.05, "deps": ["s0"]]]
        let graph = try fixture.graphFile(try Self.jobs(8, command: "sleep 0.05", extra: extra), name: "jobs.json")
        let run = try fixture.start(try Self.arguments(fixture, graph, "ahead-cancel"))
        let store = try fixture.store("ahead-cancel")
        try #require(
            try fixture.waitUntil(.seconds(60)) { (try? store.state(of: "long")) == .inProgress }, "long never ran")
        let cancel = try fixture.run(["cancel", "--namespace", fixture.ns("ahead-cancel")])
        #expect(cancel.status == 0, "\(cancel.stdout)\n\(cancel.stderr)")
        let result = try run.wait(timeout: .seconds(60))
        #expect(result.status == 130, "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: store)
        let long = record.attempts["long", default: []]
        #expect(long.count == 1 && long.first?.state == .interrupted, "\(long)")
        // Every other job ran to its end once, or not at all: the line queued behind `long` never started.
        var notRun = 0
        for index in 0..<8 {
            let attempts = record.attempts["s\(index)", default: []]
            #expect(attempts.count <= 1 && attempts.allSatisfy { $0.state == .succeeded }, "s\(index): \(attempts)")
            if attempts.isEmpty {
                notRun += 1
                #expect(record.states["s\(index)"] == .notStarted)
            }
        }
        #expect(notRun >= 1, "every job ran: nothing was queued behind long")
        record.expectDependencyOrder()
        #expect(try RunStreamTests.nothingLeft(fixture), "a worker or job is left on a host")
    }
}
