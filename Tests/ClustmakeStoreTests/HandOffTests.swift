import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Testing

/// The hand-off record, `compmake:{NS}:handoff` (docs/redis-schema.md).
@Suite struct HandOffTests {
    @Test("a hand-off is recorded, read back, replaced whole and cleared")
    func roundTrip() throws {
        let server = try RedisServer()
        let store = try JobStore(connection: try server.connect(), namespace: "ho")
        try store.push(try JobGraph(namespace: "ho", jobs: [Job(id: "a", command: .shell("true"))]), pushedBy: "test")
        #expect(try store.handOff() == nil)
        let cron = HandOff(
            target: .cron, submitted: UTCTime(secondsSince1970: 1_700_000_000.25), planDirectory: "/home/a/plan",
            ids: [], cronBlock: "clustmake ho")
        try store.recordHandOff(cron)
        #expect(try store.handOff() == cron)
        let slurm = HandOff(
            target: .slurm, submitted: UTCTime(secondsSince1970: 1_700_000_100), planDirectory: "/home/a/plan",
            ids: ["4242", "4243"])
        try store.recordHandOff(slurm)
        #expect(try store.handOff() == slurm, "the cron block of the earlier record is gone")
        try store.clearHandOff()
        #expect(try store.handOff() == nil)
    }

    @Test(
        "a record that does not decode is an error naming the key, never a crash",
        arguments: [
            ["target", "pbs", "submitted", "2024-01-01T00:00:00.000Z", "plan", "/p", "ids", "[]"],
            ["target", "slurm", "submitted", "yesterday", "plan", "/p", "ids", "[]"],
            ["target", "slurm", "submitted", "2024-01-01T00:00:00.000Z", "plan", "", "ids", "[]"],
            ["target", "slurm", "submitted", "2024-01-01T00:00:00.000Z", "plan", "/p", "ids", "[1, 2]"],
            ["target", "slurm", "submitted", "2024-01-01T00:00:00.000Z", "plan", "/p", "ids", "{"],
        ])
    func corrupt(fields: [String]) throws {
        let server = try RedisServer()
        let connection = try server.connect()
        let store = try JobStore(connection: connection, namespace: "ho")
        try store.push(try JobGraph(namespace: "ho", jobs: [Job(id: "a", command: .shell("true"))]), pushedBy: "test")
        _ = try connection.command(["HSET", "compmake:{ho}:handoff"] + fields.map { RedisArgument($0) })
        let error = try #require(throws: StoreError.self) { try store.handOff() }
        #expect(error.code == .corruptRecord && error.message.contains("compmake:{ho}:handoff"), "\(error)")
    }
}
