import ClustmakeModel
import ClustmakeScripts
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `--schedule` and `crontab.txt` (``CronSchedule``, ``CronTable``).
@Suite struct CronTableTests {
    @Test(
        "schedules crontab(5) accepts are taken as given",
        arguments: [
            "* * * * *", "30 2 * * *", "*/5 8-18 * * 1-5", "0,15,30,45 * 1,15 * *", "0 0 1 jan *", "0 9 * * MON",
            "59 23 31 12 7", "0 8-18/2 * 1-12/3 0", "*/60 * * * *", "5\t4 * * sun",
        ])
    func accepted(text: String) throws {
        let schedule = try CronSchedule(parsing: text)
        #expect(schedule.fields.count == 5)
        #expect(schedule.description == text.replacing("\t", with: " "))
    }

    @Test(
        "a bad schedule names the field and what is wrong",
        arguments: [
            ("* * * *", "has 4 fields"), ("* * * * * *", "has 6 fields"), ("60 * * * *", "has 60, outside 0-59"),
            ("* 24 * * *", "hour field '24'"), ("* * 0 * *", "outside 1-31"), ("* * * 13 *", "outside 1-12"),
            ("* * * * 8", "outside 0-7"), ("5-1 * * * *", "runs backwards"), ("*/0 * * * *", "step '0'"),
            ("*/61 * * * *", "larger than the 60 values"), ("5/2 * * * *", "steps from a single value"),
            ("1,,2 * * * *", "empty list item"), ("* * * * mon-fri", "name 'mon' in a range"),
            ("x * * * *", "'x', which is not a number"), ("-1 * * * *", "not a number"),
            ("* * * * $(reboot)", "not a number"),
        ])
    func refused(text: String, problem: String) {
        #expect {
            _ = try CronSchedule(parsing: text)
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.code == .invalidValue && error.subject == "--schedule" && "\(error)".contains(problem)
                && error.fix?.isEmpty == false
        }
    }

    /// An entry whose paths need every kind of quoting, and a `%` cron would turn into a newline.
    static func hostileTable(in directory: String) throws -> CronTable {
        try CronTable(
            schedule: CronSchedule(parsing: "*/5 * * * *"), planDirectory: directory + "/o'brien's 50% plan",
            programDirectories: ["/opt/my tools/bin", "/usr/bin"])
    }

    @Test("the entry's command passes sh -n, bash -n and shellcheck; its % are escaped for cron")
    func lint() throws {
        let directory = try TemporaryDirectory()
        let table = try Self.hostileTable(in: directory.path)
        #expect(table.run.searchPath == ["/opt/my tools/bin", "/usr/bin", "/usr/local/bin", "/bin"])
        #expect(table.entry.hasPrefix("*/5 * * * * PATH='/opt/my tools/bin:/usr/bin:/usr/local/bin:/bin' "))
        #expect(table.entry.contains("50\\% plan") && !table.command.contains("\\%"))
        // What cron hands to /bin/sh -c: each \% back to %, nothing cut at a bare %.
        #expect(table.entry.dropFirst("*/5 * * * * ".count).replacing("\\%", with: "%") == table.command)
        let script = try directory.write("#!/bin/sh\n" + table.command + "\n", to: "entry.sh")
        for checker in [["sh", "-n"], ["bash", "-n"], ["shellcheck", "--format=gcc"]] {
            let result = try Shell.run(checker + [script])
            #expect(result.status == 0, "\(checker[0]): \(result.stdout)\(result.stderr)")
        }
        let text = table.text(namespace: "demo")
        #expect(text.split(separator: "\n").filter { !$0.hasPrefix("#") } == [Substring(table.entry)])
    }

    @Test("the entry runs run-all.sh with its PATH and log, and not while the lock is held")
    func runsUnderTheLock() throws {
        let directory = try TemporaryDirectory()
        let table = try Self.hostileTable(in: directory.path)
        try directory.write("echo \"ran with PATH=$PATH\"\n", to: "o'brien's 50% plan/run-all.sh")
        let first = try Shell.run(["/bin/sh", "-c", table.command])
        #expect(first.status == 0, "\(first.stderr)")
        let log = table.run.path(CronTable.logName)
        #expect(
            try String(contentsOfFile: log, encoding: .utf8)
                == "ran with PATH=\(table.run.searchPath.joined(separator: ":"))\n")
        // A run that still goes on holds the lock: this process holds it here, as flock would.
        let descriptor = open(table.run.path(GuardedRun.lockName), O_RDWR)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0)
        let second = try Shell.run(["/bin/sh", "-c", table.command])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(
            try String(contentsOfFile: log, encoding: .utf8)
                == "ran with PATH=\(table.run.searchPath.joined(separator: ":"))\n"
                + "clustmake: not started: the run started earlier still goes on\n")
    }

    @Test("relative paths and a ':' in a PATH directory are refused")
    func refusedPaths() throws {
        let schedule = try CronSchedule(parsing: "* * * * *")
        #expect(throws: InputError.self) {
            try CronTable(schedule: schedule, planDirectory: "plan", programDirectories: [])
        }
        #expect(throws: InputError.self) {
            try CronTable(schedule: schedule, planDirectory: "/p/plan", programDirectories: ["/a:b"])
        }
        #expect(throws: InputError.self) {
            try CronTable(schedule: schedule, planDirectory: "/p/pl\nan", programDirectories: [])
        }
    }
}
