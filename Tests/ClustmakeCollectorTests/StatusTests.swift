import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import ClustmakeStore
import Testing

@Suite struct StatusTests {
    /// x failed; y is blocked by x, z by y; r runs on h since 5 s; w waits.
    static let history = RunHistory(
        namespace: "status", now: Histories.t0 + 15,
        jobs: [
            Histories.job("x", state: .failed, reason: "exited with status 3"),
            Histories.job("y", deps: [0], state: .blocked, reason: "dependency 'x' is failed", blockedBy: "x"),
            Histories.job("z", deps: [1], state: .blocked, reason: "dependency 'y' is blocked", blockedBy: "y"),
            Histories.job("r", state: .inProgress), Histories.job("w", state: .notStarted),
        ],
        attempts: [
            Histories.attempt(0, 1, on: "h", from: 0, to: 1, .failed, exit: 3, reason: "exited with status 3"),
            Histories.attempt(0, 2, on: "g", from: 2, to: 3, .failed, exit: 3, reason: "exited with status 3"),
            Histories.attempt(3, 1, on: "h", from: 5, to: nil, .running),
        ])

    @Test("jobs by state; running jobs with host, lane and elapsed time; failures with their latest attempt")
    func status() {
        let status = RunStatus(Self.history)
        #expect(status.jobs == 5)
        #expect(status.states == [.failed: 1, .blocked: 2, .inProgress: 1, .notStarted: 1])
        #expect(status.running.map(\.job) == ["r"])
        #expect(status.running[0].lane == "h/0")
        #expect(status.running[0].elapsed == 10)
        #expect(status.failed.map(\.job) == ["x"])
        #expect(status.failed[0].attempt == 2)
        #expect(status.failed[0].host == "g")
        #expect(status.stderrToRead.map(\.attempt) == [2])
    }

    @Test("a blocked job names the failed job at the root of its chain of blocked dependencies")
    func rootCause() {
        let blocked = RunStatus(Self.history).blocked
        #expect(blocked.map(\.job) == ["y", "z"])
        #expect(blocked.map(\.blockedBy) == ["x", "y"])
        #expect(blocked.map(\.rootCause) == ["x", "x"])
    }

    @Test("the text lists each section, cut at the limit; the JSON lists everything")
    func output() throws {
        var status = RunStatus(Self.history)
        status.failed[0].lastStderrLine = "boom: \u{1B}[31minput corrupt"
        let text = status.text(limit: 1)
        #expect(text.contains("jobs 5:  not-started 1  in-progress 1  done 0  failed 1  blocked 2"))
        #expect(text.contains("running (1)\n  job  attempt  host  lane  started                   elapsed\n"))
        #expect(text.contains("boom: ?[31minput corrupt"))
        #expect(text.contains("blocked (2)"))
        #expect(text.contains("… and 1 more"))
        let json = try JSONValue.parse(status.json())
        #expect(json["blocked"]?.arrayValue?.count == 2)
        #expect(json["failed"]?[0]?["last_stderr_line"]?.stringValue == "boom: \u{1B}[31minput corrupt")
        #expect(json["running"]?[0]?["elapsed"]?.doubleValue == 10)
    }
}
