import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import Testing

extension StatusTests {
    @Test("clustmake-status/1 has a handoff member only for a handed-off run: record, queue states, null once ended")
    func handOffJSON() throws {
        var status = RunStatus(Self.history)
        #expect(try JSONValue.parse(status.json())["handoff"] == nil)
        let submitted = try #require(UTCTime(iso8601: "2026-12-06T06:06:01.917Z"))
        status.handOff = RunStatus.HandOffState(
            record: HandOff(target: .slurm, submitted: submitted, planDirectory: "/p/plan", ids: ["41", "42"]),
            queue: [(id: "42", state: "PENDING", reason: "Resources", nodes: "")])
        let slurm = try #require(try JSONValue.parse(status.json())["handoff"])
        #expect(slurm["target"]?.stringValue == "slurm" && slurm["plan"]?.stringValue == "/p/plan")
        #expect(slurm["submitted"]?.stringValue == "2026-12-06T06:06:01.917Z")
        #expect(slurm["ids"]?.arrayValue?.compactMap(\.stringValue) == ["41", "42"])
        #expect(slurm["cron_block"] == .null && slurm["queue_error"] == .null)
        let queue = try #require(slurm["queue"]?.arrayValue)
        // 41 left the queue: its state is null; 42 waits for resources.
        #expect(queue.count == 2 && queue[0]["id"]?.stringValue == "41" && queue[0]["state"] == .null)
        #expect(queue[1]["state"]?.stringValue == "PENDING" && queue[1]["reason"]?.stringValue == "Resources")
        #expect(queue[1]["nodes"] == .null)
        status.handOff = RunStatus.HandOffState(
            record: HandOff(
                target: .cron, submitted: submitted, planDirectory: "/p/plan", ids: [], cronBlock: "clustmake ns"))
        let cron = try #require(try JSONValue.parse(status.json())["handoff"])
        #expect(cron["cron_block"]?.stringValue == "clustmake ns" && cron["queue"] == .null)
        status.handOff = RunStatus.HandOffState(
            record: HandOff(target: .slurm, submitted: submitted, planDirectory: "/p/plan", ids: ["41"]),
            queueError: "squeue failed: timeout")
        let unread = try #require(try JSONValue.parse(status.json())["handoff"])
        #expect(unread["queue"] == .null && unread["queue_error"]?.stringValue == "squeue failed: timeout")
    }
}
