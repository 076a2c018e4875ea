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

        /// - Parameters:
        ///   - time: The cluster file's wall-time limit.
        ///   - nodePort: The port the nodes are told redis is at (`from_nodes`); the server's by default.
        ///   - maxSubmit: The cluster file's `max_submit`, when set.
        init(time: String = "10", nodePort: Int? = nil, maxSubmit: Int? = nil) throws {
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
              worker: \(worker)\(maxSubmit.map { "\n  max_submit: \($0)" } ?? "")
              redis: {from_nodes: "redis://127.0.0.1:\(nodePort ?? redis.port)/0"}
            redis: {url: "redis://127.0.0.1:\(redis.port)/0", password_file: \(password)}
            """.write(toFile: clusterFile, atomically: true, encoding: .utf8)
        }

        /// Runs `clustmake ARGUMENTS` in the SLURM cluster's directory, with its `SLURM_CONF`.
        /// - Parameter environment: `NAME=value` words set for the command (through `env`).
        func clustmake(_ arguments: [String], environment: [String] = [], timeout: Duration = .seconds(300)) throws
            -> SlurmTestCluster
            .CommandResult
        {
            let program = environment.isEmpty ? [] : ["env"] + environment
            return try slurm.run(program + [SlurmHandOffTests.clustmake] + arguments, timeout: timeout)
        }

        /// The batch output of SLURM job `id` (`plan/slurm/slurm-ID.out`), or nothing.
        func batchOutput(_ id: Int) -> String {
            (try? String(contentsOfFile: "\(slurm.directory)/plan/slurm/slurm-\(id).out", encoding: .utf8)) ?? ""
        }

        func store() throws -> JobStore {
            try JobStore(connection: try redis.connect(), namespace: namespace)
        }

        /// Plans `graph` with --target `target` (slurm by default) into `plan`.
        func plan(_ graph: String, extra: [String] = [], target: String = "slurm") throws {
            let plan = try clustmake(
                ["plan", graph, "--cluster", clusterFile, "--target", target, "--namespace", namespace, "-o", "plan"]
                    + extra)
            try #require(plan.succeeded, "\(plan.output)\n\(plan.stderr)")
        }

        /// Writes a graph of `count` jobs that each sleep `seconds`, and returns its path.
        func sleepers(_ count: Int, seconds: Int) throws -> String {
            let path = slurm.directory + "/sleepers.yaml"
            let jobs = (1...count).map { "  - {id: s\($0), command: \"sleep \(seconds)\"}" }
            try (["jobs:"] + jobs).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        /// Waits until `count` jobs of the namespace are in progress in redis.
        func waitUntilInProgress(_ count: Int) async throws {
            let store = try store()
            try await TestWait.until("\(count) jobs in progress", timeout: .seconds(120), details: { slurm.logTail() })
            {
                () throws(TestHarnessError) in
                ((try? store.states()) ?? [:]).values.filter { $0 == .inProgress }.count == count
            }
        }

        /// Waits until `running` jobs are in progress, cancels the namespace with `clustmake cancel`, and checks
        /// that SLURM job `id` left the queue and that every job is interrupted in redis.
        func expectCancelInterrupts(
            _ id: Int, running: Int, sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let store = try store()
            try await waitUntilInProgress(running)
            let cancel = try clustmake(["cancel", "--namespace", namespace, "--cluster", clusterFile])
            #expect(cancel.succeeded, "\(cancel.output)\n\(cancel.stderr)", sourceLocation: sourceLocation)
            #expect(
                cancel.output.contains("cancelled SLURM job \(id) of namespace '\(namespace)'"), "\(cancel.output)",
                sourceLocation: sourceLocation)
            try await slurm.waitUntilGone([id], timeout: .seconds(60))
            #expect(try slurm.queue().isEmpty, sourceLocation: sourceLocation)
            let states = try store.states()
            #expect(
                states.count == running && states.values.allSatisfy { $0 == .interrupted }, "\(states)",
                sourceLocation: sourceLocation)
        }

        /// Plans `graph` with --target slurm into `plan` and submits it; returns the SLURM job id.
        func planAndSubmit(_ graph: String, extra: [String] = [], submitting: [String] = []) throws -> Int {
            try plan(graph, extra: extra)
            return try submit(submitting)
        }

        /// Submits the plan in `plan`; returns the SLURM job id.
        func submit(_ submitting: [String] = [], environment: [String] = []) throws -> Int {
            let submit = try clustmake(
                ["submit", "plan", "--cluster", clusterFile] + submitting, environment: environment)
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
        let output = fixture.batchOutput(id)
        #expect(try fixture.slurm.jobFields(id)?["JobState"] == "COMPLETED", "\(output.suffix(3000))")
        let run = try RunRecord(store: try fixture.store())
        #expect(run.doneOnceProblems() == [], "\(output.suffix(3000))")
        #expect(run.dependencyOrderProblems() == [])
        #expect(run.hostsUsed == ["node1", "node2"])
    }

    @Test("status shows a pending allocation's reason; cancel removes it from the queue in one scancel")
    func pendingStatusAndCancel() async throws {
        let fixture = try Fixture()
        let slurm = fixture.slurm
        // Every CPU of both nodes taken, so the plan's job waits for resources.
        let blocker = try slurm.submit([
            "--nodes=2", "--ntasks-per-node=1", "--cpus-per-task=\(slurm.cpusPerNode)", "--wrap", "sleep 600",
        ])
        try await slurm.waitForJob(blocker, "runs", timeout: .seconds(120)) { $0?.state == "RUNNING" }
        // No probe: it could not start while the nodes are taken.
        let id = try fixture.planAndSubmit(try fixture.sleepers(2, seconds: 1), submitting: ["--no-check"])
        try await slurm.waitForJob(id, "waits for resources", timeout: .seconds(60)) {
            $0?.state == "PENDING" && $0?.reason == "Resources"
        }
        let status = try fixture.clustmake([
            "status", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(status.succeeded, "\(status.stderr)")
        #expect(status.output.contains("handed off: slurm, ids \(id), submitted "), "\(status.output)")
        #expect(status.output.contains("SLURM job \(id): PENDING (Resources)"), "\(status.output)")
        #expect(status.output.contains("not-started 2"), "\(status.output)")
        let cancel = try fixture.clustmake([
            "cancel", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(cancel.succeeded, "\(cancel.output)\n\(cancel.stderr)")
        #expect(cancel.output.contains("cancelled SLURM job \(id) of namespace '\(fixture.namespace)'"))
        try await slurm.waitUntilGone([id], timeout: .seconds(60))
        #expect(try slurm.queue().map(\.id) == [blocker])
        _ = try slurm.run(["scancel", String(blocker)])
    }

    @Test("cancel of a running allocation: the queue is empty afterwards and the running jobs are interrupted")
    func cancelRunning() async throws {
        let fixture = try Fixture()
        let id = try fixture.planAndSubmit(try fixture.sleepers(4, seconds: 600))
        try await fixture.expectCancelInterrupts(id, running: 4)
    }

    @Test("submit refuses, with the worker's reason, when redis does not answer from a node; nothing is queued")
    func probeRefuses() async throws {
        let fixture = try Fixture(nodePort: 1)
        try fixture.plan(try fixture.sleepers(1, seconds: 1))
        let submit = try fixture.clustmake(["submit", "plan", "--cluster", fixture.clusterFile])
        #expect(submit.status == 1, "\(submit.output)\n\(submit.stderr)")
        #expect(submit.stderr.contains("nothing was submitted: redis does not answer from a node"), "\(submit.stderr)")
        #expect(submit.stderr.contains("--no-check"))
        // The probe ran as a SLURM job of its own (clustmake-probe); on a loaded machine it may still be completing.
        var queued = try fixture.slurm.queue()
        var polls = 0
        while !queued.isEmpty && queued.allSatisfy({ $0.name == "clustmake-probe" && $0.state == "COMPLETING" })
            && polls < 600
        {
            polls += 1
            try await Task.sleep(for: .milliseconds(100))
            queued = try fixture.slurm.queue()
        }
        #expect(queued.isEmpty, "\(queued)")
        #expect(try fixture.store().handOff() == nil)
    }
}
