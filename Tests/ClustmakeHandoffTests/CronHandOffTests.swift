import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Glibc
import Testing

extension MachineWideSchedulerTests {
    /// `clustmake plan --target cron` and `clustmake submit --to cron` against the machine's real cron and the user's
    /// real crontab. Serialized: cron and the crontab are machine-wide.
    @Suite(.serialized) struct CronHandOffTests {
        @Test(
            "submit installs, replaces and cancel removes the namespace's block; other entries stay; bad markers refused"
        )
        func blockInstalledReplacedRemoved() async throws {
            let fixture = try HandOffFixture()
            let cron = try CronService()
            let other = "other-\(getpid())"
            try cron.installBlock(other, lines: ["17 4 * * * /bin/true other entry"])
            let ns = fixture.namespace
            let block = CrontabBlock(label: "clustmake \(ns)")
            #expect(try fixture.clustmake(fixture.plan(schedule: "0 0 1 1 *")).status == 0)
            let submitted = try fixture.clustmake(["submit", "plan", "--to", "cron", "--redis", fixture.redisURL])
            #expect(submitted.status == 0, "\(submitted.output)")
            #expect(submitted.output.contains("installed the crontab block '\(block.begin)'"), "\(submitted.output)")
            let first = try cron.crontab()
            let entries = try #require(try block.lines(in: first)).filter { !$0.hasPrefix("#") }
            #expect(entries.count == 1 && entries[0].hasPrefix("0 0 1 1 * PATH="), "\(first)")
            #expect(try CronService.block(other).lines(in: first) == ["17 4 * * * /bin/true other entry"])
            let status = try fixture.clustmake(["status", "--namespace", ns, "--redis", fixture.redisURL])
            #expect(status.output.contains("handed off: cron, crontab block 'clustmake \(ns)'"), "\(status.output)")
            #expect(status.output.contains("in the crontab: 0 0 1 1 * PATH="), "\(status.output)")

            // Planned again with another schedule and submitted again: the block is replaced in place.
            #expect(try fixture.clustmake(fixture.plan(schedule: "5 4 * * sun")).status == 0)
            let again = try fixture.clustmake(["submit", "plan", "--redis", fixture.redisURL])
            #expect(again.status == 0 && again.output.contains("replaced the crontab block"), "\(again.output)")
            let second = try cron.crontab()
            let replaced = try #require(try block.lines(in: second)).filter { !$0.hasPrefix("#") }
            #expect(replaced.count == 1 && replaced[0].hasPrefix("5 4 * * sun PATH="), "\(second)")
            #expect(try block.removing(from: second) == block.removing(from: first), "nothing else changed")

            // A begin marker without its end: refused, the crontab left as it was.
            let broken = try block.removing(from: second) + block.begin + "\n"
            try cron.replaceCrontab(with: broken)
            let refused = try fixture.clustmake(["submit", "plan", "--redis", fixture.redisURL])
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.output.contains("without '\(block.end)' after it"), "\(refused.output)")
            #expect(try cron.crontab() == broken)
            try cron.replaceCrontab(with: second)

            let cancelled = try fixture.clustmake(["cancel", "--namespace", ns, "--redis", fixture.redisURL])
            #expect(cancelled.status == 0, "\(cancelled.output)")
            #expect(cancelled.output.contains("removed the crontab block '\(block.begin)'"))
            let third = try cron.crontab()
            #expect(try block.lines(in: third) == nil)
            #expect(third == (try block.removing(from: second)))
            #expect(try fixture.store().handOff() == nil)
            let after = try fixture.clustmake(["status", "--namespace", ns, "--redis", fixture.redisURL])
            #expect(!after.output.contains("handed off"), "\(after.output)")
        }

