import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import Testing

@Suite struct RunListingTests {
    static func summary(
        _ namespace: String, _ states: [JobState: Int], first: Double? = nil, last: Double? = nil,
        pushed: Double = 0
    ) -> NamespaceSummary {
        let metadata = RunMetadata(
            namespace: namespace, fingerprint: nil, jobCount: states.values.reduce(0, +), created: nil,
            pushed: UTCTime(secondsSince1970: pushed), pushes: 1, pushedBy: "test", fields: [:])
        return NamespaceSummary(
            namespace: namespace, metadata: metadata, states: states,
            firstSeen: first.map { UTCTime(secondsSince1970: $0) }, lastSeen: last.map { UTCTime(secondsSince1970: $0) }
        )
    }

    @Test(
        "a namespace's state follows from its jobs' states",
        arguments: [
            ([JobState.done: 3, .inProgress: 1, .failed: 1], true, RunListing.RunState.running),
            ([.done: 3], true, .finished),
            ([.done: 2, .failed: 1], true, .failed),
            ([.done: 2, .blocked: 1], true, .failed),
            ([.done: 2, .lost: 1], true, .failed),
            ([.done: 2, .interrupted: 1, .notStarted: 2], true, .interrupted),
            ([.done: 2, .notStarted: 1], true, .incomplete),
            ([.notStarted: 3], true, .incomplete),
            ([.notStarted: 3], false, .pushed),
            ([:], false, .empty),
        ])
    func state(states: [JobState: Int], started: Bool, expected: RunListing.RunState) {
        #expect(RunListing.RunState(states: states, started: started) == expected)
    }

    @Test("running namespaces come first, then the most recent by last activity or push; unreadable ones last")
    func order() {
        let listing = RunListing(
            [
                Self.summary("old", [.done: 2], first: 100, last: 200),
                Self.summary("new", [.done: 1, .failed: 1], first: 300, last: 400),
                Self.summary("live", [.inProgress: 1, .notStarted: 1], first: 50, last: 60),
                Self.summary("fresh", [.notStarted: 5], pushed: 500),
            ], unreadable: [(namespace: "v9", problem: "has schema version 9")])
        #expect(listing.rows.map(\.namespace) == ["live", "fresh", "new", "old", "v9"])
        #expect(listing.rows.map(\.state) == [.running, .pushed, .failed, .finished, .unreadable])
        let live = listing.rows[0]
        #expect(live.end == nil && live.start == 50, "a running namespace has no end yet")
        #expect(listing.rows[2].done == 1 && listing.rows[2].failed == 1 && listing.rows[2].jobs == 2)
    }

    @Test("the text has one row per namespace and the reason of an unreadable one; JSON has every field")
    func output() throws {
        let listing = RunListing(
            [Self.summary("hello", [.done: 6], first: 1_741_000_000, last: 1_741_000_005)],
            unreadable: [(namespace: "v9", problem: "has schema version 9")])
        let text = listing.text(place: "redis at localhost:6379")
        #expect(text.hasPrefix("clustmake runs: 2 namespaces in redis at localhost:6379, the most recent first\n"))
        #expect(text.contains("  hello      finished       6       0     6  2025-03-03T11:06:40.000Z"), "\(text)")
        #expect(text.contains("  v9: has schema version 9\n"))
        let one = RunListing([Self.summary("a", [.done: 1])]).text(place: "redis at x")
        #expect(one.hasPrefix("clustmake runs: 1 namespace in redis at x"))
        #expect(RunListing([]).text(place: "redis at x").contains("no namespace in redis at x"))

        let json = try JSONValue.parse(String(decoding: listing.json(), as: UTF8.self))
        #expect(json["format"]?.stringValue == "clustmake-runs/1")
        let hello = try #require(json["runs"]?[0])
        #expect(hello["namespace"]?.stringValue == "hello" && hello["state"]?.stringValue == "finished")
        #expect(hello["done"]?.intValue == 6 && hello["failed"]?.intValue == 0 && hello["jobs"]?.intValue == 6)
        #expect(hello["states"]?["done"]?.intValue == 6 && hello["states"]?["lost"]?.intValue == 0)
        #expect(hello["start"]?.stringValue == "2025-03-03T11:06:40.000Z")
        #expect(hello["end"]?.stringValue == "2025-03-03T11:06:45.000Z")
        #expect(hello["problem"]?.isNull == true)
        #expect(json["runs"]?[1]?["problem"]?.stringValue == "has schema version 9")
    }
}
