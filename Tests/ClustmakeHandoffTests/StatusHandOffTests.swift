import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// `clustmake status --watch` and `--json` of a namespace handed off to a real SLURM (docs/handoff.md, "SLURM";
/// docs/collector.md): the hand-off and the queue's states, with at most one queue call per refresh, never sacct,
/// and no redis connection of its own.
@Suite struct StatusHandOffTests {
    /// Counts the SLURM client calls of the commands run through it: `squeue` and `sacct` in front of the real
    /// ones in `PATH`, each call logged.
    struct CallLog {
        let directory: String
        var log: String { directory + "/calls.log" }

        init(in parent: String) throws {
            directory = parent + "/slurm-calls"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            for program in ["squeue", "sacct"] {
                let wrapper = directory + "/" + program
                try """
                #!/bin/sh
                echo \(program) >>'\(log)'
                PATH='\(path)' exec \(program) "$@"

                """.write(toFile: wrapper, atomically: true, encoding: .utf8)
                chmod(wrapper, 0o755)
            }
            try Data().write(to: URL(fileURLWithPath: log))
        }

        /// The calls logged so far, by program.
        func calls(_ program: String) -> Int {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .filter { $0 == program }.count
        }

        /// `env PATH=…` that puts the wrappers first.
        var env: [String] {
            ["env", "PATH=\(directory):\(ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")"]
        }
    }

    /// redis's count of connections it accepted so far.
    static func connectionsReceived(_ redis: RedisServer) throws -> Int {
        let connection = try redis.connect()
        let info = try #require(try connection.command("INFO", "stats").string)
        let line = try #require(
            info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("total_connections_received:") })
        return try #require(Int(line.split(separator: ":")[1]))
    }

    @Test("status --watch --json shows the hand-off and the queue's state, one squeue per refresh, no sacct")
    func watchAsksTheQueueOncePerRefresh() async throws {
        let fixture = try SlurmHandOffTests.Fixture()
        let id = try fixture.planAndSubmit(try fixture.sleepers(2, seconds: 600))
        try await fixture.waitUntilInProgress(2)
        let calls = try CallLog(in: fixture.slurm.directory)
        let status = ["status", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile]
        let before = try Self.connectionsReceived(fixture.redis)
        let watch = try fixture.slurm.run(
            calls.env + [SlurmHandOffTests.clustmake] + status + [
                "--watch", "--count", "3", "--interval", "0.2", "--json",
            ])
        let after = try Self.connectionsReceived(fixture.redis)
        #expect(watch.succeeded, "\(watch.stderr)")
        let lines = watch.output.split(separator: "\n")
        #expect(lines.count == 3, "\(watch.output)")
        for line in lines {
            let json = try JSONValue.parse(Array(line.utf8))
            let handOff = try #require(json["handoff"], "\(line)")
            #expect(handOff["target"]?.stringValue == "slurm")
            #expect(handOff["ids"]?.arrayValue?.compactMap(\.stringValue) == [String(id)])
            #expect(handOff["plan"]?.stringValue == fixture.slurm.directory + "/plan")
            let queue = try #require(handOff["queue"]?.arrayValue, "\(line)")
            #expect(queue.count == 1 && queue[0]["id"]?.stringValue == String(id))
            #expect(queue[0]["state"]?.stringValue == "RUNNING", "\(line)")
        }
        #expect(calls.calls("squeue") == 3, "\(calls.calls("squeue")) squeue calls for 3 refreshes")
        #expect(calls.calls("sacct") == 0)
        // The one connection status reads the run with (plus the one counting them), none for the hand-off.
        #expect(after - before == 2, "\(after - before) connections")
        // The text of --watch shows the hand-off under each refresh, as status without --watch does.
        let text = try fixture.slurm.run(
            calls.env + [SlurmHandOffTests.clustmake] + status + ["--watch", "--count", "2", "--interval", "0.2"])
        #expect(text.succeeded, "\(text.stderr)")
        #expect(text.output.components(separatedBy: "SLURM job \(id): RUNNING on ").count == 3, "\(text.output)")
        #expect(calls.calls("squeue") == 5)
        #expect(calls.calls("sacct") == 0)
        let cancel = try fixture.clustmake([
            "cancel", "--namespace", fixture.namespace, "--cluster", fixture.clusterFile,
        ])
        #expect(cancel.succeeded, "\(cancel.output)\n\(cancel.stderr)")
        try await fixture.slurm.waitUntilGone([id], timeout: .seconds(60))
    }
}
