import ClustmakeModel
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

extension MachineWideSchedulerTests {
    /// `clustmake submit --to at` against the machine's real atd. Serialized: atd's queue is machine-wide.
    @Suite(.serialized) struct AtHandOffTests {
        @Test("a submitted at job runs the plan to the end: every job once, after its dependencies")
        func runsToTheEnd() async throws {
            let fixture = try HandOffFixture()
            let at = try AtService()
            #expect(try fixture.clustmake(fixture.plan(schedule: nil)).status == 0)
            let submitted = try fixture.clustmake(["submit", "plan", "--to", "at", "--redis", fixture.redisURL])
            #expect(submitted.status == 0, "\(submitted.output)")
            #expect(submitted.output.contains("clustmake: queued at job "), "\(submitted.output)")
            let store = try fixture.store()
            let record = try #require(try store.handOff())
            #expect(
                record.target == .at && record.ids.count == 1 && record.planDirectory == fixture.directory + "/plan")
            try await fixture.expectEveryJobDoneOnceAfterItsDependencies(timeout: .seconds(180))
            // The job leaves atq once run-all.sh has ended; then status says so and cancel clears the record.
            let number = record.ids[0]
            try await TestWait.until("at job \(number) has left atq", timeout: .seconds(60)) {
                () throws(TestHarnessError) in
                try !at.jobs().contains { $0.number == Int(number) }
            }
            let status = try fixture.clustmake([
                "status", "--namespace", fixture.namespace, "--redis", fixture.redisURL,
            ])
            #expect(status.output.contains("at job \(number) is no longer queued"), "\(status.output)")
            let cancelled = try fixture.clustmake([
                "cancel", "--namespace", fixture.namespace, "--redis", fixture.redisURL,
            ])
            #expect(cancelled.status == 0, "\(cancelled.output)")
            #expect(try store.handOff() == nil)
            #expect(at.daemonPid != nil, "atd ran throughout")
        }

        @Test("cancel of an at job's run going on: run-all.sh is stopped, its running job recorded interrupted")
        func cancelRunning() async throws {
            let fixture = try HandOffFixture()
            let at = try AtService()
            // b sleeps far longer than the test: only cancel ends it.
            #expect(try fixture.clustmake(fixture.plan(schedule: nil, longJob: 3600)).status == 0)
            let submitted = try fixture.clustmake(["submit", "plan", "--to", "at", "--redis", fixture.redisURL])
            #expect(submitted.status == 0, "\(submitted.output)")
            let store = try fixture.store()
            try await TestWait.until("b runs under at", timeout: .seconds(120)) { () throws(TestHarnessError) in
                (try? store.states())?["b"] == .inProgress
            }
            let lock = fixture.directory + "/plan/" + GuardedRun.lockName
            #expect(!ProcessIdentity.flockHolders(of: lock).isEmpty, "the run holds the plan's lock")
            let cancelled = try fixture.clustmake([
                "cancel", "--namespace", fixture.namespace, "--redis", fixture.redisURL,
            ])
            #expect(cancelled.status == 0, "\(cancelled.output)")
            #expect(cancelled.output.contains("stopped the run of \(fixture.directory)/plan/run-all.sh"))
            #expect(cancelled.output.contains("no job of namespace '\(fixture.namespace)' is in progress"))
            let states = try store.states()
            #expect(states["a"] == .done && states["b"] == .interrupted, "\(states)")
            #expect(states.values.allSatisfy { $0 != .inProgress })
            try await TestWait.until("the run lets the plan's lock go", timeout: .seconds(30)) {
                () throws(TestHarnessError) in ProcessIdentity.flockHolders(of: lock).isEmpty
            }
            #expect(try store.handOff() == nil)
            #expect(at.daemonPid != nil)
        }

        @Test("an at job queued for later keeps no secret of the submitter's environment, and cancel removes it")
        func cancelledLater() async throws {
            let fixture = try HandOffFixture()
            let at = try AtService()
            #expect(try fixture.clustmake(fixture.plan(schedule: nil)).status == 0)
            let secret = "hunter2-\(UUID().uuidString)"
            let submitted = try fixture.clustmake(
                ["submit", "plan", "--to", "at", "--time", "now + 2 hours", "--redis", fixture.redisURL],
                environment: ["AWS_SECRET_ACCESS_KEY": secret, "CLUSTMAKE_TEST_TOKEN": secret])
            #expect(submitted.status == 0, "\(submitted.output)")
            let store = try fixture.store()
            let number = try #require(try store.handOff()?.ids.first)
            let script = try Self.run(["at", "-c", number])
            #expect(script.contains("run-all.sh"), "\(script)")
            #expect(!script.contains(secret), "the at job saved the submitter's secret")
            #expect(!script.contains("AWS_SECRET_ACCESS_KEY") && !script.contains("CLUSTMAKE_TEST_TOKEN"))
            let status = try fixture.clustmake([
                "status", "--namespace", fixture.namespace, "--redis", fixture.redisURL,
            ])
            #expect(status.output.contains("handed off: at, at job \(number)"), "\(status.output)")
            #expect(status.output.contains("atq: \(number) "), "\(status.output)")
            let cancelled = try fixture.clustmake([
                "cancel", "--namespace", fixture.namespace, "--redis", fixture.redisURL,
            ])
            #expect(cancelled.status == 0, "\(cancelled.output)")
            #expect(cancelled.output.contains("removed at job \(number)"), "\(cancelled.output)")
            #expect(!(try Self.run(["atq"])).split(separator: "\n").contains { $0.hasPrefix("\(number)\t") })
            #expect(try store.handOff() == nil)
            #expect(try store.states().values.allSatisfy { $0 == .notStarted }, "nothing ran")
            #expect(at.daemonPid != nil)

            let bad = try fixture.clustmake([
                "submit", "plan", "--to", "at", "--time", "yesterday noonish", "--redis", fixture.redisURL,
            ])
            #expect(bad.status == 2, "\(bad.output)")
            #expect(bad.output.contains("--time: at refuses the time"), "\(bad.output)")
        }

        /// Runs a program to its end and returns its standard output (standard error in the failure).
        static func run(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
