import ClustmakeModel
import ClustmakeRedis
import ClustmakeTestSupport
import Testing

@testable import ClustmakeStore

/// Reservations (docs/run.md, "Reservations"): a worker reserves the next job of its line while the current one
/// runs, starts its command the moment the current one ends, and records the end and the start in one step. Each
/// check reads redis: one attempt per start, starts after the dependencies' ends, nothing left held.
@Suite struct ReservationTests {
    /// The lease key of `id` in the fixture's namespace, and its time to live in ms (-2: no key).
    private func leaseKey(_ fixture: Fixture, _ id: String) throws -> (holder: String?, ttl: Int64) {
        let redis = try fixture.redis()
        let key = fixture.store.keys.lease(id)
        return (try redis.command("GET", key).string, try redis.command("PTTL", key).integer ?? -2)
    }

    @Test("a reservation writes the lease key only; others leave the job alone; its holder starts that attempt")
    func reserveThenStart() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", "echo b", deps: ["a"]), job("c", deps: ["b"])])
        let mine = request("h1")
        let (outcome, reserved) = try fixture.store.acquire("a", more: false, request: mine, thenReserve: "b")
        let first = try lease(outcome)
        let reservation = try #require(reserved)
        #expect(reservation.jobID == "b" && reservation.attempt == 1 && reservation.digest.count == 64)
        #expect(reservation.job.job.command == .shell("echo b"))
        #expect(try leaseKey(fixture, "b").holder == mine.token)
        // Nothing but the lease key: b is not started, has no attempt, and no event names it.
        #expect(try fixture.store.states() == ["a": .inProgress, "b": .notStarted, "c": .notStarted])
        #expect(try fixture.store.status(of: "b").attempts == 0)
        #expect(try fixture.store.events().allSatisfy { $0.job != "b" })
        // Another worker is refused b, and cannot reserve it either.
        let other = try fixture.another()
        #expect(try other.acquire("b", more: false, request: request("h2")) == .reserved(token: mine.token))
        #expect(try other.reserve("b", after: "a", more: false, request: request("h2")) == nil)

        let step = try fixture.store.finish(
            first, result(.succeeded), thenAcquire: "b", more: false, expecting: reservation, thenReserve: "c")
        #expect(step.finished == .recorded(.done))
        let second = try lease(try #require(step.next).get())
        #expect(second.jobID == "b" && second.attempt == 1 && second.job == reservation.job)
        #expect(try #require(step.reservation).jobID == "c")
        #expect(try fixture.store.states() == ["a": .done, "b": .inProgress, "c": .notStarted])
        let names = try fixture.store.events().map { "\($0.name) \($0.job ?? "")" }
        #expect(names.suffix(3) == ["job-started a", "job-succeeded a", "job-started b"])
        #expect(try fixture.store.finish(second, result(.succeeded), releasing: "c") == .recorded(.done))
        #expect(try leaseKey(fixture, "c").holder == nil)
        #expect(try fixture.store.attempts(of: "b").count == 1)
    }

