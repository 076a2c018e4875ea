import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// Chains of short jobs bundled into one line (`--bundle auto`: a job's successor follows it in its line when
/// nothing else waits for it; docs/run.md, "Bundles"), run over ssh against real redis, each checked in redis for
/// exactly-once completion and dependency order.
@Suite struct RunChainTests {
    /// `chains` chains `cC-0 → cC-1 → …` of `length` jobs of cost 0.01; `special` replaces the command of some.
    static func chains(_ chains: Int, length: Int, special: [String: String] = [:]) -> String {
        var text = "jobs:\n"
        for chain in 0..<chains {
            for link in 0..<length {
                let id = "c\(chain)-\(link)"
                let deps = link > 0 ? ", deps: [c\(chain)-\(link - 1)]" : ""
                text += "  - {id: \(id), command: \"\(special[id] ?? "true")\", cost: 0.01\(deps)}\n"
            }
        }
        return text
    }

    /// The worker processes that ran each chain's succeeded attempts (host and pid).
    static func linesOfChains(_ record: RunRecord, chains: Int) -> [Set<String>] {
        (0..<chains).map { chain in
            Set(
                record.attempts.filter { $0.key.hasPrefix("c\(chain)-") }.values.flatMap { $0 }
                    .filter { $0.state == .succeeded }.map { "\($0.host)/\($0.workerPID ?? -1)" })
        }
    }

    @Test("each chain runs as one line; a job failing mid-chain blocks the rest of its chain, the others complete")
    func chainsAndAFailure() throws {
        let fixture = try RunFixture(hosts: 2)
        let graph = try fixture.graphFile(Self.chains(4, length: 6, special: ["c2-2": "exit 3"]))
        let result = try fixture.run(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 2), "--redis", fixture.redisURL,
                "--namespace", fixture.ns("chains"), "--bundle", "auto", "--no-check",
            ], timeout: .seconds(120))
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: try fixture.store("chains"))
        for chain in [0, 1, 3] {
            for link in 0..<6 {
                let id = "c\(chain)-\(link)"
                #expect(record.states[id] == .done, "\(id): \(String(describing: record.states[id]))")
                #expect(record.attempts[id]?.map(\.state) == [.succeeded], "\(id)")
            }
        }
        #expect(record.states["c2-0"] == .done && record.states["c2-1"] == .done)
        #expect(record.states["c2-2"] == .failed && record.attempts["c2-2"]?.count == 1)
        for link in 3..<6 {
            #expect(
                record.states["c2-\(link)"] == .blocked,
                "c2-\(link): \(String(describing: record.states["c2-\(link)"]))")
            #expect(record.attempts["c2-\(link)", default: []].isEmpty, "c2-\(link) ran")
        }
        record.expectDependencyOrder()
        // Chains share lines: far fewer workers than jobs. The chains that no failure stopped ran in one line each
        // (a line holding the failed chain stops there: the chain beside it in that line goes on in a new one).
        let lines = Self.linesOfChains(record, chains: 4)
        #expect(Set(lines.flatMap { $0 }).count <= 6, "\(lines)")
        #expect(lines.filter { $0.count == 1 }.count >= 2, "\(lines)")
    }

    @Test("cancel while a chain's job runs: its line stops, nothing after it starts; a new run completes each once")
    func chainCancelled() throws {
        let fixture = try RunFixture(hosts: 1)
        let gate = fixture.cluster.workDirectory(of: "h1") + "/go"
        let started = fixture.cluster.workDirectory(of: "h1") + "/started"
        let hold = "touch \(started); while [ ! -e \(gate) ]; do sleep 0.05; done"
        let graph = try fixture.graphFile(Self.chains(2, length: 5, special: ["c0-2": hold]))
        let namespace = fixture.ns("chain-cancel")
        let arguments = [
            "run", graph, "--cluster", try fixture.clusterFile(processors: 2), "--redis", fixture.redisURL,
            "--namespace", namespace, "--bundle", "auto", "--no-check",
        ]
        let run = try fixture.start(arguments)
        let store = try fixture.store("chain-cancel")
        let holding = try fixture.waitUntil(.seconds(60)) {
            FileManager.default.fileExists(atPath: started) && (try? store.states())?["c0-2"] == .inProgress
        }
        try #require(holding, "c0-2 never ran")
        let cancel = try fixture.run(["cancel", "--namespace", namespace])
        #expect(cancel.status == 0, "\(cancel.stdout)\n\(cancel.stderr)")
        let ended = try run.wait(timeout: .seconds(60))
        #expect(ended.status == 130, "\(ended.stdout)\n\(ended.stderr.suffix(3000))")
        let states = try store.states()
        #expect(states["c0-0"] == .done && states["c0-1"] == .done, "\(states)")
        #expect(states["c0-2"] == .interrupted, "\(states)")
        for link in 3..<5 {
            #expect(try store.attempts(of: "c0-\(link)").isEmpty, "c0-\(link) started after the cancel")
        }
        // The next run (the gate open) runs what is left, each job once, after its dependencies.
        FileManager.default.createFile(atPath: gate, contents: nil)
        let again = try fixture.run(arguments, timeout: .seconds(120))
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr.suffix(3000))")
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        #expect(record.attempts["c0-2"]?.map(\.state) == [.interrupted, .succeeded])
        // The jobs chained behind the cancelled one never started before this run.
        #expect(record.attempts["c0-3"]?.count == 1 && record.attempts["c0-4"]?.count == 1)
        // Only the cancel interrupted anything (the other chain's line too, if it was still running).
        let extra = record.attempts.values.flatMap { $0 }.filter { $0.state != .succeeded && $0.state != .interrupted }
        #expect(extra.isEmpty, "\(extra.map { "\($0.job) \($0.number) \($0.state)" })")
    }
}
