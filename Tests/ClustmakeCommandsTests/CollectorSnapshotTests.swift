import ClustmakeJSON
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Synchronization
import Testing

@testable import ClustmakeCommands

/// Every collector command's output on a known run recorded with fixed times, compared with
/// `Snapshots/collector/` (re-record with `CLUSTMAKE_RECORD_SNAPSHOTS=1`).
@Suite struct CollectorSnapshotTests {
    static func fixture() throws -> CollectorFixture {
        let fixture = try CollectorFixture(namespace: "known")
        try fixture.store.push(try KnownHistory.graph(), pushedBy: "test")
        try KnownHistory.record(
            with: HistoryWriter(
                store: fixture.store, redis: try fixture.server.connect(), logDirectory: "/var/log/clustmake"))
        return fixture
    }

    /// A plan of the known run: n1 with 2 slots, n2 with 1.
    static let plan = """
        {"format":"clustmake-plan/1","namespace":"known","graph_hash":"g","cluster_hash":"c","redis":"localhost:6379",
        "more":false,"wait":86400,"hosts":[
        {"name":"n1","address":"n1","username":null,"slots":2,"speed":1.0,"local":false,"worker":"compmake","nice":10,
         "tunnel_port_base":13000,"script":"hosts/n1.sh"},
        {"name":"n2","address":"n2","username":null,"slots":1,"speed":1.0,"local":false,"worker":"compmake","nice":10,
         "tunnel_port_base":13000,"script":"hosts/n2.sh"}],
        "jobs":[
        {"id":"fetch","host":"n1","slot":0,"order":0,"cost":2.0,"est_start":0.0,"est_end":2.0,"deps":[]},
        {"id":"build","host":"n1","slot":0,"order":1,"cost":2.0,"est_start":2.0,"est_end":4.0,"deps":["fetch"]},
        {"id":"test","host":"n1","slot":0,"order":2,"cost":3.0,"est_start":4.0,"est_end":7.0,"deps":["build"]},
        {"id":"slow","host":"n2","slot":0,"order":0,"cost":4.0,"est_start":0.0,"est_end":4.0,"deps":[]},
        {"id":"flaky","host":"n1","slot":1,"order":0,"cost":1.0,"est_start":0.0,"est_end":1.0,"deps":[]},
        {"id":"lostjob","host":"n1","slot":1,"order":1,"cost":2.0,"est_start":1.0,"est_end":3.0,"deps":[]},
        {"id":"report","host":"n2","slot":0,"order":1,"cost":1.0,"est_start":4.0,"est_end":5.0,"deps":["slow"]},
        {"id":"never","host":"n2","slot":0,"order":2,"cost":1.0,"est_start":5.0,"est_end":6.0,"deps":["report"]}],
        "makespan":7.0,"lower_bound":7.0,"critical_path":["fetch","build","test"]}
        """

    func check(
        _ fixture: CollectorFixture, _ command: String, _ arguments: [String] = [], named name: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let result = try fixture.clustmake(command, arguments)
        #expect(result.status == 0, "\(command) \(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr == "", sourceLocation: sourceLocation)
        CollectorSnapshot.check(CollectorSnapshot.masked(result.stdout), named: name, sourceLocation: sourceLocation)
        if arguments.contains("--json") || arguments.contains("json") {
            #expect(throws: Never.self, sourceLocation: sourceLocation) { try JSONValue.parse(result.stdout) }
        }
    }

    @Test("status, as text and JSON")
    func status() throws {
        let fixture = try Self.fixture()
        try check(fixture, "status", named: "status.txt")
        try check(fixture, "status", ["--json"], named: "status.json")
    }

    @Test("stats, as text and JSON, without and with the plan")
    func stats() throws {
        let fixture = try Self.fixture()
        let planDirectory = fixture.path("plan")
        try FileManager.default.createDirectory(atPath: planDirectory, withIntermediateDirectories: true)
        try Self.plan.write(toFile: planDirectory + "/plan.json", atomically: true, encoding: .utf8)
        try check(fixture, "stats", named: "stats.txt")
        try check(fixture, "stats", ["--json"], named: "stats.json")
        try check(fixture, "stats", ["--plan", planDirectory], named: "stats-plan.txt")
        try check(fixture, "stats", ["--plan", planDirectory, "--json"], named: "stats-plan.json")
    }

    @Test("results in every format")
    func results() throws {
        let fixture = try Self.fixture()
        try check(fixture, "results", named: "results.tsv")
        try check(fixture, "results", ["--format", "joblog"], named: "results.joblog")
        try check(fixture, "results", ["--format", "trace"], named: "results.trace")
        try check(fixture, "results", ["--format", "trace", "--raw"], named: "results-raw.trace")
        try check(fixture, "results", ["--format", "json"], named: "results.json")
    }

    @Test("logs of the latest attempt, of an earlier one, of one stream, and as JSON")
    func logs() throws {
        let fixture = try Self.fixture()
        try check(fixture, "logs", ["build"], named: "logs-build.txt")
        try check(fixture, "logs", ["build", "--attempt", "1"], named: "logs-build-1.txt")
        let stderr = try fixture.clustmake("logs", ["build", "--attempt", "1", "--stderr"])
        #expect(stderr.stdout == "main.c:1: error: missing header\nmake: *** [main.o] Error 1\n")
        try check(fixture, "logs", ["slow", "--json"], named: "logs-slow.json")
    }

