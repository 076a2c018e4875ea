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
}
