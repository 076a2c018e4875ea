import ClustmakeModel
import ClustmakeRedis
import ClustmakeTestSupport
import Testing

@testable import ClustmakeStore

/// Recording a job and taking the next job's lease of the same line in one round trip
/// (`JobStore.finish(_:_:thenAcquire:more:)`): each step does what its own call does, exactly once.
@Suite struct FinishThenAcquireTests {
    @Test("the pair records the job and takes the next one's lease, in that order, with their events")
    func both() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"])])
        let asked = request()
        let first = try lease(fixture.store.acquire("a", more: false, request: asked))
        let (finished, next) = try fixture.store.finish(first, result(.succeeded), thenAcquire: "b", more: false)
        #expect(finished == .recorded(.done))
        let second = try lease(try #require(next).get())
        #expect(second.jobID == "b" && second.attempt == 1 && second.request == asked)
        #expect(second.startSequence > 1)
        #expect(try fixture.store.states() == ["a": .done, "b": .inProgress])
        #expect(try fixture.store.status(of: "b").leaseHolder == asked.token)
        let names = try fixture.store.events().map { "\($0.name) \($0.job ?? "")" }
        #expect(names.suffix(3) == ["job-started a", "job-succeeded a", "job-started b"])
        #expect(try fixture.store.finish(second, result(.succeeded)) == .recorded(.done))
    }

    @Test("sent again after a lost reply, the pair records the job once and returns the same lease of the next")
    func sentTwice() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b")])
        let first = try lease(fixture.store.acquire("a", more: false, request: request()))
        let once = try fixture.store.finish(first, result(.succeeded), thenAcquire: "b", more: false)
        let twice = try fixture.store.finish(first, result(.succeeded), thenAcquire: "b", more: false)
        #expect(once.finished == .recorded(.done) && twice.finished == .recorded(.done))
        let taken = try lease(try #require(once.next).get())
        let again = try lease(try #require(twice.next).get())
        #expect(taken.attempt == 1 && again.attempt == 1 && taken.startSequence == again.startSequence)
        #expect(try fixture.store.attempts(of: "a").count == 1 && fixture.store.attempts(of: "b").count == 1)
        let events = try fixture.store.events()
        #expect(events.filter { $0.name == "job-succeeded" }.count == 1)
        #expect(events.filter { $0.name == "job-started" && $0.job == "b" }.count == 1)
    }

    @Test("a next job held by another worker is left alone; the finish stands")
    func nextHeld() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b")])
        let other = try lease(fixture.another().acquire("b", more: false, request: request("h2")))
        let mine = try lease(fixture.store.acquire("a", more: false, request: request("h1")))
        let (finished, next) = try fixture.store.finish(mine, result(.succeeded), thenAcquire: "b", more: false)
        #expect(finished == .recorded(.done))
        #expect(try #require(next).get() == .held(token: other.request.token, attempt: 1, host: "h2"))
        #expect(try fixture.store.status(of: "b").attempts == 1)
        #expect(try fixture.store.states() == ["a": .done, "b": .inProgress])
    }

    @Test("an attempt that no longer owns its job takes no next lease")
    func supersededTakesNothing() async throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b")])
        let slow = try lease(fixture.store.acquire("a", more: false, request: request("h1", ttl: .milliseconds(100))))
        try await LeaseTests.waitUntilLost(fixture.store, "a")
        let fresh = try lease(fixture.another().acquire("a", more: false, request: request("h2")))
        let (finished, next) = try fixture.store.finish(slow, result(.succeeded), thenAcquire: "b", more: false)
        #expect(finished == .superseded("in-progress") && next == nil)
        #expect(try fixture.store.states() == ["a": .inProgress, "b": .notStarted])
        #expect(try fixture.store.status(of: "b").attempts == 0)
        #expect(try fixture.another().finish(fresh, result(.succeeded)) == .recorded(.done))
    }

    @Test("a next job the namespace does not have is an error of the acquire only; the finish stands")
    func unknownNext() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let first = try lease(fixture.store.acquire("a", more: false, request: request()))
        let (finished, next) = try fixture.store.finish(first, result(.succeeded), thenAcquire: "zz", more: false)
        #expect(finished == .recorded(.done))
        guard case .failure(let error) = try #require(next) else {
            Issue.record("expected the acquire to fail, got \(String(describing: next))")
            return
        }
        #expect(error.code == .unknownJob && error.message.contains("zz"))
        #expect(try fixture.store.states() == ["a": .done])
    }

    @Test("a next job whose dependency failed is recorded blocked by the pair")
    func nextBlocked() throws {
        let fixture = try Fixture()
        try fixture.push([job("x"), job("a"), job("b", deps: ["x"])])
        try run(fixture.store, "x", .failed)
        let first = try lease(fixture.store.acquire("a", more: false, request: request()))
        let (finished, next) = try fixture.store.finish(first, result(.succeeded), thenAcquire: "b", more: false)
        #expect(finished == .recorded(.done))
        #expect(try #require(next).get() == .blocked(dependency: "x", state: .failed))
        #expect(try fixture.store.state(of: "b") == .blocked)
    }

    @Test("a redis restarted while the first job ran (its script cache empty) records it once and takes the next")
    func restartedRedis() throws {
        let fixture = try Fixture.persistent()
        let (server, store) = (fixture.server, fixture.store)
        try fixture.push([job("a"), job("b")])
        let running = try lease(store.acquire("a", more: false, request: request()))
        try server.restart()
        try store.reconnect()
        let script = StoreScripts.finishThenAcquire.sha1
        #expect(try server.connect().command("SCRIPT", "EXISTS", script).array?.first?.integer == 0)
        let (finished, next) = try store.finish(running, result(.succeeded), thenAcquire: "b", more: false)
        #expect(finished == .recorded(.done))
        let taken = try lease(try #require(next).get())
        #expect(try store.finish(taken, result(.succeeded)) == .recorded(.done))
        #expect(try store.states() == ["a": .done, "b": .done])
        #expect(try store.attempts(of: "a").count == 1 && store.attempts(of: "b").count == 1)
    }

    @Test("taking a lease and recording the attempt cost redis at most 40 commands (3 keep outcomes, 1 reservations)")
    func commandsPerJob() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b"), job("c")])
        try run(fixture.store, "a")  // loads the scripts
        let redis = try fixture.redis()
        try redis.command("CONFIG", "RESETSTAT").expectOK()
        try run(fixture.store, "b")
        let stats = try #require(try redis.command("INFO", "commandstats").string)
        // `cmdstat_hset:calls=3,usec=…`: every command but the scripts themselves and this INFO.
        var calls = 0
        for line in stats.split(separator: "\r\n") where line.hasPrefix("cmdstat_") {
            let name = line.dropFirst("cmdstat_".count).prefix { $0 != ":" }
            guard !["evalsha", "eval", "info", "config"].contains(String(name)),
                let field = line.split(separator: ",").first?.split(separator: "=").last, let count = Int(field)
            else { continue }
            calls += count
        }
        #expect(calls <= 40, "\(stats)")
        #expect(try fixture.store.states() == ["a": .done, "b": .done, "c": .notStarted])
    }
}
