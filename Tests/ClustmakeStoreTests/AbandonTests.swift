import ClustmakeModel
import ClustmakeStore
import Testing

@Suite struct AbandonTests {
    @Test("an abandoned job is recorded failed with the reason, and its dependents are then found blocked")
    func abandoned() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"])])
        #expect(try fixture.store.abandon("a", reason: "lost 3 hosts (h1, h2, h3)") == .recorded)
        let status = try fixture.store.status(of: "a")
        #expect(status.state == .failed && status.reason == "lost 3 hosts (h1, h2, h3)" && status.attempts == 0)
        #expect(try fixture.store.events().map(\.name).last == "job-abandoned")
        guard case .blocked(let dependency, let state) = try fixture.store.acquire("b", more: false, request: request())
        else {
            Issue.record("b should be blocked")
            return
        }
        #expect(dependency == "a" && state == .failed)
    }

    @Test("a done job or one a live worker holds is left as it is")
    func leftAlone() throws {
        let fixture = try Fixture()
        try fixture.push([job("done"), job("running")])
        let first = try lease(fixture.store.acquire("done", more: false, request: request()))
        _ = try fixture.store.finish(first, result(.succeeded))
        #expect(try fixture.store.abandon("done", reason: "x") == .alreadyDone)
        _ = try lease(fixture.store.acquire("running", more: false, request: request()))
        #expect(try fixture.store.abandon("running", reason: "x") == .running)
        #expect(try fixture.store.state(of: "running") == .inProgress)
        #expect(throws: StoreError.self) { try fixture.store.abandon("nope", reason: "x") }
    }
}

@Suite struct RevokeTests {
    @Test("a revoked attempt is lost at once with the reason; the job starts again without waiting for its lease")
    func revoked() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let first = try lease(fixture.store.acquire("a", more: false, request: request("h1")))
        // Another host cannot take it while the lease lives.
        guard case .held = try fixture.store.acquire("a", more: false, request: request("h2")) else {
            Issue.record("a should be held")
            return
        }
        #expect(
            try fixture.store.revokeLease(of: "a", attempt: first.attempt, host: "h1", reason: "its host h1 failed"))
        let status = try fixture.store.status(of: "a")
        #expect(status.state == .lost && status.reason == "its host h1 failed")
        let attempt = try #require(try fixture.store.attempt(of: "a", number: first.attempt))
        #expect(attempt.state == .lost && attempt.reason == "its host h1 failed")
        #expect(try fixture.store.events().map(\.name).last == "job-lost")
        let second = try lease(fixture.store.acquire("a", more: false, request: request("h2")))
        #expect(second.attempt == first.attempt + 1)
        // The first worker, alive after all, finds its lease gone, and its late result does not count.
        #expect(try fixture.store.renew(first) == .lost)
        guard case .superseded = try fixture.store.finish(first, result(.succeeded)) else {
            Issue.record("the revoked attempt's result should be superseded")
            return
        }
        #expect(try fixture.store.state(of: "a") == .inProgress)
    }

    @Test("a worker that renews before another attempt starts takes its job back")
    func reclaimed() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let first = try lease(fixture.store.acquire("a", more: false, request: request("h1")))
        #expect(try fixture.store.revokeLease(of: "a", attempt: first.attempt, host: "h1", reason: "ssh exited 255"))
        #expect(try fixture.store.renew(first) == .reclaimed)
        #expect(try fixture.store.state(of: "a") == .inProgress)
    }

    @Test("only that attempt on that host while it owns the job: anything else is left as it is")
    func leftAlone() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b")])
        let a = try lease(fixture.store.acquire("a", more: false, request: request("h1")))
        #expect(try !fixture.store.revokeLease(of: "a", attempt: a.attempt, host: "h2", reason: "x"))
        #expect(try !fixture.store.revokeLease(of: "a", attempt: a.attempt + 1, host: "h1", reason: "x"))
        #expect(try fixture.store.state(of: "a") == .inProgress)
        _ = try fixture.store.finish(a, result(.succeeded))
        #expect(try !fixture.store.revokeLease(of: "a", attempt: a.attempt, host: "h1", reason: "x"))
        #expect(try fixture.store.state(of: "a") == .done)
        #expect(try !fixture.store.revokeLease(of: "b", attempt: 1, host: "h1", reason: "x"))
        #expect(try fixture.store.state(of: "b") == .notStarted)
    }
}

@Suite struct StoredPlanTests {
    @Test("the run's plan is kept with the namespace, replaced by the next run's, removed with nil, bounded in size")
    func roundTrip() throws {
        let fixture = try Fixture()
        #expect(throws: StoreError.self) { try fixture.store.storePlan(Array("{}".utf8)) }
        try fixture.push([job("a")])
        #expect(try fixture.store.plan() == nil)
        try fixture.store.storePlan(Array(#"{"format":"clustmake-plan/1"}"#.utf8))
        #expect(try fixture.store.plan() == Array(#"{"format":"clustmake-plan/1"}"#.utf8))
        try fixture.store.storePlan(Array("second".utf8))
        #expect(try fixture.store.plan() == Array("second".utf8))
        try fixture.store.storePlan(nil)
        #expect(try fixture.store.plan() == nil)
        let tooLarge = [UInt8](repeating: 32, count: JobStore.maximumPlanBytes + 1)
        #expect(throws: StoreError.self) { try fixture.store.storePlan(tooLarge) }
        #expect(fixture.store.planKey.hasSuffix(":plan") && fixture.store.planKey.contains("{"))
    }
}

@Suite struct BulkStatusTests {
    @Test("statuses of several jobs come back in order, as status(of:) reads each; an unknown job is an error")
    func statuses() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b"), job("c")])
        let lease = try lease(fixture.store.acquire("b", more: false, request: request("h1")))
        let read = try fixture.store.statuses(of: ["c", "b", "a"])
        #expect(read.map(\.id) == ["c", "b", "a"])
        #expect(read.map(\.state) == [.notStarted, .inProgress, .notStarted])
        let single = try fixture.store.status(of: "b")
        #expect(read[1].fields == single.fields && read[1].leaseHolder == single.leaseHolder)
        #expect(read[1].host == "h1" && read[1].currentAttempt == lease.attempt)
        #expect(throws: StoreError.self) { try fixture.store.statuses(of: ["a", "nope"]) }
        #expect(try fixture.store.statuses(of: []).isEmpty)
    }
}