        @Test("one real run under cron: every job once, after its dependencies; a firing during the run is not started")
        func realRun() async throws {
            let fixture = try HandOffFixture()
            let cron = try CronService()
            // b (75 s) runs past the next minute boundary, so cron fires again while the run goes on.
            #expect(try fixture.clustmake(fixture.plan(schedule: "* * * * *", longJob: 75)).status == 0)
            let submitted = try fixture.clustmake(["submit", "plan", "--redis", fixture.redisURL])
            #expect(submitted.status == 0, "\(submitted.output)")
            defer {
                _ = try? fixture.clustmake(["cancel", "--namespace", fixture.namespace, "--redis", fixture.redisURL])
            }
            let log = fixture.directory + "/plan/cron.log"
            // The run starts within a minute, its long job ends 75 s later; the next firing comes in between.
            try await TestWait.forFile(
                log, endingWith: "clustmake: not started: the run started earlier still goes on",
                timeout: .seconds(240))
            try await fixture.expectEveryJobDoneOnceAfterItsDependencies(timeout: .seconds(240))
            let cancelled = try fixture.clustmake([
                "cancel", "--namespace", fixture.namespace, "--redis", fixture.redisURL,
            ])
            #expect(cancelled.status == 0, "\(cancelled.output)")
            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(text.components(separatedBy: "not started").count >= 2, "\(text)")
            #expect(cron.daemonPid != nil, "cron ran throughout")
        }
    }

    /// A test redis, a directory with a job graph, and the built `clustmake` run in that directory.
    final class HandOffFixture {
        let redis: RedisServer
        let scratch: ScratchDirectory
        let namespace = "cronat-\(getpid())-\(UInt32.random(in: 0...999_999))"

        init() throws {
            redis = try RedisServer()
            scratch = try ScratchDirectory()
        }

        var directory: String { scratch.path }
        var redisURL: String { "redis://127.0.0.1:\(redis.port)" }

        /// The directory of the built executables (next to the test bundle).
        static let buildDirectory: String = {
            var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            while directory.path != "/"
                && !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("clustmake").path)
            {
                directory = directory.deletingLastPathComponent()
            }
            return directory.path
        }()

        /// `clustmake plan` of a diamond (a, then b and c, then d) for cron (for `local` without a schedule), with
        /// `longJob` seconds for b.
        func plan(schedule: String?, longJob: Int = 0) throws -> [String] {
            let graph = """
                namespace: \(namespace)
                jobs:
                  - {id: a, command: "sleep 1"}
                  - {id: b, command: "sleep \(longJob)", deps: [a]}
                  - {id: c, command: "sleep 1", deps: [a]}
                  - {id: d, command: "true", deps: [b, c]}
                """
            try graph.write(toFile: directory + "/jobs.yaml", atomically: true, encoding: .utf8)
            let target = schedule.map { ["--target", "cron", "--schedule", $0] } ?? []
            return ["plan", "jobs.yaml", "--redis", redisURL] + target
        }

        struct Result {
            var status: Int32
            var output: String
        }

        /// Runs the built `clustmake` in the directory, standard error in with standard output.
        func clustmake(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
            let process = Process()
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.executableURL = URL(fileURLWithPath: Self.buildDirectory + "/clustmake")
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            let outputFile = directory + "/.output-\(UUID().uuidString)"
            _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
            defer { try? FileManager.default.removeItem(atPath: outputFile) }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            try handle.close()
            return Result(
                status: process.terminationStatus, output: try String(contentsOfFile: outputFile, encoding: .utf8))
        }

        func store() throws -> JobStore {
            try JobStore(connection: try redis.connect(), namespace: namespace)
        }

        /// Waits until every job of the namespace is done, then checks in redis that each was done by exactly one
        /// attempt, started after its dependencies were done (redis's own sequence numbers).
        func expectEveryJobDoneOnceAfterItsDependencies(timeout: Duration) async throws {
            let store = try store()
            try await TestWait.until("every job is done", timeout: timeout) { () throws(TestHarnessError) in
                guard let states = try? store.states() else { return false }
                return states.count == 4 && states.values.allSatisfy { $0 == .done }
            }
            for job in try store.graph().jobs {
                let attempts = try store.attempts(of: job.id)
                #expect(attempts.count == 1 && attempts[0].state == .succeeded, "\(job.id): \(attempts.map(\.state))")
                let start = try #require(attempts.first?.fields["start_seq"].flatMap(Int.init))
                for dep in job.deps {
                    let done = try store.status(of: dep).fields["done_seq"].flatMap(Int.init)
                    #expect(done.map { $0 < start } == true, "\(job.id) started before \(dep) was done")
                }
            }
        }
    }
}
