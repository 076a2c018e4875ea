import ClustmakeCollector
import ClustmakeModel
import ClustmakeStore
import Testing

@Suite struct LanesTests {
    func lanes(_ spans: [(host: String, start: Double, end: Double?)], now: Double = 100) -> (Lanes, RunHistory) {
        let history = RunHistory(
            namespace: "lanes", now: Histories.t0 + now,
            jobs: spans.indices.map { Histories.job("j\($0)") },
            attempts: spans.enumerated().map { index, span in
                Histories.attempt(
                    index, 1, on: span.host, from: span.start, to: span.end, span.end == nil ? .running : .succeeded)
            })
        return (Lanes(history), history)
    }

    /// The lane of each job, by job index.
    func byJob(_ lanes: Lanes, _ history: RunHistory) -> [Int] {
        var result = [Int](repeating: -1, count: history.jobs.count)
        for (index, attempt) in history.attempts.enumerated() { result[attempt.job] = lanes.lane[index] }
        return result
    }

    @Test("overlapping attempts get lanes 0, 1, …; a lane is free again when its attempt ended, even at that instant")
    func reuse() {
        let (lanes, history) = lanes([("h", 0, 10), ("h", 2, 5), ("h", 5, 8), ("h", 10, 12)])
        #expect(byJob(lanes, history) == [0, 1, 1, 0])
        #expect(lanes.counts == ["h": 2])
    }

    @Test("the free lane with the lowest number is taken")
    func lowest() {
        let (lanes, history) = lanes([("h", 0, 3), ("h", 0, 10), ("h", 0, 3), ("h", 5, 6)])
        #expect(byJob(lanes, history) == [0, 1, 2, 0])
    }

    @Test("hosts are packed separately, sorted by name, and labelled HOST/N")
    func hosts() {
        let (lanes, _) = lanes([("b", 0, 3), ("a", 0, 3), ("b", 1, 2), ("a", 4, 5)])
        #expect(lanes.hosts == ["a", "b"])
        #expect(lanes.counts == ["a": 1, "b": 2])
        #expect(lanes.rows().labels == ["a/0", "b/0", "b/1"])
        #expect(lanes.rows().row == ["a": 0, "b": 1])
    }

    @Test("a running attempt holds its lane until now")
    func running() {
        let (lanes, history) = lanes([("h", 0, nil), ("h", 50, 60), ("h", 150, 160)], now: 100)
        #expect(byJob(lanes, history) == [0, 1, 0])
    }

    @Test("one worker per slot, jobs back to back: the lanes reproduce the slots")
    func slots() {
        var spans: [(host: String, start: Double, end: Double?)] = []
        for slot in 0..<4 {
            var time = Double(slot) * 0.1
            for length in [3.0, 1, 2, 5, 1] {
                spans.append(("h", time, time + length * Double(slot + 1)))
                time += length * Double(slot + 1) + 0.01
            }
        }
        let (lanes, _) = lanes(spans)
        #expect(lanes.counts["h"] == 4)
    }
}
