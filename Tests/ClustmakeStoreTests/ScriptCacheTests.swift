import ClustmakeModel
import ClustmakeRedis
import ClustmakeTestSupport
import Testing

@testable import ClustmakeStore

/// The store runs its scripts by name (`EVALSHA`) and sends a script's source only when redis lacks it.
@Suite struct ScriptCacheTests {
    @Test("a first push while another holds the namespace's pushing key is refused as busy, and writes nothing")
    func firstPushRefusedWhileHeld() throws {
        let fixture = try Fixture()
        let redis = try fixture.redis()
        _ = try redis.command("SET", "compmake:{ns}:pushing", "theirs", "PX", "60000")
        let refused = #expect(throws: StoreError.self) {
            try fixture.store.push(try JobGraph(jobs: [job("a")]), pushedBy: "test")
        }
        #expect(refused?.code == .busy && refused?.message.contains("for the first time") == true)
        #expect(try redis.command("EXISTS", "compmake:{ns}:states", "compmake:{ns}:schema").integer == 0)
        #expect(try redis.command("GET", "compmake:{ns}:pushing").string == "theirs")
    }

    @Test("each script's written-out name is the SHA-1 of its source, the one redis gives it (SCRIPT LOAD)")
    func namesMatchRedis() throws {
        let fixture = try Fixture()
        let redis = try fixture.redis()
        #expect(StoreScripts.all.count == 10)
        for (name, script) in StoreScripts.all {
            let computed = SHA1.hex(of: script.source)
            #expect(
                script.sha1 == computed,
                "StoreScripts.\(name) changed: write sha1: \"\(computed)\" in its StoreScript(sha1:_:)")
            #expect(try redis.command(["SCRIPT", "LOAD", RedisArgument(script.source)]).string == script.sha1)
        }
        #expect(Set(StoreScripts.all.map(\.script.sha1)).count == StoreScripts.all.count)
    }

    @Test("a script cache flushed between calls costs one EVAL each, and every call still does its work")
    func flushedBetweenCalls() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"]), job("c", deps: ["b"])])
        let redis = try fixture.redis()
        try redis.command("SCRIPT", "FLUSH").expectOK()
        try redis.command("CONFIG", "RESETSTAT").expectOK()
        let first = try lease(fixture.store.acquire("a", more: false, request: request()))
        try redis.command("SCRIPT", "FLUSH").expectOK()
        #expect(try fixture.store.renew(first) == .renewed)
        try redis.command("SCRIPT", "FLUSH").expectOK()
        #expect(try fixture.store.finish(first, result(.succeeded)) == .recorded(.done))
        let flushed = try calls(redis)
        #expect(flushed == Calls(evalsha: 3, eval: 3, noscript: 3))

        // The last flush took the take and renew scripts: they come back once, the finish script stays cached.
        try redis.command("CONFIG", "RESETSTAT").expectOK()
        try runWithRenewal(fixture.store, "b")
        let refilled = try calls(redis)
        #expect(refilled == Calls(evalsha: 3, eval: 2, noscript: 2))

        // With every script cached, no source travels again.
        try redis.command("CONFIG", "RESETSTAT").expectOK()
        try runWithRenewal(fixture.store, "c")
        let cached = try calls(redis)
        #expect(cached == Calls(evalsha: 3, eval: 0, noscript: 0))
        #expect(try fixture.store.states() == ["a": .done, "b": .done, "c": .done])
        for id in ["a", "b", "c"] { #expect(try fixture.store.attempts(of: id).count == 1) }
    }

    @Test("a redis restarted while a job runs (its script cache empty) records the job once")
    func restartedRedis() throws {
        let fixture = try Fixture.persistent()
        let (server, store) = (fixture.server, fixture.store)
        try fixture.push([job("a")])
        let running = try lease(store.acquire("a", more: false, request: request()))
        try server.restart()
        try store.reconnect()
        #expect(try server.connect().command("SCRIPT", "EXISTS", StoreScripts.finish.sha1).array?.first?.integer == 0)
        #expect(try store.finish(running, result(.succeeded)) == .recorded(.done))
        #expect(try store.state(of: "a") == .done && store.attempts(of: "a").count == 1)
    }

    /// Takes `id`'s lease, renews it once and records it succeeded.
    func runWithRenewal(_ store: JobStore, _ id: String) throws {
        let taken = try lease(store.acquire(id, more: false, request: request()))
        #expect(try store.renew(taken) == .renewed)
        #expect(try store.finish(taken, result(.succeeded)) == .recorded(.done))
    }

    struct Calls: Equatable {
        var evalsha: Int
        var eval: Int
        var noscript: Int
    }

    /// Calls of `EVALSHA` and `EVAL`, and `NOSCRIPT` errors, since the last `CONFIG RESETSTAT`.
    func calls(_ redis: RedisConnection) throws -> Calls {
        let commands = try #require(try redis.command("INFO", "commandstats").string)
        let errors = try #require(try redis.command("INFO", "errorstats").string)
        func count(_ text: String, _ prefix: String, _ field: String) -> Int {
            for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix(prefix + ":") {
                for part in line.dropFirst(prefix.count + 1).split(separator: ",") {
                    let pair = part.split(separator: "=", maxSplits: 1)
                    if pair.count == 2, pair[0] == field { return Int(pair[1]) ?? -1 }
                }
            }
            return 0
        }
        return Calls(
            evalsha: count(commands, "cmdstat_evalsha", "calls"), eval: count(commands, "cmdstat_eval", "calls"),
            noscript: count(errors, "errorstat_NOSCRIPT", "count"))
    }
}
