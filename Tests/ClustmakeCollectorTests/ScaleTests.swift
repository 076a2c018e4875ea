import ClustmakeCollector
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// A large recorded run read back whole. bench/stats-scale.py runs this test with `CLUSTMAKE_BENCH_REDIS` (a
/// redis URL) and `CLUSTMAKE_BENCH_ATTEMPTS` set, to fill that server with 100,000 attempts before it times
/// `clustmake stats`.
@Suite struct ScaleTests {
    @Test("thousands of attempts recorded by the worker's API are all read back, and the statistics add up")
    func scale() async throws {
        let environment = ProcessInfo.processInfo.environment
        let attempts = environment["CLUSTMAKE_BENCH_ATTEMPTS"].flatMap { Int($0) } ?? 2_200
        var server: RedisServer?
        let endpoint: RedisEndpoint
        if let url = environment["CLUSTMAKE_BENCH_REDIS"] {
            endpoint = try RedisEndpoint(parsing: url)
        } else {
            server = try RedisServer()
            endpoint = server!.endpoint
        }
        let shape = ScaleHistory.Shape(attempts: attempts)
        let store = try JobStore(
            connection: try RedisConnection(endpoint: endpoint, commandTimeout: .seconds(60)), namespace: "scale")
        try store.push(try ScaleHistory.graph(shape), pushedBy: "test")
        let writer = HistoryWriter(store: store, redis: try RedisConnection(endpoint: endpoint))
        let written = try ScaleHistory.record(shape, with: writer)
        withExtendedLifetime(server) {}
        #expect(written == attempts)

        let snapshot = try store.snapshot()
        #expect(snapshot.jobs.count == shape.jobs)
        #expect(snapshot.attemptCount == attempts)
        let history = RunHistory(snapshot)
        // Built on two cores, the same history.
        let built = await RunHistory.building(snapshot)
        #expect(built.jobs == history.jobs && built.attempts == history.attempts)
        #expect(built.namespace == history.namespace && built.now == history.now)
        let statistics = await RunStatistics(history)
        #expect(statistics.run.attempts == attempts)
        #expect(statistics.run.retries == attempts - shape.jobs)
        #expect(statistics.run.states[.done] == shape.jobs)
        #expect(statistics.run.outcomes[.failed] == attempts - shape.jobs)
        // One worker per lane ran its jobs back to back: the lanes reproduce the slots.
        #expect(statistics.hosts.count == shape.hosts)
        #expect(statistics.hosts.allSatisfy { $0.lanes == shape.lanes })
        // The last job of the busiest lane ends the run; its chain of dependencies is the critical path.
        #expect(statistics.criticalPath.count >= shape.jobs / shape.lanesTotal)
        let cumulative = history.attempts.reduce(0.0) { $0 + ($1.wallTime ?? 0) }
        #expect(abs(statistics.run.cumulativeWallTime - cumulative) < 1e-6 * cumulative)
    }
}