    @Test("no reservation while a dependency other than the current job is not done, or the job is up to date")
    func notReserved() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("x"), job("b", deps: ["a", "x"]), job("d")])
        try run(fixture.store, "d")
        let (outcome, reserved) = try fixture.store.acquire("a", more: false, request: request(), thenReserve: "b")
        let first = try lease(outcome)
        #expect(reserved == nil)
        #expect(try fixture.store.reserve("d", after: "a", more: false, request: first.request) == nil)
        #expect(try fixture.store.reserve("zz", after: "a", more: false, request: first.request) == nil)
        #expect(try leaseKey(fixture, "b").holder == nil && leaseKey(fixture, "d").holder == nil)
        try run(fixture.store, "x")
        #expect(try fixture.store.reserve("b", after: "a", more: false, request: first.request) != nil)
        // `more` reserves a done job.
        #expect(try fixture.store.reserve("d", after: "a", more: true, request: first.request)?.attempt == 2)
    }

    @Test("a job changed by a push after its reservation is not started; the reservation is given back")
    func staleDefinition() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", "echo old")])
        let (outcome, reserved) = try fixture.store.acquire("a", more: false, request: request(), thenReserve: "b")
        let first = try lease(outcome)
        let reservation = try #require(reserved)
        try fixture.push([job("a"), job("b", "echo new")])
        let step = try fixture.store.finish(
            first, result(.succeeded), thenAcquire: "b", more: false, expecting: reservation, thenReserve: nil)
        #expect(step.finished == .recorded(.done))
        guard case .stale(let attempt, let digest) = try #require(step.next).get() else {
            Issue.record("expected a stale start, got \(String(describing: step.next))")
            return
        }
        #expect(attempt == 1 && digest != reservation.digest)
        #expect(try fixture.store.status(of: "b").attempts == 0 && fixture.store.state(of: "b") == .notStarted)
        #expect(try leaseKey(fixture, "b").holder == nil)
        // Asked again without the reservation, b starts with its new definition.
        let fresh = try lease(fixture.store.acquire("b", more: false, request: first.request))
        #expect(fresh.attempt == 1 && fresh.job.job.command == .shell("echo new"))
    }

    @Test("a failed job gives its reservation back; the reserved dependent is then blocked for anyone")
    func failedGivesBack() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"])])
        let (outcome, reserved) = try fixture.store.acquire("a", more: false, request: request(), thenReserve: "b")
        let first = try lease(outcome)
        #expect(reserved != nil)
        #expect(try fixture.store.finish(first, result(.failed, exit: 1), releasing: "b") == .recorded(.failed))
        #expect(try leaseKey(fixture, "b").holder == nil)
        let other = try fixture.another()
        #expect(
            try other.acquire("b", more: false, request: request("h2")) == .blocked(dependency: "a", state: .failed))
    }

    @Test("an attempt that no longer owns its job gives the reservation of the next one back")
    func supersededGivesBack() async throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b")])
        let slow = request("h1", ttl: .milliseconds(100))
        let (outcome, reserved) = try fixture.store.acquire("a", more: false, request: slow, thenReserve: "b")
        let first = try lease(outcome)
        let reservation = try #require(reserved)
        try await LeaseTests.waitUntilLost(fixture.store, "a")
        let fresh = try lease(fixture.another().acquire("a", more: false, request: request("h2")))
        // The reservation's own time may be over too (its ttl is the lease's): give it a long one again.
        try fixture.redis().command("SET", fixture.store.keys.lease("b"), slow.token, "PX", "30000").expectOK()
        let step = try fixture.store.finish(
            first, result(.succeeded), thenAcquire: "b", more: false, expecting: reservation, thenReserve: nil)
        #expect(step.finished == .superseded("in-progress") && step.next == nil)
        #expect(try leaseKey(fixture, "b").holder == nil)
        #expect(try fixture.store.status(of: "b").attempts == 0)
        #expect(try fixture.another().finish(fresh, result(.succeeded)) == .recorded(.done))
    }

    @Test("the heartbeat renews the reservation with the lease; a lost one is not renewed")
    func renewed() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b")])
        let (outcome, reserved) = try fixture.store.acquire("a", more: false, request: request(), thenReserve: "b")
        let first = try lease(outcome)
        #expect(reserved != nil)
        let redis = try fixture.redis()
        #expect(try redis.command("PEXPIRE", fixture.store.keys.lease("b"), "1000").expectInteger() == 1)
        #expect(try fixture.store.renew(first, reserved: "b") == .renewed)
        #expect(try leaseKey(fixture, "b").ttl > 20_000)
        // Someone else's key is left as it is.
        try redis.command("SET", fixture.store.keys.lease("b"), "h9/1/x", "PX", "1000").expectOK()
        #expect(try fixture.store.renew(first, reserved: "b") == .renewed)
        #expect(try leaseKey(fixture, "b").ttl <= 1000 && leaseKey(fixture, "b").holder == "h9/1/x")
    }

    @Test("the executor gives back a host's reservations, never a lease of a job in progress")
    func releasedByHost() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b"), job("c")])
        let (outcome, reserved) = try fixture.store.acquire("a", more: false, request: request("h1"), thenReserve: "b")
        _ = try lease(outcome)
        #expect(reserved != nil)
        #expect(try fixture.store.releaseReservations(["a", "b", "c"], host: "h2") == 0)
        #expect(try fixture.store.releaseReservations(["a", "b", "c"], host: "h") == 0)
        #expect(try fixture.store.releaseReservations(["a", "b", "c"], host: "h1") == 1)
        #expect(try leaseKey(fixture, "b").holder == nil)
        #expect(try leaseKey(fixture, "a").holder != nil && fixture.store.state(of: "a") == .inProgress)
    }

    @Test("a job whose definition cannot be read is not run, and the job reserved after it is given back")
    func unreadableDefinition() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"])])
        _ = try fixture.redis().command("HSET", fixture.store.keys.job("a"), "nice", "often").expectInteger()
        #expect(throws: StoreError.self) {
            try fixture.store.acquire("a", more: false, request: request(), thenReserve: "b")
        }
        #expect(try leaseKey(fixture, "a").holder == nil && leaseKey(fixture, "b").holder == nil)
        #expect(try fixture.store.state(of: "b") == .notStarted)
    }

    @Test("a job given up on loses its reservation with it")
    func abandonedGivesBack() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b")])
        let (_, reserved) = try fixture.store.acquire("a", more: false, request: request(), thenReserve: "b")
        #expect(reserved != nil)
        #expect(try fixture.store.abandon("b", reason: "lost too many hosts") == .recorded)
        #expect(try leaseKey(fixture, "b").holder == nil && fixture.store.state(of: "b") == .failed)
    }
}
