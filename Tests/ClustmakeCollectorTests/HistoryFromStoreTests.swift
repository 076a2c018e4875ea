import ClustmakeCollector
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Testing

@Suite struct HistoryFromStoreTests {
    @Test("a run recorded through the worker's API reads back with its outcomes, times and states")
    func known() throws {
        let server = try RedisServer()
        let store = try JobStore(connection: try server.connect(), namespace: KnownHistory.namespace)
        try store.push(try KnownHistory.graph(), pushedBy: "test")
        try KnownHistory.record(with: HistoryWriter(store: store, redis: try server.connect()))

        let history = RunHistory(try store.snapshot())
        let epoch = HistoryWriter.epoch
        #expect(history.jobs.map(\.id) == ["fetch", "build", "test", "slow", "flaky", "lostjob", "report", "never"])
        #expect(
            history.jobs.map(\.state) == [.done, .done, .done, .failed, .interrupted, .lost, .blocked, .notStarted])
        #expect(history.jobs[1].command == "make -C 'src dir'")
        #expect(history.jobs[1].deps == [0])
        #expect(history.jobs[6].blockedBy == "slow")
        let summary = history.attempts.map {
            "\(history.jobs[$0.job].id)#\($0.number) \($0.outcome) \($0.host) \(Format.fixed($0.start - epoch, 1))"
        }
        #expect(
            summary == [
                "fetch#1 succeeded n1 0.0", "slow#1 failed n2 0.0", "build#1 failed n1 2.5",
                "build#2 succeeded n2 4.0",
                "test#1 succeeded n1 6.2", "lostjob#1 lost n2 6.5", "flaky#1 interrupted n1 9.5",
            ])
        let lost = history.attempts[5]
        #expect(lost.ended == epoch + 8)
        #expect(lost.wallTime == nil)
        #expect(lost.reason?.contains("lease") == true)
        let slow = history.attempts[1]
        #expect(slow.timedOut)
        #expect(slow.signal == 15)
        #expect(slow.exitStatus == nil)
        #expect(history.attempts[3].maxRSS == 50_331_648)
        #expect(history.attempts.filter { !$0.counted }.isEmpty)

        let tails = try store.outputTails(of: [("build", 1), ("build", 2), ("never", 1)], .stderr, lastBytes: 21)
        #expect(tails[0] == Array("*** [main.o] Error 1\n".utf8))
        #expect(tails[1] == [])
        #expect(tails[2] == [])
        #expect(Format.lastLine(of: tails[0]) == "*** [main.o] Error 1")
    }

    @Test("status's read: done and not-started jobs by their state alone, the same status; everything while one runs")
    func unsettledJobsOnly() throws {
        let server = try RedisServer()
        let store = try JobStore(connection: try server.connect(), namespace: KnownHistory.namespace)
        try store.push(try KnownHistory.graph(), pushedBy: "test")
        try KnownHistory.record(with: HistoryWriter(store: store, redis: try server.connect()))

        let everything = try store.snapshot()
        let partial = try store.snapshot(.unsettledJobs)
        #expect(partial.jobs.map(\.id) == everything.jobs.map(\.id))
        #expect(partial.jobs.map(\.status.state) == everything.jobs.map(\.status.state))
        #expect(partial.jobs.map(\.index) == everything.jobs.map(\.index))
        for (index, job) in partial.jobs.enumerated() {
            if job.status.state == .done || job.status.state == .notStarted {
                #expect(partial.attempts[index].isEmpty && job.deps.isEmpty && job.status.attempts == 0)
            } else {
                #expect(job == everything.jobs[index])
                #expect(partial.attempts[index] == everything.attempts[index])
            }
        }
        #expect(partial.attemptCount == 3 && everything.attemptCount == 7)
        let whole = RunStatus(RunHistory(everything))
        let read = RunStatus(RunHistory(partial))
        #expect(read.jobs == whole.jobs && read.states == whole.states)
        #expect(read.running == whole.running && read.failed == whole.failed && read.blocked == whole.blocked)

        // A job in progress: its lane depends on every attempt of its host, so everything is read.
        _ = try server.connect().command("HSET", "compmake:{\(KnownHistory.namespace)}:states", "never", "in-progress")
        #expect(try store.snapshot(.unsettledJobs).attemptCount == everything.attemptCount)
    }
}
