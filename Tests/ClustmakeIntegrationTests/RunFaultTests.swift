import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `clustmake run` against faults of real redis and real hosts, each checked for exactly-once completion in redis:
/// every job done once, after its dependencies, no attempt recorded twice.
@Suite struct RunFaultTests {
    /// Two layers of `count` jobs of `seconds` each, every job of the second depending on one of the first, and
    /// `tail` on all of the second.
    static func layers(_ count: Int, seconds: Double) -> String {
        var text = "jobs:\n"
        for index in 0..<count {
            text += "  - {id: a\(index), command: \"sleep \(seconds)\", cost: \(seconds)}\n"
            text += "  - {id: b\(index), command: \"sleep \(seconds)\", cost: \(seconds), deps: [a\(index)]}\n"
        }
        text += "  - {id: tail, command: \"true\", deps: [\((0..<count).map { "b\($0)" }.joined(separator: ", "))]}\n"
        return text
    }

    /// No attempt number appears twice among a job's attempts, and each counts up from 1.
    static func expectNoAttemptTwice(_ record: RunRecord, sourceLocation: SourceLocation = #_sourceLocation) {
        for (job, attempts) in record.attempts {
            let numbers = attempts.map(\.number)
            #expect(numbers == Array(1...max(1, numbers.count)), "\(job): \(numbers)", sourceLocation: sourceLocation)
        }
    }

    @Test("redis restarted in the middle of a run (append-only file on): the run keeps its lease and completes once")
    func redisRestarted() throws {
        let fixture = try RunFixture(
            hosts: 2,
            redis: RedisServer.Options(extraArguments: ["--appendonly", "yes", "--appendfsync", "always"]))
        // b0 runs until the test has seen what it checks after the restart.
        let release = fixture.directory + "/release-restart"
        defer { _ = FileManager.default.createFile(atPath: release, contents: nil) }
        let graph = try fixture.graphFile(
            Self.layers(8, seconds: 0.5).replacingOccurrences(
                of: "{id: b0, command: \"sleep 0.5\"",
                with: "{id: b0, command: \"while [ ! -e \(release) ]; do sleep 0.05; done\""))
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(), "--redis", fixture.redisURL, "--namespace",
                fixture.ns("restart"),
            ])
        let store = try fixture.store("restart")
        let midway = try fixture.waitUntil(.seconds(60)) {
            let states = (try? store.states()) ?? [:]
            return states.values.contains(.done) && states["b0"] == .inProgress
        }
        try #require(midway, "the run never got half way")
        try fixture.redis.restart()
        // The run's lease survived in the append-only file, and the run renews it through a new connection.
        let redis = try fixture.redis.connect()
        let lease = "compmake:{\(fixture.ns("restart"))}:run"
        func expires() -> Int64 { (try? redis.command("HGET", lease, "expires").string).flatMap { Int64($0) } ?? 0 }
        let before = expires()
        #expect(before > 0, "the run's lease was lost with the restart")
        #expect(
            try fixture.waitUntil(.seconds(40)) { expires() > before },
            "the run never renewed its lease after the restart")
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        let result = try run.wait(timeout: .seconds(180))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(4000))")
        let record = try RunRecord(store: try fixture.store("restart"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        Self.expectNoAttemptTwice(record)
    }

    @Test("redis down when a command starts: a clear error within the connect timeout, nothing written")
    func redisDown() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile(Self.layers(2, seconds: 0.1))
        let port = fixture.redis.port
        fixture.redis.kill()
        for arguments in [
            ["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("down")],
            ["push", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("down")],
            ["status", "--redis", fixture.redisURL, "--namespace", fixture.ns("down")],
        ] {
            let started = ContinuousClock.now
            let result = try fixture.run(arguments, timeout: .seconds(60))
            #expect(ContinuousClock.now - started < .seconds(30), "\(arguments[0]) took too long")
            #expect(result.status == 1, "\(arguments[0]): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("127.0.0.1:\(port)"), "\(arguments[0]): \(result.stderr)")
            #expect(
                result.stderr.localizedCaseInsensitiveContains("refused")
                    || result.stderr.localizedCaseInsensitiveContains("cannot"), "\(arguments[0]): \(result.stderr)")
        }
        // Nothing half-written: no run lock is left behind, and redis, back, holds nothing of the namespace.
        try fixture.redis.restart()
        let keys = try fixture.redis.connect().command("KEYS", "compmake:{\(fixture.ns("down"))}:*")
        #expect(keys.array?.isEmpty == true, "\(keys)")
    }
}
