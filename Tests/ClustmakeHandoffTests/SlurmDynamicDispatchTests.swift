import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// Plans made with `--target slurm --dispatch dynamic` handed to a real SLURM of two nodes (docs/handoff.md,
/// "Dynamic dispatch in an allocation"): the batch job runs `clustmake run` of the pushed graph on the allocation's
/// first node, which starts each job on a node with srun as it becomes ready.
@Suite struct SlurmDynamicDispatchTests {
    typealias Fixture = SlurmHandOffTests.Fixture

    @Test("a WfCommons workflow planned with --dispatch dynamic and submitted runs to the end on both nodes")
    func workflowRuns() async throws {
        let fixture = try Fixture()
        let id = try fixture.planAndSubmit(
            SlurmHandOffTests.workflow("epigenomics-1000.json"),
            extra: ["--time-scale", "0.0002", "--dispatch", "dynamic"])
        let plan = fixture.slurm.directory + "/plan"
        let script = try String(contentsOfFile: plan + "/slurm/run.sbatch", encoding: .utf8)
        // The clustmake that wrote the plan, by its absolute path; the password only from its file.
        #expect(
            script.contains(
                "/clustmake run --namespace \(fixture.namespace) --cluster \(fixture.clusterFile) --redis "
                    + "redis://127.0.0.1:\(fixture.redis.port)/0 --redis-password-file "
                    + "\(fixture.slurm.directory)/redis-password --wait 86400\n"), "\(script)")
        #expect(script.contains("\nexec /"), "\(script)")
        let record = try #require(try fixture.store().handOff())
        #expect(record.target == .slurm && record.ids == [String(id)])
        try await fixture.slurm.waitUntilGone([id], timeout: .seconds(900))
        let output = fixture.batchOutput(id)
        #expect(try fixture.slurm.jobFields(id)?["JobState"] == "COMPLETED", "\(output.suffix(3000))")
        // clustmake run's own report, from the batch job's output.
        #expect(output.contains("clustmake: run \(fixture.namespace) finished: "), "\(output.suffix(3000))")
        // The run keeps its plan in redis for stats, as any run does.
        #expect(!output.contains("the plan was not kept in redis"), "\(output.prefix(3000))")
        #expect(try fixture.store().plan() != nil)
        let run = try RunRecord(store: try fixture.store())
        #expect(run.doneOnceProblems() == [], "\(output.suffix(3000))")
        #expect(run.dependencyOrderProblems() == [])
        // The allocation's nodes by their SLURM names: placement was decided at run time, not by the plan.
        #expect(run.hostsUsed == Set(fixture.slurm.nodeNames), "\(run.hostsUsed)")
    }

    @Test("cancel of a running dynamic allocation: the queue is empty afterwards and the running jobs are interrupted")
    func cancelRunning() async throws {
        let fixture = try Fixture()
        let id = try fixture.planAndSubmit(try fixture.sleepers(4, seconds: 600), extra: ["--dispatch", "dynamic"])
        try await fixture.expectCancelInterrupts(id, running: 4)
    }
}

extension SlurmDynamicDispatchTests {
    @Test("submit of a namespace whose SLURM job is still queued or running is refused, naming it and cancel")
    func secondSubmitRefused() async throws {
        let fixture = try Fixture()
        let id = try fixture.planAndSubmit(try fixture.sleepers(2, seconds: 600), extra: ["--dispatch", "dynamic"])
        let again = try fixture.clustmake(["submit", "plan", "--cluster", fixture.clusterFile, "--no-check"])
        #expect(again.status == 1, "\(again.output)\n\(again.stderr)")
        #expect(
            again.stderr.contains(
                "namespace '\(fixture.namespace)' is already handed off to slurm (ids \(id), submitted "),
            "\(again.stderr)")
        #expect(again.stderr.contains("still in the queue: \(id) "), "\(again.stderr)")
        #expect(
            again.stderr.contains(
                "Undo it first: clustmake cancel --namespace \(fixture.namespace) --cluster \(fixture.clusterFile)"),
            "\(again.stderr)")
        #expect(try fixture.slurm.queue().map(\.id) == [id])
        #expect(try fixture.store().handOff()?.ids == [String(id)])
        let cancel = try fixture.clustmake([
            "cancel", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(cancel.succeeded, "\(cancel.output)\n\(cancel.stderr)")
        try await fixture.slurm.waitUntilGone([id], timeout: .seconds(60))
    }
}
