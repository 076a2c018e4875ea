import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct LeaseTests {
    @Test("a job goes not-started, in-progress, done; a done job is up to date unless more is asked")
    func lifecycle() throws {
        let fixture = try Fixture()
        try fixture.push([job("a", "echo hi")])
        let first = try lease(fixture.store.acquire("a", more: false, request: request()))
        #expect(first.attempt == 1 && first.job.job.command == .shell("echo hi"))
        #expect(try fixture.store.state(of: "a") == .inProgress)
        #expect(try fixture.store.status(of: "a").leaseHolder == first.request.token)
        #expect(try fixture.store.finish(first, result(.succeeded, stdout: "hi\n")) == .recorded(.done))
        #expect(try fixture.store.acquire("a", more: false, request: request()) == .upToDate)
        let again = try lease(fixture.store.acquire("a", more: true, request: request("h2")))
        #expect(again.attempt == 2)
        #expect(try fixture.store.finish(again, result(.succeeded)) == .recorded(.done))
        let status = try fixture.store.status(of: "a")
        #expect(status.state == .done && status.attempts == 2 && status.doneAttempt == 2)
        let attempts = try fixture.store.attempts(of: "a")
        #expect(attempts.map(\.number) == [1, 2] && attempts.map(\.host) == ["h1", "h2"])
        let record = attempts[0]
        #expect(record.state == .succeeded && record.exitStatus == 0 && record.wallTime == 0.25)
        #expect(record.userCPU == 0.125 && record.maxRSS == 4_194_304 && record.workerVersion == "test")
        #expect(record.started != nil && record.ended != nil && record.nodename == "node-h1")
        #expect(try fixture.store.output(of: "a", attempt: 1, .stdout) == Array("hi\n".utf8))
        let names = try fixture.store.events().map(\.name)
        #expect(names == ["graph-pushed", "job-started", "job-succeeded", "job-started", "job-succeeded"])
        let hosts = try fixture.store.hosts()
        #expect(hosts.map(\.nickname) == ["h1", "h2"] && hosts[0].started == 1 && hosts[0].succeeded == 1)
    }

    @Test("a second worker cannot take a held lease")
    func held() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let mine = try lease(fixture.store.acquire("a", more: false, request: request("h1")))
        let other = try fixture.another().acquire("a", more: true, request: request("h2"))
        #expect(other == .held(token: mine.request.token, attempt: 1, host: "h1"))
        #expect(try fixture.store.status(of: "a").attempts == 1)
    }

    @Test("taking a lease again with the same token (after a lost reply) returns the same attempt")
    func idempotentAcquire() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let asked = request()
        let first = try lease(fixture.store.acquire("a", more: false, request: asked))
        let second = try lease(fixture.store.acquire("a", more: false, request: asked))
        #expect(first.attempt == second.attempt && first.startSequence == second.startSequence)
        #expect(try fixture.store.status(of: "a").attempts == 1)
    }

    @Test("a failure blocks the dependents, transitively, and recording twice changes nothing")
    func failureBlocks() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"]), job("c", deps: ["b"])])
        let failing = try lease(fixture.store.acquire("a", more: false, request: request()))
        #expect(
            try fixture.store.finish(failing, result(.failed, exit: 3, reason: "exited with status 3"))
                == .recorded(.failed))
        #expect(try fixture.store.finish(failing, result(.failed, exit: 3)) == .recorded(.failed))
        #expect(
            try fixture.store.acquire("b", more: false, request: request()) == .blocked(dependency: "a", state: .failed)
        )
        #expect(
            try fixture.store.acquire("c", more: false, request: request())
                == .blocked(dependency: "b", state: .blocked))
        let b = try fixture.store.status(of: "b")
        #expect(b.state == .blocked && b.blockedBy == "a" && b.reason == "dependency 'a' is failed")
        #expect(try fixture.store.status(of: "a").reason == "exited with status 3")
        let names = try fixture.store.events().map(\.name)
        #expect(names.filter { $0 == "job-failed" }.count == 1)
        #expect(names.filter { $0 == "job-blocked" }.count == 2)
        // Once the dependency is done, the blocked job runs.
        try run(fixture.store, "a", more: true)
        #expect(try run(fixture.store, "b") == .recorded(.done))
    }

    @Test("a job whose dependencies are not done waits, and is told what it waits for")
    func waiting() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("x"), job("b", deps: ["a", "x"])])
        try run(fixture.store, "a")
        let running = try lease(fixture.store.acquire("x", more: false, request: request()))
        guard case .wait(let missing, let last) = try fixture.store.acquire("b", more: false, request: request()) else {
            Issue.record("expected to wait")
            return
        }
        #expect(missing == [MissingDependency(id: "x", state: .inProgress)])
        #expect(last == (try fixture.store.lastEventID()))
        #expect(try fixture.store.state(of: "b") == .notStarted)
        #expect(try fixture.store.finish(running, result(.succeeded)) == .recorded(.done))
        let events = try fixture.store.waitForEvents(after: last, timeout: .milliseconds(100))
        #expect(events.map(\.name) == ["job-succeeded"] && events.first?.job == "x")
        #expect(try run(fixture.store, "b") == .recorded(.done))
    }

    /// Waits until `job`'s lease has run out (on redis's clock), which readers see as ``JobState/lost``.
    static func waitUntilLost(_ store: JobStore, _ job: String) async throws {
        try await TestWait.until("the lease of \(job) runs out", timeout: .seconds(30), interval: .milliseconds(20)) {
            (try? store.states()[job]) == .lost
        }
    }

    @Test("a lease that expires makes the job lost; readers see it at once and reaping records it")
    func lost() async throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let dead = try lease(fixture.store.acquire("a", more: false, request: request(ttl: .milliseconds(100))))
        try await Self.waitUntilLost(fixture.store, "a")
        #expect(try fixture.store.states()["a"] == .lost)
        #expect(try fixture.store.status(of: "a").state == .lost)
        #expect(try fixture.store.reapLostJobs() == ["a"])
        #expect(try fixture.store.reapLostJobs() == [])
        #expect(try fixture.store.attempt(of: "a", number: 1)?.state == .lost)
        #expect(try fixture.store.events().last?.name == "job-lost")
        // Nobody else started it: the first worker's heartbeat takes it back.
        #expect(try fixture.store.renew(dead) == .reclaimed)
        #expect(try fixture.store.state(of: "a") == .inProgress)
        #expect(try fixture.store.attempt(of: "a", number: 1)?.state == .running)
        #expect(try fixture.store.finish(dead, result(.succeeded)) == .recorded(.done))
    }

    @Test("an attempt taken over after its lease expired does not count")
    func superseded() async throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let slow = try lease(fixture.store.acquire("a", more: false, request: request("h1", ttl: .milliseconds(100))))
        try await Self.waitUntilLost(fixture.store, "a")
        let other = try fixture.another()
        let fresh = try lease(other.acquire("a", more: false, request: request("h2")))
        #expect(fresh.attempt == 2)
        #expect(try fixture.store.attempt(of: "a", number: 1)?.state == .lost)
        #expect(try fixture.store.renew(slow) == .lost)
        #expect(try fixture.store.finish(slow, result(.succeeded)) == .superseded("in-progress"))
        #expect(try fixture.store.attempt(of: "a", number: 1)?.superseded != nil)
        #expect(try other.finish(fresh, result(.failed)) == .recorded(.failed))
        #expect(try fixture.store.hosts().first { $0.nickname == "h1" }?.lost == 1)
    }

    @Test("running a done job again makes everything downstream not up to date")
    func moreInvalidates() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"]), job("c", deps: ["b"]), job("other")])
        for id in ["a", "b", "c", "other"] { try run(fixture.store, id) }
        let again = try lease(fixture.store.acquire("a", more: true, request: request()))
        #expect(try fixture.store.states() == ["a": .inProgress, "b": .notStarted, "c": .notStarted, "other": .done])
        #expect(try fixture.store.events().last { $0.name == "jobs-invalidated" }?.fields["count"] == "2")
        guard case .wait = try fixture.store.acquire("b", more: false, request: request()) else {
            Issue.record("b should wait for a")
            return
        }
        _ = try fixture.store.finish(again, result(.succeeded))
        #expect(try run(fixture.store, "b") == .recorded(.done))
    }

    @Test("a job whose dependency ran again while it ran is not up to date")
    func staleDependency() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"])])
        try run(fixture.store, "a")
        let b = try lease(fixture.store.acquire("b", more: false, request: request()))
        try run(fixture.store, "a", more: true)
        #expect(try fixture.store.finish(b, result(.succeeded)) == .recorded(.notStarted))
        #expect(try fixture.store.events().last?.name == "job-stale")
        #expect(try run(fixture.store, "b") == .recorded(.done))
    }

    @Test("a heartbeat renews the lease")
    func renew() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let held = try lease(fixture.store.acquire("a", more: false, request: request(ttl: .milliseconds(300))))
        for _ in 0..<4 {
            usleep(150_000)
            #expect(try fixture.store.renew(held) == .renewed)
        }
        #expect(try fixture.store.states()["a"] == .inProgress)
    }

    @Test("unknown jobs are reported by name")
    func unknownJob() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        let error = try #require(throws: StoreError.self) {
            try fixture.store.acquire("zz", more: false, request: request())
        }
        #expect(error.code == .unknownJob && error.message.contains("'zz'"))
    }
}
