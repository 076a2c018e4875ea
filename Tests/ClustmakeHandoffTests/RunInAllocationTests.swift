import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Glibc
import Testing

/// `clustmake run` inside a SLURM allocation (docs/run.md, "Inside a SLURM allocation"): `salloc` on a real SLURM of
/// two nodes (both on this machine), the jobs run on the nodes through `srun`, everything recorded in a real redis
/// with a password.
@Suite struct RunInAllocationTests {
    /// A SLURM of two nodes, a redis with a password, and a cluster file whose `slurm:` section says how the
    /// nodes reach it.
    final class Fixture {
        let slurm: SlurmTestCluster
        let redis: RedisServer
        /// The cluster file: redis as this machine reaches it, the nodes' worker and how they reach redis.
        var clusterFile: String { slurm.directory + "/slurm.yaml" }

        init() throws {
            slurm = try SlurmTestCluster(nodes: 2, options: SlurmTestCluster.Options(cpusPerNode: 2))
            redis = try RedisServer(RedisServer.Options(password: "s3cret-\(getpid())"))
            let passwordFile = slurm.directory + "/redis-password"
            try "s3cret-\(getpid())\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
            chmod(passwordFile, 0o600)
            let url = "redis://127.0.0.1:\(redis.port)/0"
            try """
            redis: {url: "\(url)", password_file: "\(passwordFile)"}
            slurm:
              nodes: 2
              processors: 2
              worker: "\(BuildProducts.compmake)"
              redis: {from_nodes: "\(url)"}
            """.write(toFile: clusterFile, atomically: true, encoding: .utf8)
        }

        /// A namespace unique to this test process.
        /// Unique to this fixture (the process and its redis's port), as RunFixture's: runs of a namespace exclude
        /// each other on this machine whatever their redis.
        func ns(_ base: String) -> String { "\(base)-\(getpid())-\(redis.port)" }

        func store(_ base: String) throws -> JobStore {
            try JobStore(connection: try redis.connect(), namespace: ns(base))
        }

