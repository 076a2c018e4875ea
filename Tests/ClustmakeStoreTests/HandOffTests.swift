import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import Testing

/// The hand-off record (`compmake:{NS}:handoff`): written, read back, replaced, cleared, and distrusted.
@Suite struct HandOffTests {
    @Test("a hand-off is recorded, read back, replaced whole and cleared")
    func roundTrip() throws {
        let fixture = try Fixture()
        _ = try fixture.push([job("a")])
        #expect(try fixture.store.handOff() == nil)
        let cron = HandOff(
            target: .cron, submitted: UTCTime(secondsSince1970: 1_796_000_000.25), planDirectory: "/p/plan",
            ids: [], cronBlock: "clustmake demo")
        try fixture.store.recordHandOff(cron)
        #expect(try fixture.store.handOff() == cron)
        let at = HandOff(target: .at, submitted: cron.submitted, planDirectory: "/p/plan", ids: ["12"])
        try fixture.store.recordHandOff(at)
        #expect(try fixture.store.handOff() == at, "the cron block's field went with the earlier record")
        try fixture.store.clearHandOff()
        #expect(try fixture.store.handOff() == nil)
    }

    @Test(
        "a record clustmake did not write is an error naming the key and the field",
        arguments: [
            ("target", "batch"), ("submitted", "yesterday"), ("plan", "relative/plan"), ("ids", "[1,2]"),
            ("ids", "{"), ("cron_block", nil),
        ])
    func distrusted(field: String, value: String?) throws {
        let fixture = try Fixture()
        _ = try fixture.push([job("a")])
        try fixture.store.recordHandOff(
            HandOff(
                target: .cron, submitted: UTCTime(secondsSince1970: 1_796_000_000), planDirectory: "/p/plan",
                ids: [], cronBlock: "clustmake demo"))
        let redis = try fixture.redis()
        let key = fixture.store.handOffKey
        if let value {
            _ = try redis.command(["HSET", RedisArgument(key), RedisArgument(field), RedisArgument(value)])
        } else {
            _ = try redis.command(["HDEL", RedisArgument(key), RedisArgument(field)])
        }
        #expect {
            _ = try fixture.store.handOff()
        } throws: { error in
            guard let error = error as? StoreError else { return false }
            return error.code == .corruptRecord && error.message.contains(key)
                && error.message.contains("field '\(field)'")
        }
    }
}
