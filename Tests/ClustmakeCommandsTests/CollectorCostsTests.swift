import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// `clustmake plan` learning job costs from earlier runs recorded in redis (`--costs-from NS`, and the plan's own
/// namespace by default).
@Suite struct CollectorCostsTests {
    /// The known run's graph as a file, with every declared cost 99, and two jobs it never ran: `bench` tagged
    /// `cpu` (build took 2 s, test 3 s: median 2.5) and `other`.
    static func graphFile(_ fixture: CollectorFixture, namespace: String) throws -> String {
        let path = fixture.path("jobs.json")
        try """
        {"namespace": "\(namespace)", "jobs": [
          {"id": "fetch", "command": "true", "cost": 99},
          {"id": "build", "command": "true", "deps": ["fetch"], "cost": 99},
          {"id": "test", "command": "true", "deps": ["build"], "cost": 99, "tags": ["cpu"]},
          {"id": "bench", "command": "true", "cost": 99, "tags": ["io-bound", "cpu"]},
          {"id": "other", "command": "true", "cost": 99}
        ]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func fixture() throws -> CollectorFixture {
        let fixture = try CollectorFixture(namespace: "known")
        try fixture.store.push(try KnownHistory.graph(), pushedBy: "test")
        try KnownHistory.record(
            with: HistoryWriter(
                store: fixture.store, redis: try fixture.server.connect(), logDirectory: "/var/log/clustmake"))
        return fixture
    }

    /// The cost of each job in DIR/plan.json.
    static func costs(_ directory: String) throws -> [String: Double] {
        let plan = try JSONValue.parse(contentsOfFile: directory + "/plan.json")
        var costs: [String: Double] = [:]
        for job in plan["jobs"]?.arrayValue ?? [] {
            if let id = job["id"]?.stringValue, let cost = job["cost"]?.doubleValue { costs[id] = cost }
        }
        return costs
    }

    static let learned: [String: Double] = ["fetch": 2, "build": 2, "test": 3, "bench": 2.5, "other": 99]

    @Test("--costs-from NS: a job's median successful runtime, else its tag's, else the declared cost")
    func explicit() throws {
        let fixture = try Self.fixture()
        let file = try Self.graphFile(fixture, namespace: "next")
        let result = try Tool.built(
            "clustmake",
            ["plan", file, "--no-push", "--costs-from", "known", "--redis", fixture.url, "-o", fixture.path("plan")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("costs from earlier runs of namespace 'known': 3 jobs from their own runs, 1"))
        #expect(try Self.costs(fixture.path("plan")) == Self.learned)
    }

    @Test("by default the plan's own namespace's history is used when its redis answers; --no-history turns it off")
    func byDefault() throws {
        let fixture = try Self.fixture()
        let file = try Self.graphFile(fixture, namespace: "known")
        let result = try Tool.built(
            "clustmake", ["plan", file, "--no-push", "--redis", fixture.url, "-o", fixture.path("plan")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr == "")
        #expect(try Self.costs(fixture.path("plan")) == Self.learned)
        let declared = try Tool.built(
            "clustmake",
            ["plan", file, "--no-push", "--redis", fixture.url, "--no-history", "-o", fixture.path("plan2")])
        #expect(declared.status == 0, "\(declared.stderr)")
        #expect(try Self.costs(fixture.path("plan2")).values.allSatisfy { $0 == 99 })
        // --costs FILE entries win over the history.
        try #"{"fetch": 7}"#.write(toFile: fixture.path("costs.json"), atomically: true, encoding: .utf8)
        let both = try Tool.built(
            "clustmake",
            [
                "plan", file, "--no-push", "--redis", fixture.url, "--costs", fixture.path("costs.json"), "-o",
                fixture.path("plan3"),
            ])
        #expect(both.status == 0, "\(both.stderr)")
        #expect(try Self.costs(fixture.path("plan3"))["fetch"] == 7)
        #expect(try Self.costs(fixture.path("plan3"))["build"] == 2)
    }

    @Test("learning reads only tags and good attempts, and learns what the whole snapshot's history would")
    func leanRead() throws {
        let fixture = try Self.fixture()
        let redis = try fixture.server.connect()
        let writer = HistoryWriter(store: fixture.store, redis: redis)
        // A success that did not count: its lease was found expired, another attempt took the job, then the first
        // worker finished.
        let revoked = try writer.take("flaky", on: "n3", ttl: .milliseconds(1))
        var tries = 0
        while try fixture.store.reapLostJobs().isEmpty && tries < 1000 {
            tries += 1
            _ = try redis.command("PING")
        }
        let second = try writer.take("flaky", on: "n1")
        func result(from start: Double, for seconds: Double) -> AttemptResult {
            AttemptResult(
                state: .succeeded, started: UTCTime(secondsSince1970: HistoryWriter.epoch + start),
                ended: UTCTime(secondsSince1970: HistoryWriter.epoch + start + seconds), wallTime: seconds)
        }
        let late = try fixture.store.finish(revoked, result(from: 20, for: 50))
        guard case .superseded = late else {
            Issue.record("expected the revoked attempt's success to be superseded, got \(late)")
            return
        }
        #expect(try fixture.store.finish(second, result(from: 30, for: 4)) == .recorded(.done))
        // A success not taken as up to date (a documented field a worker writes; here by hand, so its summary goes
        // too: docs/redis-schema.md).
        _ = try redis.command(["HSET", "compmake:{known}:attempt:test:1", "stale", "a dependency changed meanwhile"])
        _ = try redis.command(["DEL", "compmake:{known}:summary:test:1"])
        // A done job's record edited by hand: its outcome copy goes too (docs/redis-schema.md, "Outcome copies").
        _ = try redis.command(["HDEL", "compmake:{known}:outcomes", "test"])

        let samples = try fixture.store.costSamples { _ in true }
        let history = RunHistory(try fixture.store.snapshot())
        let graph = try JobGraph(
            jobs: try KnownHistory.graph().jobs + [
                Job(id: "new", command: .shell("true"), cost: 99, tags: ["cpu"]),
                Job(id: "untagged", command: .shell("true"), cost: 99),
            ])
        let speeds = ["n1": 2.0, "n2": 1.0]
        let lean = LearnedCosts(graph: graph, samples: samples, speeds: speeds)
        #expect(lean == LearnedCosts(graph: graph, history: history, speeds: speeds))
        // fetch: 2 s on n1 (speed 2); build: its second attempt, 2 s on n2; flaky: the counted 4 s on n1, not the
        // superseded 50 s; test: its only success is stale, so it takes cpu's median (build's 2) as new does.
        #expect(lean.costs == ["fetch": 4, "build": 2, "flaky": 8, "test": 2, "new": 2])
        #expect(lean.samples == 3)
        #expect(samples.jobs.map(\.id) == history.jobs.map(\.id))
        // Tags are read for the jobs with samples only (test's only success is stale).
        #expect(samples.jobs.first { $0.id == "build" }?.tags == ["cpu"])
        #expect(samples.jobs.first { $0.id == "test" }?.tags == [])

        // As plan and run read it: tags only when a job of the graph may take a tag's median.
        let needed = try fixture.store.costSamples { LearnedCosts.needsTags(graph: graph, samples: $0) }
        #expect(LearnedCosts(graph: graph, samples: needed, speeds: speeds) == lean)
        let sampledOnly = try JobGraph(
            jobs: try KnownHistory.graph().jobs.filter { ["fetch", "build"].contains($0.id) })
        var asked = 0
        let untagged = try fixture.store.costSamples { samples in
            asked += 1
            return LearnedCosts.needsTags(graph: sampledOnly, samples: samples)
        }
        #expect(asked == 1)
        #expect(untagged.jobs.allSatisfy { $0.tags.isEmpty })
        #expect(untagged.samples == samples.samples)
        #expect(
            LearnedCosts(graph: sampledOnly, samples: untagged, speeds: speeds)
                == LearnedCosts(graph: sampledOnly, history: history, speeds: speeds))
    }

    @Test("learning from records no worker wrote: bad tags count as none, a bad attempt count reads no attempt")
    func leanReadUntrusted() throws {
        let fixture = try Self.fixture()
        let redis = try fixture.server.connect()
        _ = try redis.command(["HSET", "compmake:{known}:job:build", "tags", "{not a list"])
        _ = try redis.command(["HSET", "compmake:{known}:status:fetch", "attempts", "-3"])
        _ = try redis.command(["HSET", "compmake:{known}:status:test", "attempts", "99999999999"])
        _ = try redis.command(["HSET", "compmake:{known}:attempt:flaky:1", "wall_time", "nan", "state", "succeeded"])
        // Records edited by hand: their jobs' outcome copies go too (docs/redis-schema.md, "Outcome copies").
        _ = try redis.command(["HDEL", "compmake:{known}:outcomes", "fetch", "test", "flaky"])
        let samples = try fixture.store.costSamples { _ in true }
        #expect(samples.jobs.first { $0.id == "build" }?.tags == [])
        // build#2 (2 s) alone: fetch's and test's attempts are not read, flaky's has no usable wall time.
        #expect(samples.samples.map { samples.jobs[$0.job].id } == ["build"])
        #expect(samples.samples.first?.wallTime == 2)
    }

    @Test("learning reads summaries; one not of its form or of another attempt is read by field, in its place")
    func leanReadSummaries() throws {
        // A summary's values are not trusted either.
        let fixture = try Self.fixture()
        let redis = try fixture.server.connect()
        let before = try fixture.store.costSamples { _ in true }
        let sampled = before.samples.map { "\(before.jobs[$0.job].id) \($0.host) \($0.wallTime)" }
        #expect(sampled == ["fetch n1 2.0", "build n2 2.0", "test n1 3.0"])
        // fetch#1: a summary not of the form; its hash is whole, so it still gives its sample, in fetch's place (before
        // build's, whose summary is read first).
        _ = try redis.command(["SET", "compmake:{known}:summary:fetch:1", "1|garbage"])
        // build#1 (failed): the summary of build#2 under its key, naming attempt 2; its hash says failed.
        guard case .bulk(let build2) = try redis.command(["GET", "compmake:{known}:summary:build:2"]) else {
            Issue.record("build#2 has no summary")
            return
        }
        _ = try redis.command(["SET", "compmake:{known}:summary:build:1", RedisArgument(build2)])
        // test#1: a summary of the form whose wall time is not a number, over a hash whose wall time is good: no
        // sample (the summary is read, and its values are checked).
        let test1 = "compmake:{known}:attempt:test:1"
        let wall = try redis.command("HGET", test1, "wall_time").string ?? ""
        _ = try redis.command("HSET", test1, "wall_time", "nan")
        let summary = try attemptSummary(of: test1, redis)
        _ = try redis.command("HSET", test1, "wall_time", wall)
        _ = try redis.command(["SET", "compmake:{known}:summary:test:1", RedisArgument(summary)])
        // Records edited by hand: their jobs' outcome copies go too (docs/redis-schema.md, "Outcome copies").
        _ = try redis.command(["HDEL", "compmake:{known}:outcomes", "fetch", "test"])

        let after = try fixture.store.costSamples { _ in true }
        #expect(after.samples == Array(before.samples.prefix(2)))
    }

    @Test("a namespace pushed but never run is not read whole: the declared costs, and -v or --costs-from says why")
    func pushedNeverRun() throws {
        let fixture = try CollectorFixture(namespace: "pushed")
        let file = try Self.graphFile(fixture, namespace: "pushed")
        let push = try Tool.built("clustmake", ["push", file, "--redis", fixture.url])
        #expect(push.status == 0, "\(push.stderr)")
        let quiet = try Tool.built(
            "clustmake", ["plan", file, "--no-push", "--redis", fixture.url, "-o", fixture.path("p")])
        #expect(quiet.status == 0 && quiet.stderr == "", "\(quiet.stderr)")
        #expect(try Self.costs(fixture.path("p")).values.allSatisfy { $0 == 99 })
        let verbose = try Tool.built(
            "clustmake", ["plan", file, "--no-push", "--redis", fixture.url, "-v", "-o", fixture.path("q")])
        #expect(verbose.stderr.contains("namespace 'pushed' has no attempts to learn from"), "\(verbose.stderr)")
        let explicit = try Tool.built(
            "clustmake",
            ["plan", file, "--no-push", "--costs-from", "pushed", "--redis", fixture.url, "-o", fixture.path("r")])
        #expect(explicit.status == 0, "\(explicit.stderr)")
        #expect(explicit.stderr.contains("namespace 'pushed' has no attempts to learn from"), "\(explicit.stderr)")
        #expect(try Self.costs(fixture.path("r")).values.allSatisfy { $0 == 99 })
    }

    @Test("push -v says how long reading the graph, reaching redis and the push took; --dry-run compares only")
    func pushSteps() throws {
        let fixture = try CollectorFixture(namespace: "steps")
        let file = try Self.graphFile(fixture, namespace: "steps")
        let dry = try Tool.built("clustmake", ["push", file, "--redis", fixture.url, "--dry-run", "-v"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stderr.contains("[push] compared with the namespace in "), "\(dry.stderr)")
        let push = try Tool.built("clustmake", ["push", file, "--redis", fixture.url, "-v"])
        #expect(push.status == 0, "\(push.stderr)")
        var rest = Substring(push.stderr)
        for step in ["read the job graph in", "reached redis in", "pushed the graph in"] {
            let found = try #require(rest.range(of: "[push] " + step), "\(step): \(push.stderr)")
            rest = rest[found.upperBound...]
        }
        #expect(push.stderr.contains("push.created=true"), "\(push.stderr)")
        let quiet = try Tool.built("clustmake", ["push", file, "--redis", fixture.url])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        #expect(quiet.stdout.contains("already has this graph") && quiet.stdout.contains("nothing to push"))
        // As a clustmake before definition copies left it: the same graph pushed again gets its copies.
        let redis = try fixture.server.connect()
        _ = try redis.command("DEL", "compmake:{steps}:definitions")
        _ = try redis.command("HDEL", "compmake:{steps}:meta", "definitions")
        let copies = try Tool.built("clustmake", ["push", file, "--redis", fixture.url])
        #expect(copies.status == 0, "\(copies.stderr)")
        #expect(
            copies.stdout.contains("already has this graph")
                && copies.stdout.contains("wrote the copies of its definitions that stats and report read"),
            "\(copies.stdout)")
        #expect(try redis.command("HLEN", "compmake:{steps}:definitions").integer.map { $0 > 0 } == true)
    }

    @Test("without a reachable redis the default plans at once with the declared costs, saying why with -v")
    func unreachable() throws {
        let fixture = try CollectorFixture(namespace: "known")
        let file = try Self.graphFile(fixture, namespace: "known")
        let start = Date()
        let result = try Tool.built(
            "clustmake",
            [
                "plan", file, "--no-push", "--redis", "redis://10.255.255.1:6379/0", "-v", "-o", fixture.path("p"),
            ])
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("planning with the declared costs"))
        #expect(try Self.costs(fixture.path("p")).values.allSatisfy { $0 == 99 })
        let refused = try Tool.built(
            "clustmake", ["plan", file, "--no-push", "--redis", "redis://127.0.0.1:1/0", "-o", fixture.path("q")])
        #expect(refused.status == 0)
        #expect(refused.stderr == "")
        // Asked for explicitly, a missing history is an error.
        let explicit = try Tool.built(
            "clustmake",
            [
                "plan", file, "--no-push", "--costs-from", "known", "--redis", "redis://127.0.0.1:1/0", "-o",
                fixture.path("r"),
            ])
        #expect(explicit.status == 1)
        let unknown = try Tool.built(
            "clustmake",
            ["plan", file, "--no-push", "--costs-from", "nothing", "--redis", fixture.url, "-o", fixture.path("s")])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("namespace 'nothing' does not exist"))
        #expect(unknown.stderr.hasPrefix("clustmake: error: --costs-from: "), "\(unknown.stderr)")
        #expect(!unknown.stderr.contains("--namespace"), "\(unknown.stderr)")
    }
}
