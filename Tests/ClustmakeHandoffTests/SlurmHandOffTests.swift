import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// Plans handed to a real SLURM of two nodes (docs/handoff.md, "SLURM"): planned with `--target slurm`, submitted
/// with `clustmake submit`, checked in redis (every job done exactly once, after its dependencies).
@Suite struct SlurmHandOffTests {
    /// The built clustmake and compmake, next to the test bundle.
    static let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    static var clustmake: String {
        let beside = products + "/clustmake"
        return FileManager.default.isExecutableFile(atPath: beside) ? beside : products + "/../clustmake"
    }

    /// A WfCommons instance of the workflows beside the repository (`../shared/data/workflows/NAME`).
    static func workflow(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                "shared/data/workflows/\(name)"
            ).path
    }

    /// A SLURM cluster of two nodes, a redis with a password, and a cluster file for both.
    struct Fixture {
        let slurm: SlurmTestCluster
        let redis: RedisServer
        let clusterFile: String
        let namespace = "wf-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

        init(time: String = "10") throws {
            slurm = try SlurmTestCluster(nodes: 2)
            redis = try RedisServer(RedisServer.Options(password: "node-secret"))
            let password = slurm.directory + "/redis-password"
            try "node-secret\n".write(toFile: password, atomically: true, encoding: .utf8)
            chmod(password, 0o600)
            let worker =
                URL(fileURLWithPath: SlurmHandOffTests.clustmake).deletingLastPathComponent().path
                + "/compmake"
            clusterFile = slurm.directory + "/slurm.yaml"
            try """
            slurm:
              nodes: 2
              processors: 2
              partition: \(slurm.partition)
              time: "\(time)"
              worker: \(worker)
              redis: {from_nodes: "redis://127.0.0.1:\(redis.port)/0"}
            redis: {url: "redis://127.0.0.1:\(redis.port)/0", password_file: \(password)}
            """.write(toFile: clusterFile, atomically: true, encoding: .utf8)
        }

        /// Runs `clustmake ARGUMENTS` in the SLURM cluster's directory, with its `SLURM_CONF`.
        func clustmake(_ arguments: [String], timeout: Duration = .seconds(300)) throws
            -> SlurmTestCluster
            .CommandResult
        {
            try slurm.run([SlurmHandOffTests.clustmake] + arguments, timeout: timeout)
        }

        func store() throws -> JobStore {
            try JobStore(connection: try redis.connect(), namespace: namespace)
        }

        /// Plans `workflow` with --target slurm into `plan` and submits it; returns the SLURM job id.
        func planAndSubmit(_ graph: String, extra: [String] = []) throws -> Int {
            let plan = try clustmake(
                ["plan", graph, "--cluster", clusterFile, "--target", "slurm", "--namespace", namespace, "-o", "plan"]
                    + extra)
            try #require(plan.succeeded, "\(plan.output)\n\(plan.stderr)")
            let submit = try clustmake(["submit", "plan", "--cluster", clusterFile])
            try #require(submit.succeeded, "\(submit.output)\n\(submit.stderr)\n\(slurm.logTail())")
            let words = submit.output.split(separator: " ")
            try #require(words.count > 3 && words[0] == "Submitted", "\(submit.output)")
            return try #require(Int(words[3]), "\(submit.output)")
        }
    }

    @Test("a WfCommons workflow planned for SLURM and submitted runs to the end on both nodes, each job once")
    func workflowRuns() async throws {
        let fixture = try Fixture()
        let id = try fixture.planAndSubmit(Self.workflow("epigenomics-1000.json"), extra: ["--time-scale", "0.0002"])
        let record = try #require(try fixture.store().handOff())
        #expect(record.target == .slurm && record.ids == [String(id)])
        #expect(record.planDirectory == fixture.slurm.directory + "/plan")
        try await fixture.slurm.waitUntilGone([id], timeout: .seconds(600))
        let output =
            (try? String(contentsOfFile: "\(fixture.slurm.directory)/plan/slurm/slurm-\(id).out", encoding: .utf8))
            ?? ""
        #expect(try fixture.slurm.jobFields(id)?["JobState"] == "COMPLETED", "\(output.suffix(3000))")
        let run = try RunRecord(store: try fixture.store())
        #expect(run.doneOnceProblems() == [], "\(output.suffix(3000))")
        #expect(run.dependencyOrderProblems() == [])
        #expect(run.hostsUsed == ["node1", "node2"])
    }
}
