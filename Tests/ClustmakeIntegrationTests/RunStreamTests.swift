import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Streamed sessions (the default of `clustmake run`, docs/run.md "Streamed sessions") on real ssh hosts, with
/// failures in the middle of a session: a failed job, a host killed, a cancel. Each checks in redis that every job
/// ran exactly once, after its dependencies, and that the sessions served several lines (one worker per slot).
@Suite struct RunStreamTests {
    /// A graph in JSON: `count` jobs `s0…` of `command`, each after the one `width` before it, plus `extra`.
    static func jobs(_ count: Int, width: Int, command: String, extra: [[String: Any]] = []) throws -> String {
        var jobs: [[String: Any]] = (0..<count).map { index in
            var job: [String: Any] = ["id": "s\(index)", "command": command, "cost": 0.05]
            if index >= width { job["deps"] = ["s\(index - width)"] }
            return job
        }
        jobs += extra
        let data = try JSONSerialization.data(withJSONObject: ["jobs": jobs], options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The workers (host and pid) that ran attempts, with how many each ran.
    static func workers(_ record: RunRecord) -> [String: Int] {
        var counts: [String: Int] = [:]
        for attempt in record.attempts.values.flatMap({ $0 }) {
            counts["\(attempt.host)/\(attempt.workerPID ?? -1)", default: 0] += 1
        }
        return counts
    }

    /// Waits until no worker or job process is left on the fixture's hosts (up to 30 s).
    static func nothingLeft(_ fixture: RunFixture) throws -> Bool {
        try fixture.waitUntil(.seconds(30)) {
            try fixture.cluster.hostNames.allSatisfy { host in
                try fixture.processes(on: host, named: "compmake").isEmpty
                    && fixture.processes(on: host, named: "sleep").isEmpty
            }
        }
    }

    @Test("one session per slot serves its lines; a failed job is answered, the session goes on, its dependent blocked")
    func failureInTheMiddle() throws {
        let fixture = try RunFixture()
        let extra: [[String: Any]] = [
            ["id": "f", "command": "exit 7", "cost": 0.05, "deps": ["s4"]],
            ["id": "g", "command": "true", "cost": 0.05, "deps": ["f"]],
        ]
        let graph = try fixture.graphFile(
            try Self.jobs(30, width: 3, command: "sleep 0.05", extra: extra), name: "jobs.json")
        let result = try fixture.run(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", fixture.redisURL,
                "--namespace", fixture.ns("stream-fail"), "--bundle", "off",
            ], timeout: .seconds(120))
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: try fixture.store("stream-fail"))
        #expect(record.states["f"] == .failed && record.states["g"] == .blocked, "\(record.states)")
        for index in 0..<30 { #expect(record.states["s\(index)"] == .done) }
        #expect(record.attempts.values.allSatisfy { $0.count <= 1 }, "a job ran twice")
        #expect(record.attempts["g", default: []].isEmpty, "the blocked job ran")
        record.expectDependencyOrder()
        // Three slots, three workers: every line went into its slot's one session, the failure did not end it.
        let workers = Self.workers(record)
        #expect(workers.count == 3, "\(workers)")
        let failed = try #require(record.attempts["f"]?.first)
        let later = record.attempts.values.flatMap { $0 }.filter { attempt in
            attempt.host == failed.host && attempt.workerPID == failed.workerPID
                && (attempt.started?.secondsSince1970 ?? 0) > (failed.ended?.secondsSince1970 ?? .infinity)
        }
        #expect(!later.isEmpty, "the session that answered the failure ran nothing after it")
        #expect(try Self.nothingLeft(fixture), "a worker or job is left on a host")
    }

    @Test("a host killed while its session runs its third line: that line's job runs elsewhere once, the rest goes on")
    func hostKilledInTheMiddle() throws {
        let fixture = try RunFixture()
        let markers = try RunFaultTests.markers(fixture)
        // The third job that starts on h2 hangs: by then h2's session has served two lines.
        let command =
            "if [ \"$CLUSTMAKE_HOST\" = h2 ]; then mkdir \(markers)/1 2>/dev/null || mkdir \(markers)/2 2>/dev/null "
            + "|| { mkdir \(markers)/3 2>/dev/null && exec sleep infinity; }; fi; sleep 0.1"
        let graph = try fixture.graphFile(try Self.jobs(36, width: 3, command: command), name: "jobs.json")
        let (run, store) = try RunFaultTests.startRun(fixture, graph: graph, name: "stream-kill", processors: 1)
        try #require(
            try fixture.waitUntil(.seconds(60)) { FileManager.default.fileExists(atPath: markers + "/3") },
            "no third job started on h2")
        let held = try #require(try RunFaultTests.jobRunning(on: "h2", fixture, store), "no job ran on h2")
        let attempt = try #require(try store.attempts(of: held).first)
        try fixture.cluster.kill(host: "h2")
        let record = try RunFaultTests.expectCompletedOnce(run, store)
        // The hung job's attempt on h2 was its session's third line: the same worker ran two jobs before it.
        let before = record.attempts.values.flatMap { $0 }.filter {
            $0.host == "h2" && $0.workerPID == attempt.workerPID && $0.state == .succeeded
        }
        #expect(before.count == 2, "\(before.map(\.number))")
        #expect(record.attempts[held, default: []].contains { $0.host != "h2" && $0.state == .succeeded })
        // h1's and h3's sessions went on: one worker each ran all their jobs.
        let workers = Self.workers(record).filter { !$0.key.hasPrefix("h2/") }
        #expect(workers.count == 2, "\(workers)")
        #expect(try Self.nothingLeft(fixture), "a worker or job is left on a host")
    }

    @Test("cancel while sessions run their later lines: the running jobs are interrupted once, nothing is left")
    func cancelInTheMiddle() throws {
        let fixture = try RunFixture()
        let long: [[String: Any]] = (0..<6).map { index in
            ["id": "long\(index)", "command": "sleep 120", "cost": 120, "deps": ["s\(18 + index)"]]
        }
        let graph = try fixture.graphFile(
            try Self.jobs(24, width: 6, command: "sleep 0.05", extra: long), name: "jobs.json")
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(), "--redis", fixture.redisURL, "--namespace",
                fixture.ns("stream-cancel"), "--bundle", "off",
            ])
        let store = try fixture.store("stream-cancel")
        let busy = try fixture.waitUntil(.seconds(60)) {
            let states = (try? store.states()) ?? [:]
            return (0..<6).allSatisfy { states["long\($0)"] == .inProgress }
        }
        try #require(busy, "the six long jobs never ran at once")
        let cancel = try fixture.run(["cancel", "--namespace", fixture.ns("stream-cancel")])
        #expect(cancel.status == 0, "\(cancel.stdout)\n\(cancel.stderr)")
        let result = try run.wait(timeout: .seconds(60))
        #expect(result.status == 130, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: store)
        for index in 0..<6 {
            let attempts = record.attempts["long\(index)", default: []]
            #expect(attempts.count == 1 && attempts.first?.state == .interrupted, "long\(index): \(attempts)")
        }
        for index in 0..<24 {
            #expect(record.states["s\(index)"] == .done && record.attempts["s\(index)"]?.count == 1)
        }
        record.expectDependencyOrder()
        // The long jobs ran in sessions that had run earlier lines: six slots, six workers in all.
        #expect(Self.workers(record).count == 6, "\(Self.workers(record))")
        #expect(try Self.nothingLeft(fixture), "a worker or job is left on a host")
    }
}
