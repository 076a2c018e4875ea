import ClustmakeModel
import ClustmakePlanner
import ClustmakeScheduler
import Testing

@testable import ClustmakeDispatch

@Suite struct RunReportTests {
    /// `a` → `b` → `c` and `d` on two hosts of one slot each; `a` fails (no retries): `b` and `c` are blocked.
    static func finishedWithFailure() throws -> Scheduler {
        let graph = try JobGraph(jobs: [
            Job(id: "a", command: .shell("false")), Job(id: "b", command: .shell("true"), deps: ["a"]),
            Job(id: "c", command: .shell("true"), deps: ["b"]), Job(id: "d", command: .shell("true")),
        ])
        let plan = Planner().plan(graph, on: Cluster(hosts: [Host(name: "h1"), Host(name: "h2")]))
        var scheduler = Scheduler(plan: plan)
        var actions = scheduler.start(now: 0)
        var time = 0.0
        while scheduler.stopReason == nil {
            time += 1
            let dispatches = actions.compactMap { action -> Dispatch? in
                if case .dispatch(let dispatch) = action { return dispatch }
                return nil
            }
            actions = []
            for dispatch in dispatches {
                let outcomes = dispatch.jobs.map { job -> JobOutcome in
                    graph.jobs[Int(job)].id == "a" ? .failed(reason: "exited with status 1") : .done
                }
                actions += scheduler.dispatchEnded(dispatch.id, outcomes: outcomes, now: time)
            }
            if dispatches.isEmpty { actions += scheduler.tick(now: time) }
            #expect(time < 100, "the run does not end")
            if time >= 100 { break }
        }
        return scheduler
    }

    @Test("a failed job is reported with what redis recorded: reason, host and last stderr line")
    func recordedFailure() throws {
        let scheduler = try Self.finishedWithFailure()
        #expect(RunReport.failedJobs(scheduler) == [0])
        let report = RunReport(
            namespace: "ns", scheduler: scheduler, wallTime: 5, hostFailures: [1: "ssh exited 255"],
            recorded: [0: .init(reason: "exited with status 1", host: "h1", lastStderrLine: "boom")])
        #expect(report.exitStatus == 1 && report.stopReason == .finished)
        #expect(report.counts.done == 1 && report.counts.failed == 1 && report.counts.blocked == 2)
        #expect(
            report.failures == [.init(job: "a", host: "h1", reason: "exited with status 1", lastStderrLine: "boom")])
        #expect(report.hostFailures.map(\.host) == ["h2"] && report.hostFailures.map(\.reason) == ["ssh exited 255"])
        #expect(
            report.summary == """
                clustmake: run ns finished with failures: 4 jobs, 1 done, 1 failed, 2 blocked in 0:05 (5.0 s)
                  failed: a on h1: exited with status 1 | stderr: boom
                  host h2 failed: ssh exited 255
                  Every attempt's record and output are in redis, namespace ns (docs/redis-schema.md); run again \
                with the same namespace to retry what is not done.

                """)
    }

    @Test("without a record in redis, the scheduler's reason and last host are reported")
    func schedulerOnly() throws {
        let scheduler = try Self.finishedWithFailure()
        let report = RunReport(namespace: "ns", scheduler: scheduler, wallTime: 1, hostFailures: [:], recorded: [:])
        let failure = try #require(report.failures.first)
        #expect(failure.job == "a" && failure.reason == "exited with status 1" && failure.lastStderrLine == nil)
        #expect(failure.host == scheduler.lastHost[0].map { scheduler.plan.cluster.hosts[$0].name })
        #expect(failure.host != nil)
        // A record without a reason keeps the scheduler's.
        let recorded = RunReport(
            namespace: "ns", scheduler: scheduler, wallTime: 1, hostFailures: [:],
            recorded: [0: .init(reason: nil, host: "h9", lastStderrLine: nil)])
        #expect(recorded.failures.first?.reason == "exited with status 1" && recorded.failures.first?.host == "h9")
    }
}