    @Test("status --watch refreshes; without a terminal the refreshes are separated by a blank line")
    func watch() throws {
        let fixture = try Self.fixture()
        let result = try fixture.clustmake("status", ["--watch", "--count", "2", "--interval", "0.1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "clustmake status: namespace known").count == 3)
        #expect(!result.stdout.contains("\u{1B}["))
        let json = try fixture.clustmake("status", ["--watch", "--count", "2", "--interval", "0.1", "--json"])
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines { #expect(throws: Never.self) { try JSONValue.parse(String(line)) } }
    }

    @Test("status --watch spaces its refreshes while the run's events keep coming", .timeLimit(.minutes(10)))
    func watchSpacing() throws {
        let fixture = try Self.fixture()
        // A run's events, one every few milliseconds, for as long as the watch lasts.
        let endpoint = fixture.server.endpoint
        let key = "compmake:{\(fixture.namespace)}:events"
        let stop = Mutex(false)
        let writer = try DedicatedThread {
            guard let redis = try? RedisConnection(endpoint: endpoint) else { return }
            while !stop.withLock({ $0 }) {
                _ = try? redis.command("XADD", key, "*", "event", "jobs-done")
                blockingSleep(.milliseconds(5))
            }
        }
        let started = ContinuousClock.now
        let watched = Result {
            try fixture.clustmake("status", ["--watch", "--count", "3", "--interval", "60", "--json"])
        }
        let took = ContinuousClock.now - started
        stop.withLock { $0 = true }
        writer.join()
        let result = try watched.get()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 3)
        // Two gaps of a quarter of a second at least; back to back, three refreshes of this namespace take a few
        // milliseconds.
        #expect(took >= .milliseconds(500), "\(took)")
        // The events woke the watch: waiting out the interval twice would take two minutes.
        #expect(took < .seconds(60), "\(took)")
        #expect(try fixture.server.connect().command("XLEN", key).integer ?? 0 > 20)
        #expect(StatusCommand.refreshGap(took: .milliseconds(10)) == .milliseconds(250))
        #expect(StatusCommand.refreshGap(took: .seconds(3)) == .seconds(12))
    }

    @Test("bad input exits 2 with one message: unknown namespace, job or attempt, a plan of another run")
    func badInput() throws {
        let fixture = try Self.fixture()
        let unknown = try Tool.built("clustmake", ["stats", "--namespace", "nope", "--redis", fixture.url])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("namespace 'nope' does not exist"))
        let job = try fixture.clustmake("logs", ["nojob"])
        #expect(job.status == 2)
        #expect(job.stderr.contains("no job 'nojob'"))
        let attempt = try fixture.clustmake("logs", ["build", "--attempt", "3"])
        #expect(attempt.status == 2)
        #expect(attempt.stderr.contains("has 2 attempts, not 3"))
        let never = try fixture.clustmake("logs", ["never"])
        #expect(never.status == 1)
        #expect(never.stderr.contains("no attempts yet"))
        try FileManager.default.createDirectory(atPath: fixture.path("other"), withIntermediateDirectories: true)
        try Self.plan.replacingOccurrences(of: "\"namespace\":\"known\"", with: "\"namespace\":\"other\"")
            .write(toFile: fixture.path("other/plan.json"), atomically: true, encoding: .utf8)
        let plan = try fixture.clustmake("stats", ["--plan", fixture.path("other")])
        #expect(plan.status == 2)
        #expect(plan.stderr.contains("the plan is for namespace 'other'"))
        let missing = try fixture.clustmake("report", ["--plan", fixture.path("missing")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read the plan: cannot open the file"))
        try "{\"format\":\"clustmake-plan/1\",\"jobs\":[{\"id\":".write(
            toFile: fixture.path("other/plan.json"), atomically: true, encoding: .utf8)
        let cut = try fixture.clustmake("stats", ["--plan", fixture.path("other")])
        #expect(cut.status == 2)
        #expect(cut.stderr.contains("other/plan.json"))
        #expect(cut.stderr.contains("the plan is not valid JSON"))
        let format = try fixture.clustmake("results", ["--format", "csv"])
        #expect(format.status == 2)
    }

    @Test("without --redis the commands read this directory's embedded redis, the one clustmake run starts")
    func embeddedRedis() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let start = try Tool.built("clustmake", ["redis", "start"], in: directory)
        #expect(start.status == 0, "\(start.stderr)")
        defer { _ = try? Tool.built("clustmake", ["redis", "stop"], in: directory) }
        let state = directory.appendingPathComponent(".clustmake/redis").path
        let password = try String(contentsOfFile: state + "/password", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let endpoint = try RedisEndpoint(parsing: "unix://" + state + "/redis.sock").withPassword(password)
        let store = try JobStore(endpoint: endpoint, namespace: "known")
        try store.push(try KnownHistory.graph(), pushedBy: "test")
        let status = try Tool.built("clustmake", ["status", "--namespace", "known"], in: directory)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("jobs 8:  not-started 8"))
    }

    @Test("a redis that does not answer is a failure (exit 1) naming the address")
    func unreachable() throws {
        let result = try Tool.built("clustmake", ["status", "--namespace", "x", "--redis", "redis://127.0.0.1:1/0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("127.0.0.1:1"))
    }
}
