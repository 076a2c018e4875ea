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
