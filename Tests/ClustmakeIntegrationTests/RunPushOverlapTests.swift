import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A large graph pushed into a new namespace runs while its push writes it (docs/run.md, "The push and the first
/// jobs overlap"): what redis holds at the end is what a push before the run would have left.
@Suite struct RunPushOverlapTests {
    /// `a` (which fails when `failing`), `fanOut` jobs `b…` after it, `free` jobs `c…` of their own, as JSON.
    static func graph(fanOut: Int, free: Int, failing: Bool) -> String {
        var jobs = [#"{"id": "a", "command": "\#(failing ? "exit 3" : "true")"}"#]
        jobs += (0..<fanOut).map { #"{"id": "b\#($0)", "command": "true", "deps": ["a"]}"# }
        jobs += (0..<free).map { #"{"id": "c\#($0)", "command": "true"}"# }
        return #"{"jobs": ["# + jobs.joined(separator: ",\n") + "]}\n"
    }

    /// The `--json` events of a run's standard output.
    static func events(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    @Test("a job failing while the push writes the graph blocks its dependents in redis, written before or after")
    func failureWhileWriting() throws {
        let fixture = try RunFixture(hosts: 1)
        let fanOut = 2500
        let free = 1500
        let graph = try fixture.graphFile(Self.graph(fanOut: fanOut, free: free, failing: true), name: "jobs.json")
        let namespace = fixture.ns("overlap")
        let result = try fixture.run(
            ["run", graph, "--redis", fixture.redisURL, "--namespace", namespace, "--json"], timeout: .seconds(300))
        #expect(result.status == 1, "\(result.stderr.suffix(3000))")
        let events = Self.events(result.stdout)
        let written = events.filter { $0["event"] as? String == "graph-written" }
        #expect(written.count == 1 && written.first?["jobs"] as? Int == 1 + fanOut + free, "\(written)")
        let blocked = events.filter { $0["event"] as? String == "jobs-blocked" }
        #expect(blocked.reduce(0) { $0 + ($1["recorded"] as? Int ?? 0) } == fanOut, "\(blocked.count) events")
        let finished = try #require(events.last { $0["event"] as? String == "run-finished" })
        #expect(finished["done"] as? Int == free && finished["blocked"] as? Int == fanOut)

        let store = try fixture.store("overlap")
        let meta = try store.metadata()
        #expect(meta.fingerprint != nil && meta.pushes == 1 && meta.jobCount == 1 + fanOut + free)
        #expect(try store.events(count: 100_000).filter { $0.name == "graph-pushed" }.count == 1)
        let record = try RunRecord(store: store)
        #expect(record.graph.count == 1 + fanOut + free)
        #expect(record.states["a"] == .failed && record.attempts["a"]?.count == 1)
        for index in 0..<fanOut {
            let id = "b\(index)"
            #expect(record.states[id] == .blocked && record.attempts[id, default: []].isEmpty, "\(id)")
            #expect(record.statuses[id]?.fields["blocked_by"] == "a", "\(id)")
        }
        for index in 0..<free {
            let id = "c\(index)"
            let succeeded = record.attempts[id, default: []].filter { $0.state == .succeeded }
            #expect(record.states[id] == .done && succeeded.count == 1, "\(id)")
        }
    }

    @Test("a push that fails while the first jobs run stops the run, says why and exits 1; nothing is left running")
    func failedWhileWriting() throws {
        let fixture = try RunFixture(hosts: 1)
        let jobs = 20000
        let graph = try fixture.graphFile(Self.graph(fanOut: 0, free: jobs - 1, failing: false), name: "jobs.json")
        // Redis refuses writes (maxmemory with noeviction) once the push has written a few thousand jobs.
        let redis = try fixture.redis.connect()
        let info = try #require(try redis.command("INFO", "memory").string)
        let used = try #require(
            info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("used_memory:") }
                .flatMap { Int($0.dropFirst("used_memory:".count)) })
        _ = try redis.command("CONFIG", "SET", "maxmemory-policy", "noeviction")
        _ = try redis.command("CONFIG", "SET", "maxmemory", String(used + 3 << 20))
        let result = try fixture.run(
            ["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("refused"), "--json"],
            timeout: .seconds(300))
        _ = try redis.command("CONFIG", "SET", "maxmemory", "0")
        #expect(result.status == 1, "\(result.stderr.suffix(3000))")
        let events = Self.events(result.stdout)
        let failed = events.filter { $0["event"] as? String == "graph-not-written" }
        #expect(failed.count == 1 && failed.first?["stopped"] as? Bool == false, "\(failed)")
        #expect((failed.first?["error"] as? String)?.contains("OOM") == true, "\(failed)")
        let said = result.stdout + result.stderr
        #expect(said.contains("writing the graph failed") && said.contains("OOM"), "\(said.suffix(2000))")
        let finished = try #require(events.last { $0["event"] as? String == "run-finished" })
        #expect(finished["exit"] as? Int == 1)
        let store = try fixture.store("refused")
        #expect(try store.metadata().fingerprint == nil)
        #expect(try store.jobIDs().count < jobs)
        #expect(!(try store.states().values.contains(.inProgress)))
        #expect(try redis.command("EXISTS", "compmake:{\(fixture.ns("refused"))}:pushing").integer == 0)
    }

    @Test("Ctrl-C while the push writes the graph stops the run; the next run writes the rest and runs each job once")
    func interruptedWhileWriting() throws {
        let fixture = try RunFixture(hosts: 1)
        let jobs = 4000
        let graph = try fixture.graphFile(Self.graph(fanOut: 0, free: jobs - 1, failing: false), name: "jobs.json")
        let arguments = ["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("stopped")]
        let run = try fixture.start(arguments)
        let store = try fixture.store("stopped")
        // The namespace exists as soon as the push's first transaction ran, before its jobs are all written.
        let made = try fixture.waitUntil(.seconds(60)) { (try? store.schemaVersion()) != nil }
        try #require(made, "the run never made its namespace")
        run.signal(SIGINT)
        let stopped = try run.wait(timeout: .seconds(120))
        #expect(stopped.status == 130, "\(stopped.stderr.suffix(3000))")
        // Nothing runs any more, and the namespace holds part of the graph or all of it (the push may have ended
        // before the signal came).
        #expect(!(try store.states().values.contains(.inProgress)))
        #expect(try store.jobIDs().count <= jobs)

        let again = try fixture.run(arguments, timeout: .seconds(300))
        #expect(again.status == 0, "\(again.stderr.suffix(3000))")
        #expect(try store.metadata().fingerprint != nil)
        let record = try RunRecord(store: store)
        #expect(record.graph.count == jobs)
        record.expectEveryJobDoneOnce()
    }
}