        func graphFile(_ text: String, name: String) throws -> String {
            let path = slurm.directory + "/" + name
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// `salloc --nodes=2 --ntasks-per-node=2 clustmake run GRAPH --cluster slurm.yaml --namespace NS ARGS`.
        func startRun(_ graph: String, namespace base: String, _ arguments: [String] = [])
            throws -> SlurmTestCluster.RunningCommand
        {
            try slurm.start(
                ["salloc", "--nodes=2", "--ntasks-per-node=2", BuildProducts.clustmake, "run", graph]
                    + ["--cluster", clusterFile, "--namespace", ns(base)] + arguments)
        }

        /// Checks in redis that every job of the namespace is done by exactly one attempt, started after its
        /// dependencies were done, and that the jobs ran on both nodes.
        func expectEveryJobDoneOnceOnBothNodes(
            _ store: JobStore, sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let states = try store.states()
            var hosts = Set<String>()
            for job in try store.graph().jobs {
                #expect(
                    states[job.id] == .done, "\(job.id) is \(String(describing: states[job.id]))",
                    sourceLocation: sourceLocation)
                let attempts = try store.attempts(of: job.id)
                #expect(
                    attempts.filter { $0.state == .succeeded }.count == 1, "\(job.id): \(attempts.map(\.state))",
                    sourceLocation: sourceLocation)
                for attempt in attempts { hosts.insert(attempt.host) }
                let start = try #require(attempts.last?.fields["start_seq"].flatMap(Int.init))
                for dependency in job.deps {
                    let done = try store.status(of: dependency).fields["done_seq"].flatMap(Int.init)
                    #expect(
                        done.map { $0 < start } == true, "\(job.id) started before \(dependency) was done",
                        sourceLocation: sourceLocation)
                }
            }
            #expect(hosts == Set(slurm.nodeNames), "jobs ran on \(hosts.sorted())", sourceLocation: sourceLocation)
        }

        /// The steps of the cluster's jobs that `squeue -s` lists, but the allocations' own (`extern`,
        /// `interactive`, `batch`).
        func steps() throws -> [String] {
            let result = try slurm.run(["squeue", "--steps", "--noheader", "--format=%i %j"])
            try #require(result.succeeded, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init).filter { line in
                !["extern", "interactive", "batch"].contains { line.contains(".\($0) ") }
            }
        }
    }

    /// A graph with dependencies: `count` one-second sleeps, each with a quick job after it, and `tail` after all.
    static func graph(sleepers count: Int, seconds: Double) -> String {
        var text = "jobs:\n"
        for index in 0..<count {
            text += "  - {id: s\(index), command: \"sleep \(seconds)\", cost: \(seconds)}\n"
            text += "  - {id: q\(index), command: \"true\", deps: [s\(index)]}\n"
        }
        text += "  - {id: tail, command: \"true\", deps: [\((0..<count).map { "q\($0)" }.joined(separator: ", "))]}\n"
        return text
    }

    @Test("inside salloc, every job runs once on the allocation's nodes through srun, after its dependencies")
    func runsOnTheNodes() async throws {
        let fixture = try Fixture()
        let graph = try fixture.graphFile(Self.graph(sleepers: 6, seconds: 1), name: "jobs.yaml")
        let result = try fixture.startRun(graph, namespace: "alloc", ["--bundle", "off"]).wait(timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(4000))\n\(fixture.slurm.logTail())")
        #expect(result.stderr.contains("running 13 jobs on 2 hosts"), "\(result.stderr.prefix(2000))")
        let store = try fixture.store("alloc")
        let graphRead = try store.graph()
        try fixture.expectEveryJobDoneOnceOnBothNodes(store)
        // 13 lines, one streamed session (one srun step and worker) per slot: at most 4 workers ran them.
        var workers = Set<String>()
        for job in graphRead.jobs {
            for attempt in try store.attempts(of: job.id) {
                workers.insert("\(attempt.host)/\(attempt.workerPID ?? -1)")
            }
        }
        #expect(workers.count <= 4, "\(workers.sorted())")
        let left = try fixture.steps()
        #expect(left.isEmpty, "steps left: \(left)")
        // Run again in a new allocation: everything is done already, nothing runs a second time.
        let again = try fixture.startRun(graph, namespace: "alloc").wait(timeout: .seconds(180))
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr.suffix(4000))")
        #expect(again.stderr.contains("13 done already"), "\(again.stderr.prefix(2000))")
        for job in graphRead.jobs { #expect(try store.attempts(of: job.id).count == 1, "\(job.id)") }
    }

    @Test("inside salloc, lines of short jobs are sent ahead into the slots' srun sessions; every job runs once")
    func lookAheadThroughSrun() async throws {
        let fixture = try Fixture()
        var text = "jobs:\n"
        for index in 0..<16 {
            text += "  - {id: s\(index), command: \"sleep 0.05\", cost: 0.01}\n"
            text += "  - {id: q\(index), command: \"true\", deps: [s\(index)], cost: 0.01}\n"
        }
        let graph = try fixture.graphFile(text, name: "short.yaml")
        let result = try fixture.startRun(graph, namespace: "ahead", ["--bundle", "off", "--json"])
            .wait(timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(4000))")
        #expect(result.stdout.contains(#""ahead":true"#), "no line was sent ahead: \(result.stdout.suffix(3000))")
        let store = try fixture.store("ahead")
        try fixture.expectEveryJobDoneOnceOnBothNodes(store)
        for index in 0..<16 {
            let before = try #require(try store.attempts(of: "s\(index)").first?.ended)
            let after = try #require(try store.attempts(of: "q\(index)").first?.started)
            #expect(after.secondsSince1970 >= before.secondsSince1970, "q\(index) started before s\(index) ended")
        }
        let left = try fixture.steps()
        #expect(left.isEmpty, "steps left: \(left)")
    }

    @Test("from an sbatch script, the run uses the batch job's nodes the same way")
    func insideSbatch() async throws {
        let fixture = try Fixture()
        let graph = try fixture.graphFile(Self.graph(sleepers: 6, seconds: 1), name: "batch.yaml")
        let output = fixture.slurm.directory + "/batch.out"
        let line = [
            BuildProducts.clustmake, "run", graph, "--cluster", fixture.clusterFile, "--namespace",
            fixture.ns("batch"), "--bundle", "off",
        ].map { "'\($0)'" }.joined(separator: " ")
        let id = try fixture.slurm.submit(
            ["--nodes=2", "--ntasks-per-node=2", "--output=\(output)", "--wrap", line + "; echo exit $?"])
        try await fixture.slurm.waitUntilGone([id], timeout: .seconds(180))
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(text.hasSuffix("exit 0\n"), "\(text.suffix(4000))")
        try fixture.expectEveryJobDoneOnceOnBothNodes(try fixture.store("batch"))
    }

    @Test("inside salloc, a failing job's dependents are blocked and the rest runs")
    func failingJob() async throws {
        let fixture = try Fixture()
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "echo broken input >&2; exit 3"}
              - {id: b, command: "true", deps: [a]}
              - {id: c, command: "true", deps: [b]}
              - {id: d, command: "true"}
            """, name: "fail.yaml")
        let result = try fixture.startRun(graph, namespace: "fail").wait(timeout: .seconds(180))
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr.suffix(4000))")
        #expect(result.stdout.contains("stderr: broken input"), "\(result.stdout)")
        let store = try fixture.store("fail")
        #expect(try store.states() == ["a": .failed, "b": .blocked, "c": .blocked, "d": .done])
        #expect(try store.attempts(of: "b").isEmpty)
    }

    @Test("clustmake cancel of a run inside salloc: its steps end and its running jobs are interrupted in redis")
    func cancel() async throws {
        let fixture = try Fixture()
        let graph = try fixture.graphFile(Self.graph(sleepers: 4, seconds: 600), name: "long.yaml")
        let run = try fixture.startRun(graph, namespace: "cancel")
        let store = try fixture.store("cancel")
        try await TestWait.until(
            "four jobs run on the nodes", timeout: .seconds(120),
            details: { "run ended: \(run.hasExited)\n\(fixture.slurm.logTail())" }
        ) { () throws(TestHarnessError) in
            let states = (try? store.states()) ?? [:]
            return states.values.filter { $0 == .inProgress }.count == 4
        }
        let running = try fixture.steps()
        #expect(running.count == 4, "\(running)")
        let cancel = try fixture.slurm.run(
            [BuildProducts.clustmake, "cancel", "--namespace", fixture.ns("cancel")], timeout: .seconds(120))
        #expect(cancel.succeeded, "\(cancel.stdout)\n\(cancel.stderr)")
        let result = try run.wait(timeout: .seconds(120))
        #expect(result.status == 130, "\(result.stdout)\n\(result.stderr.suffix(4000))")
        let left = try fixture.steps()
        #expect(left.isEmpty, "steps left: \(left)")
        let states = try store.states()
        let interrupted = (0..<4).filter { states["s\($0)"] == .interrupted }
        #expect(interrupted.count == 4, "\(states)")
        for index in 0..<4 {
            let attempts = try store.attempts(of: "s\(index)")
            #expect(attempts.map(\.state) == [.interrupted], "s\(index): \(attempts.map(\.state))")
        }
    }

    @Test("outside an allocation, run with a slurm cluster file is refused (exit 2) and says how to get one")
    func refusedOutsideAllocation() async throws {
        let fixture = try Fixture()
        let graph = try fixture.graphFile(Self.graph(sleepers: 1, seconds: 0), name: "jobs.yaml")
        let result = try fixture.slurm.run(
            [
                "/usr/bin/env", "-u", "SLURM_JOB_ID", BuildProducts.clustmake, "run", graph, "--cluster",
                fixture.clusterFile, "--namespace", fixture.ns("outside"),
            ])
        #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("not inside a SLURM allocation"), "\(result.stderr)")
        #expect(result.stderr.contains("salloc --nodes=2 --ntasks-per-node=2 clustmake run"), "\(result.stderr)")
        #expect(result.stderr.contains("--target slurm"), "\(result.stderr)")
        #expect(throws: StoreError.self, "nothing was pushed") { try fixture.store("outside").states() }
    }

    @Test("the host list expander agrees with scontrol show hostnames on SLURM's forms")
    func expanderAgreesWithSlurm() throws {
        let slurm = try SlurmTestCluster()
        for list in ["n[1-3,5]", "a1,b[01-02]", "node[08-11]", "c[9-10],gpu-a", "r[1-2]-n[1-2]", "x[007-009]"] {
            let result = try slurm.run(["scontrol", "show", "hostnames", list])
            try #require(result.succeeded, "\(result.stderr)")
            let expected = result.stdout.split(separator: "\n").map(String.init)
            #expect(SlurmAllocation.expandHostList(list) == expected, "\(list)")
        }
    }
}
