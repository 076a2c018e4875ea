import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// Plans handed to a real SLURM one job per job (docs/handoff.md, "SLURM, one job per job"): planned with
/// `--target slurm-jobs`, submitted with `clustmake submit`, checked in redis (every job done exactly once, after
/// its dependencies) and in the queue.
@Suite struct SlurmJobsHandOffTests {
    typealias Fixture = SlurmHandOffTests.Fixture

    /// A small real WfCommons instance (`../shared/data/wfcommons-real/NAME`): 22 jobs, 30 dependencies.
    static let workflow =
        URL(fileURLWithPath: SlurmHandOffTests.workflow("x")).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("wfcommons-real/pegasus-srasearch-10a-001.v1.5.json").path

    /// Writes a graph: `jobs` as `id: (command, deps)`, and returns its path.
    static func graph(_ fixture: Fixture, _ jobs: [(String, String, [String])]) throws -> String {
        let path = fixture.slurm.directory + "/graph.yaml"
        let lines = jobs.map { id, command, deps in
            "  - {id: \(id), command: \"\(command)\", deps: [\(deps.joined(separator: ", "))]}"
        }
        try (["jobs:"] + lines).joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `clustmake submit plan` of the fixture's per-job plan; the hand-off's SLURM ids.
    static func submit(_ fixture: Fixture, _ extra: [String] = []) throws -> [Int] {
        let submit = try fixture.clustmake(["submit", "plan", "--cluster", fixture.clusterFile] + extra)
        try #require(submit.succeeded, "\(submit.output)\n\(submit.stderr)\n\(fixture.slurm.logTail())")
        #expect(submit.output.hasPrefix("Submitted "), "\(submit.output)")
        let record = try #require(try fixture.store().handOff())
        #expect(record.target == .slurmJobs)
        return record.ids.compactMap { Int($0) }
    }

    /// The fixture's SLURM jobs in the queue (by their name, clustmake-NAMESPACE).
    static func queued(_ fixture: Fixture) throws(TestHarnessError) -> [SlurmTestCluster.QueuedJob] {
        try fixture.slurm.queue().filter { $0.name == "clustmake-" + fixture.namespace }
    }

    @Test("a WfCommons workflow submitted one job per job runs to the end, each job once, after its dependencies")
    func workflowRuns() async throws {
        let fixture = try Fixture()
        try fixture.plan(Self.workflow, extra: ["--time-scale", "0.001"], target: "slurm-jobs")
        let ids = try Self.submit(fixture)
        #expect(ids.count == 22)
        try await fixture.slurm.waitUntilGone(ids, timeout: .seconds(600))
        let run = try RunRecord(store: try fixture.store())
        #expect(run.doneOnceProblems() == [], "\(fixture.slurm.logTail())")
        #expect(run.dependencyOrderProblems() == [])
        // The workers name the node SLURM ran them on.
        #expect(run.hostsUsed.isSubset(of: Set(fixture.slurm.nodeNames)) && !run.hostsUsed.isEmpty, "\(run.hostsUsed)")
    }

    @Test("a failed job's dependents leave the queue, status shows them blocked, and a resubmission runs only the rest")
    func failureAndResubmission() async throws {
        let fixture = try Fixture()
        let flag = fixture.slurm.directory + "/fixed"
        let graph = try Self.graph(
            fixture,
            [
                ("a", "true", []), ("b", "test -e \(flag)", ["a"]), ("c", "true", ["b"]), ("d", "true", ["b", "a"]),
                ("e", "true", ["c"]), ("f", "true", ["a"]),
            ])
        try fixture.plan(graph, target: "slurm-jobs")
        let ids = try Self.submit(fixture)
        #expect(ids.count == 6)
        // kill-on-invalid-dep: c, d and e leave the queue once b failed; nothing stays pending.
        try await fixture.slurm.waitUntilGone(ids, timeout: .seconds(300))
        let store = try fixture.store()
        let states = try store.states()
        #expect(states == ["a": .done, "b": .failed, "c": .notStarted, "d": .notStarted, "e": .notStarted, "f": .done])
        let status = try fixture.clustmake([
            "status", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(status.succeeded, "\(status.stderr)")
        #expect(status.output.contains("handed off: slurm-jobs, ids \(ids[0])…\(ids[5]) (6)"), "\(status.output)")
        #expect(status.output.contains("SLURM jobs: 6 submitted, 0 in the queue: running 0, pending 0; 6 left"))
        #expect(
            status.output.contains(
                "blocked: 3 jobs wait on a failed parent and will not run (SLURM removed them from "
                    + "the queue): c, d, e"), "\(status.output)")
        #expect(try Self.queued(fixture).isEmpty)

        // Fixed: submitting again queues b and what waits on it, nothing that is done.
        try "".write(toFile: flag, atomically: true, encoding: .utf8)
        let again = try Self.submit(fixture)
        #expect(again.count == 4, "\(again)")
        let calls = try String(
            contentsOfFile: fixture.slurm.directory + "/plan/slurm/submit-state.txt", encoding: .utf8)
        #expect(calls.split(separator: "\n").sorted() == ["done a", "done f"], "\(calls)")
        try await fixture.slurm.waitUntilGone(again, timeout: .seconds(300))
        let run = try RunRecord(store: store)
        #expect(run.states.values.allSatisfy { $0 == .done }, "\(run.states)")
        #expect(run.attempts["a"]?.count == 1 && run.attempts["f"]?.count == 1 && run.attempts["b"]?.count == 2)
        #expect(run.dependencyOrderProblems(ofAttempt: 1) == [])
        #expect(run.attempts["c"]?.count == 1 && run.attempts["e"]?.count == 1)
    }

    @Test("more jobs than max_submit: submit refuses without --follow and queues nothing")
    func refusedWithoutFollow() async throws {
        let fixture = try Fixture(maxSubmit: 3)
        try fixture.plan(try fixture.sleepers(5, seconds: 1), target: "slurm-jobs")
        let submit = try fixture.clustmake(["submit", "plan", "--cluster", fixture.clusterFile, "--no-check"])
        #expect(submit.status == 2, "\(submit.output)\n\(submit.stderr)")
        #expect(submit.stderr.contains("5 jobs to submit, more than the cluster file's slurm: max_submit (3)"))
        #expect(submit.stderr.contains("--follow"), "\(submit.stderr)")
        #expect(try Self.queued(fixture).isEmpty)
        #expect(try fixture.store().handOff() == nil)
    }

    @Test("with --follow and max_submit 3, ten jobs run to the end, never more than 3 of them in the queue")
    func follow() async throws {
        let fixture = try Fixture(maxSubmit: 3)
        // Jobs of a few seconds, so that jobs submitted together overlap in SLURM's own times.
        var jobs: [(String, String, [String])] = (1...6).map { ("w\($0)", "sleep 3", []) }
        jobs += [("m1", "true", ["w1", "w2"]), ("m2", "true", ["w3", "w4", "w5"]), ("m3", "true", ["w6", "m1"])]
        jobs.append(("end", "true", ["m1", "m2", "m3"]))
        try fixture.plan(try Self.graph(fixture, jobs), target: "slurm-jobs")
        let running = try fixture.slurm.start([
            SlurmHandOffTests.clustmake, "submit", "plan", "--cluster", fixture.clusterFile, "--follow",
        ])
        var most = 0
        try await TestWait.until("submit --follow to end", timeout: .seconds(600), interval: .milliseconds(200)) {
            () throws(TestHarnessError) in
            most = max(most, try Self.queued(fixture).count)
            return running.hasExited
        }
        let result = try running.wait()
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("Submitted 10 SLURM jobs"), "\(result.stdout)")
        // What the test happened to see (a sample: squeue can be slow on a loaded machine) ...
        #expect(most <= 3, "\(most) jobs in the queue at once")
        let ids = try #require(try fixture.store().handOff()).ids.compactMap { Int($0) }
        #expect(ids.count == 10)
        try await fixture.slurm.waitUntilGone(ids, timeout: .seconds(300))
        // ... and what SLURM recorded: each job in the queue from its SubmitTime to its EndTime (whole seconds; a
        // job is submitted only once an earlier one has left, so its second is never before that one's end).
        var changes: [(time: String, step: Int)] = []
        for id in ids {
            let fields = try #require(try fixture.slurm.jobFields(id), "SLURM forgot job \(id)")
            let submitted = try #require(fields["SubmitTime"]), ended = try #require(fields["EndTime"])
            changes += [(submitted, 1), (ended, -1)]
        }
        var inQueue = 0
        var mostRecorded = 0
        // Ends before starts at the same second: half-open intervals.
        for change in changes.sorted(by: { ($0.time, $0.step) < ($1.time, $1.step) }) {
            inQueue += change.step
            mostRecorded = max(mostRecorded, inQueue)
        }
        #expect(mostRecorded <= 3 && mostRecorded > 0, "\(mostRecorded) jobs in the queue at once: \(changes)")
        let run = try RunRecord(store: try fixture.store())
        #expect(run.doneOnceProblems() == [])
        #expect(run.dependencyOrderProblems() == [])
    }

    @Test(
        "status counts the queue's states in one squeue; cancel removes every job in one scancel, running ones interrupted"
    )
    func statusAndCancel() async throws {
        let fixture = try Fixture()
        let slurm = fixture.slurm
        let jobs = (1...2).map { ("s\($0)", "sleep 600", [String]()) } + [("after", "true", ["s1"])]
        try fixture.plan(try Self.graph(fixture, jobs), target: "slurm-jobs")
        let ids = try Self.submit(fixture, ["--no-check"])
        let store = try fixture.store()
        try await TestWait.until("two jobs in progress", timeout: .seconds(120), details: { slurm.logTail() }) {
            () throws(TestHarnessError) in
            ((try? store.states()) ?? [:]).values.filter { $0 == .inProgress }.count == 2
        }
        let status = try fixture.clustmake([
            "status", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(
            status.output.contains(
                "SLURM jobs: 3 submitted, 3 in the queue: running 2, pending 1 (Dependency 1); "
                    + "0 left the queue"), "\(status.output)")
        let cancel = try fixture.clustmake([
            "cancel", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(cancel.succeeded, "\(cancel.output)\n\(cancel.stderr)")
        #expect(cancel.output.contains("cancelled SLURM job \(ids.map(String.init).joined(separator: " "))"))
        try await slurm.waitUntilGone(ids, timeout: .seconds(60))
        #expect(try Self.queued(fixture).isEmpty)
        #expect(try store.states() == ["s1": .interrupted, "s2": .interrupted, "after": .notStarted])
    }

    @Test("interrupting submit --follow leaves the hand-off record naming exactly what was queued")
    func followInterrupted() async throws {
        let fixture = try Fixture(maxSubmit: 2)
        try fixture.plan(try fixture.sleepers(5, seconds: 600), target: "slurm-jobs")
        let running = try fixture.slurm.start([
            SlurmHandOffTests.clustmake, "submit", "plan", "--cluster", fixture.clusterFile, "--follow", "--no-check",
        ])
        let store = try fixture.store()
        try await TestWait.until("the first two jobs recorded", timeout: .seconds(120)) { () throws(TestHarnessError) in
            ((try? store.handOff())?.map(\.ids.count) ?? 0) == 2
        }
        running.signal(SIGINT)
        let result = try running.wait(timeout: .seconds(60))
        #expect(result.status == 130, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("interrupted: 2 jobs submitted and recorded, 3 not"), "\(result.stderr)")
        let recorded = Set(try #require(try store.handOff()).ids.compactMap(Int.init))
        #expect(Set(try Self.queued(fixture).map(\.id)) == recorded)
        let cancel = try fixture.clustmake([
            "cancel", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(cancel.succeeded, "\(cancel.output)\n\(cancel.stderr)")
        try await fixture.slurm.waitUntilGone(Array(recorded), timeout: .seconds(60))
    }

    @Test("a Ctrl-C during a submission without --follow waits for submit.sh: every queued job is in the record")
    func submitInterrupted() async throws {
        let fixture = try Fixture()
        try fixture.plan(try fixture.sleepers(60, seconds: 600), target: "slurm-jobs")
        let running = try fixture.slurm.start([
            SlurmHandOffTests.clustmake, "submit", "plan", "--cluster", fixture.clusterFile, "--no-check",
        ])
        try await TestWait.until("the first jobs queued", timeout: .seconds(120)) { () throws(TestHarnessError) in
            try !Self.queued(fixture).isEmpty
        }
        running.signal(SIGINT)
        let result = try running.wait(timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let recorded = Set(try #require(try fixture.store().handOff()).ids.compactMap(Int.init))
        #expect(recorded.count == 60)
        #expect(Set(try Self.queued(fixture).map(\.id)) == recorded)
        let cancel = try fixture.clustmake([
            "cancel", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(cancel.succeeded, "\(cancel.output)\n\(cancel.stderr)")
        try await fixture.slurm.waitUntilGone(Array(recorded), timeout: .seconds(60))
    }
}
