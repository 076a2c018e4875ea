import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Glibc
import Testing

extension MachineWideSchedulerTests {
    /// cron and atd as the hand-off tests use them: started when they do not run, the test's own crontab block and
    /// at jobs, and nothing else touched. Serialized: both daemons and root's crontab are machine-wide, and a
    /// test checks that the daemons this process started stop with the last service.
    @Suite(.serialized) struct SchedulerDaemonsTests {
        @Test("an at job runs to the end, and atq no longer lists it")
        func atJobRuns() async throws {
            let directory = try ScratchDirectory()
            let at = try AtService()
            #expect(at.daemonPid != nil)
            let script = directory.path + "/job.sh"
            let output = directory.path + "/out"
            try "echo start > \(output)\nsleep 1\necho end >> \(output)\n".write(
                toFile: script, atomically: true, encoding: .utf8)
            let job = try at.enqueue(file: script)
            let text = try await TestWait.forFile(output, endingWith: "end", timeout: .seconds(120))
            #expect(text == "start\nend\n")
            try await at.waitUntilDone(job, timeout: .seconds(60))
            #expect(try at.jobs().isEmpty)
        }

        @Test("a later at job is listed and removed; at jobs another service queued stay")
        func atJobRemoved() async throws {
            let directory = try ScratchDirectory()
            let script = directory.path + "/job.sh"
            try "touch \(directory.path)/ran\n".write(toFile: script, atomically: true, encoding: .utf8)
            // Another user of atd: its job is not the first service's, which neither lists nor removes it.
            let other = try AtService()
            let foreign = try other.enqueue(file: script, at: ["now", "+", "2", "hours"])
            do {
                let at = try AtService()
                let later = try at.enqueue(file: script, at: ["now", "+", "1", "hour"])
                let kept = try at.enqueue(file: script, at: ["now", "+", "1", "hour"])
                let listed = try at.jobs()
                #expect(Set(listed.map(\.number)) == [later, kept])
                #expect(listed.allSatisfy { $0.queue == "a" && $0.user == "root" })
                try at.remove(later)
                #expect(try at.jobs().map(\.number) == [kept])
                #expect(throws: TestHarnessError.self) { try at.remove(foreign) }
                #expect(try other.jobs().map(\.number) == [foreign])
            }  // the first service goes away: `kept` is removed with it, the other service's job stays
            #expect(try other.jobs().map(\.number) == [foreign])
            try other.remove(foreign)
            #expect(try other.jobs().isEmpty)
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/ran"))
        }

        @Test("a crontab block is installed, replaced and removed, other entries untouched, and cron runs it")
        func cronBlock() async throws {
            let directory = try ScratchDirectory()
            let cron = try CronService()
            #expect(cron.daemonPid != nil)
            let original = try cron.crontab()
            let other = "clustmake-test-other-\(getpid())"
            let mine = "clustmake-test-run-\(getpid())"
            // Another entry, outside the test's block: 31 February never comes.
            try cron.installBlock(other, lines: ["0 0 31 2 * /bin/true"])
            let withOther = try cron.crontab()
            #expect(withOther.hasPrefix(original))

            try cron.installBlock(mine, lines: ["0 0 31 2 * /bin/false"])
            let script = directory.path + "/job.sh"
            try "#!/bin/sh\n/bin/date +%s >> \(directory.path)/ran\n".write(
                toFile: script, atomically: true, encoding: .utf8)
            try cron.installBlock(mine, lines: ["* * * * * /bin/sh \(script)"])
            let installed = try cron.crontab()
            #expect(installed.hasPrefix(withOther))
            #expect(installed.components(separatedBy: CronService.beginMarker(mine)).count == 2)
            #expect(!installed.contains("/bin/false"))

            // cron reads crontabs and starts entries at minute boundaries.
            try await TestWait.forFile(directory.path + "/ran", timeout: .seconds(150))
            try cron.removeBlock(mine)
            #expect(try cron.crontab() == withOther)
            try cron.removeBlock(other)
            #expect(try cron.crontab() == original)
        }

        @Test("an unbalanced marker is refused and the crontab left as it was")
        func unbalancedMarker() async throws {
            let cron = try CronService()
            let original = try cron.crontab()
            let id = "clustmake-test-unbalanced-\(getpid())"
            let broken = original + CronService.beginMarker(id) + "\n0 0 31 2 * /bin/true\n"
            try cron.replaceCrontab(with: broken)
            defer { try? cron.replaceCrontab(with: original) }
            #expect(throws: TestHarnessError.self) { try cron.installBlock(id, lines: ["0 0 31 2 * /bin/true"]) }
            #expect(throws: TestHarnessError.self) { try cron.removeBlock(id) }
            #expect(try cron.crontab() == broken)
        }

        @Test("cron and atd that this process started stop with the last service")
        func daemonsStop() async throws {
            // By pid and start time: pids wrap around while the suite runs, and a pid alone may become another's.
            var started: [ProcessIdentity] = []
            do {
                let cron = try CronService()
                let at = try AtService()
                let cronPid = try #require(cron.daemonPid)
                let atPid = try #require(at.daemonPid)
                // A second service shares the daemon and does not stop it.
                do { _ = try CronService() }
                #expect(cron.daemonPid == cronPid)
                if cron.startedDaemon, let daemon = ProcessIdentity.of(cronPid) { started.append(daemon) }
                if at.startedDaemon, let daemon = ProcessIdentity.of(atPid) { started.append(daemon) }
            }
            // Other tests of this process may hold the daemons too (they run side by side): the last of them stops
            // what this process started.
            try await TestWait.until("this process's other cron and at services to end", timeout: .seconds(600)) {
                CronService.holders == 0 && AtService.holders == 0
            }
            // The last release stops the daemon outside the lease lock: wait for it, bounded.
            try await TestWait.until(
                "the daemons this process started to stop", timeout: .seconds(60),
                details: { "still running: \(started.filter(\.isRunning).map(\.pid))" }
            ) { !started.contains(where: \.isRunning) }
        }
    }

    /// A fresh directory under /tmp for files a job writes, removed with the value.
    final class ScratchDirectory {
        let path: String

        init() throws {
            var template = Array("/tmp/clustmake-handoff.XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
            try #require(made, "mkdtemp failed: \(String(cString: strerror(errno)))")
            path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
            chmod(path, 0o755)
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }
}
