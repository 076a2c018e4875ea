import ClustmakeJSON
import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// Reviewed plans: `clustmake run --plan DIR`, and the plan's own scripts, which record the same things.
@Suite struct RunPlanTests {
    static let graph = """
        jobs:
          - {id: a, command: "sleep 0.2", cost: 2}
          - {id: b, command: "sleep 0.1", cost: 1}
          - {id: c, command: "true", deps: [a], cost: 1}
          - {id: d, command: "true", deps: [a, b], cost: 3}
          - {id: e, command: "true", deps: [c, d], cost: 1}
          - {id: f, command: "sleep 0.1", cost: 1}
        """

    @Test("run --plan DIR runs every job on its planned host, and refuses a plan of another graph")
    func runReviewedPlan() throws {
        let fixture = try RunFixture()
        let jobs = try fixture.graphFile(Self.graph)
        let cluster = try fixture.clusterFile(processors: 1)
        let directory = fixture.directory + "/plan"
        let planned = try fixture.run(
            [
                "plan", jobs, "--cluster", cluster, "--redis", fixture.redisURL, "--namespace", fixture.ns("reviewed"),
                "-o",
                directory,
            ])
        try #require(planned.status == 0, "\(planned.stderr)")
        let result = try fixture.run([
            "run", jobs, "--cluster", cluster, "--plan", directory, "--redis", fixture.redisURL,
        ])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let record = try RunRecord(store: try fixture.store("reviewed"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        let plan = try JSONValue.parse(contentsOfFile: directory + "/plan.json")
        for job in plan["jobs"]?.arrayValue ?? [] {
            let id = try #require(job["id"]?.stringValue)
            let ran = record.attempts[id, default: []].first { $0.state == .succeeded }?.host
            #expect(ran == job["host"]?.stringValue, "\(id)")
        }

        let changed = try fixture.graphFile(Self.graph.replacingOccurrences(of: "sleep 0.1", with: "sleep 0.3"))
        let refused = try fixture.run(
            ["run", changed, "--cluster", cluster, "--plan", directory, "--redis", fixture.redisURL])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("the job graph changed since the plan was written"))
    }

    @Test("run --plan DIR with a host that fails its check runs that host's jobs on the other slots and exits 0")
    func reviewedPlanWithHostDown() throws {
        let fixture = try RunFixture()
        let jobs = try fixture.graphFile(Self.graph)
        let cluster = try fixture.clusterFile(processors: 1)
        let directory = fixture.directory + "/plan"
        let planned = try fixture.run([
            "plan", jobs, "--cluster", cluster, "--redis", fixture.redisURL, "--namespace", fixture.ns("down"), "-o",
            directory,
        ])
        try #require(planned.status == 0, "\(planned.stderr)")
        let plan = try JSONValue.parse(contentsOfFile: directory + "/plan.json")
        let placed = (plan["jobs"]?.arrayValue ?? []).compactMap { $0["host"]?.stringValue }
        let down = try #require(placed.first)
        let moved = placed.filter { $0 == down }.count
        try fixture.cluster.kill(host: down)
        defer { try? fixture.cluster.revive(host: down) }
        let result = try fixture.run([
            "run", jobs, "--cluster", cluster, "--plan", directory, "--redis", fixture.redisURL,
        ])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("host \(down) left out of the run: ssh:"), "\(result.stderr)")
        #expect(
            result.stderr.contains(
                "the reviewed plan's \(moved) job\(moved == 1 ? "" : "s") on \(down) run on the other hosts' slots"),
            "\(result.stderr)")
        let record = try RunRecord(store: try fixture.store("down"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        #expect(!record.hostsUsed.contains(down))
    }

    @Test(
        "the host scripts of a plan (which pushed the graph), started in reverse order, record every job once in order")
    func hostScriptsInReverseOrder() throws {
        let fixture = try RunFixture()
        let jobs = try fixture.graphFile(Self.graph)
        let cluster = try fixture.clusterFile(processors: 1)
        let directory = fixture.directory + "/plan"
        let planned = try fixture.run(
            [
                "plan", jobs, "--cluster", cluster, "--namespace", fixture.ns("scripts"), "-o", directory,
            ] + fixture.redisWithPasswordFile())
        try #require(planned.status == 0, "\(planned.stderr)")
        var scripts: [SSHTestCluster.RunningCommand] = []
        for host in fixture.cluster.hostNames.reversed() {
            let script = try fixture.cluster.start(["sh", directory + "/hosts/\(host).sh"])
            scripts.append(script)
            // It has begun on its host (a worker runs there) or already ended before the next one starts.
            let begun = try fixture.waitUntil(.seconds(60)) {
                try script.hasExited || !fixture.processes(on: host, named: "compmake").isEmpty
            }
            #expect(begun, "the script of \(host) never started a worker")
        }
        for script in scripts {
            let result = try script.wait(timeout: .seconds(60))
            #expect(result.status == 0, "\(result.stderr)")
        }
        let record = try RunRecord(store: try fixture.store("scripts"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
    }
}
