import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Testing

@Suite struct NamespacesTests {
    @Test("the namespaces are the names of the schema keys, sorted; keys not naming a valid namespace are passed over")
    func namespacesFromSchemaKeys() throws {
        let fixture = try Fixture(namespace: "beta")
        try fixture.push([job("a")])
        let alpha = try JobStore(connection: try fixture.redis(), namespace: "alpha")
        try alpha.push(try JobGraph(jobs: [job("x")]), pushedBy: "test")
        let redis = try fixture.redis()
        // Keys that look like schema keys but whose namespace is not one: braces, a path, spaces, nothing.
        for key in [
            "compmake:{a}:b}:schema", "compmake:{../etc}:schema", "compmake:{two words}:schema", "compmake:{}:schema",
            "compmake:alpha:schema", "other:{gamma}:schema",
        ] {
            _ = try redis.command("SET", key, "1")
        }
        #expect(try JobStore.namespaces(on: redis) == ["alpha", "beta"])
        #expect(try JobStore.namespaces(on: redis, limit: 1).count == 1)
    }

    @Test("a summary counts the jobs by state and spans the time its workers wrote, without reading attempts")
    func summary() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b", deps: ["a"]), job("c"), job("d")])
        let empty = try fixture.store.summary()
        #expect(empty.states == [.notStarted: 4] && empty.jobCount == 4)
        #expect(empty.firstSeen == nil && empty.lastSeen == nil)
        try run(fixture.store, "a")
        try run(fixture.store, "c", .failed)
        _ = try lease(fixture.store.acquire("d", more: false, request: request("h2")))
        let summary = try fixture.store.summary()
        #expect(summary.namespace == "ns" && summary.metadata.jobCount == 4)
        #expect(summary.states == [.done: 1, .notStarted: 1, .failed: 1, .inProgress: 1])
        let first = try #require(summary.firstSeen)
        let last = try #require(summary.lastSeen)
        #expect(first <= last)
    }

    @Test("a namespace that does not exist has no summary")
    func unknownNamespace() throws {
        let fixture = try Fixture(namespace: "missing")
        #expect(throws: StoreError.self) { try fixture.store.summary() }
    }
}
