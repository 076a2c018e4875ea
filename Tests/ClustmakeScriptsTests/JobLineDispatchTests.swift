import ClustmakeModel
import ClustmakeScripts
import Testing

/// The job line as `clustmake run` dispatches it: the script's line plus the master's control options and, for a
/// bundle, several job ids.
@Suite struct JobLineDispatchTests {
    static let settings = WorkerSettings(namespace: "demo", redis: .tcp(host: "redisdb", port: 6379))

    @Test("a dispatched line is the script's line with the control options after the batch options")
    func controlOptions() {
        let host = Host(name: "n1", port: 2222, sshConfig: "/etc/cfg", sshOptions: ["-o", "Compression=yes"])
        let script = JobLine(jobID: "a", nice: 10, host: host, instance: 1, settings: Self.settings)
        let dispatched = JobLine(
            jobIDs: ["a"], nice: 10, host: host, instance: 1, settings: Self.settings,
            connectionOptions: JobLine.controlOptions(path: "/tmp/clustmake-0/cm-1"))
        #expect(
            dispatched.argv
                == ["ssh", "-F", "/etc/cfg"] + JobLine.batchOptions
                + ["-o", "ControlMaster=no", "-o", "ControlPath=/tmp/clustmake-0/cm-1"]
                + Array(script.argv.dropFirst(3 + JobLine.batchOptions.count)))
        #expect(dispatched.command == script.command)
    }

    @Test("a bundle names every job after wait= and --, in order")
    func bundle() {
        let line = JobLine(
            jobIDs: ["a", "b", "c"], nice: 5, host: Host(name: "n1"), instance: 0, settings: Self.settings)
        #expect(Array(line.command.suffix(6)) == ["more=False", "wait=86400", "--", "a", "b", "c"])
        #expect(line.shellLine.hasSuffix("make_single more=False wait=86400 -- a b c"))
        let local = JobLine(
            jobIDs: ["x", "y"], nice: 0, host: Host(name: "here", isLocal: true), instance: 0, settings: Self.settings,
            connectionOptions: ["-o", "ignored"])
        #expect(local.argv == local.command)
        #expect(local.argv.suffix(2) == ["x", "y"])
    }

    @Test("a line that takes the password on stdin drops ssh's -n and adds --redis_password_stdin, nothing else")
    func passwordOnStdin() {
        let host = Host(name: "n1")
        let script = JobLine(jobID: "a", nice: 10, host: host, instance: 0, settings: Self.settings)
        let line = JobLine(
            jobIDs: ["a"], nice: 10, host: host, instance: 0, settings: Self.settings, passwordOnStdin: true)
        let sshPart = Array(line.argv.prefix { $0 != "n1" })
        #expect(sshPart == ["ssh"] + JobLine.unattendedOptions)
        #expect(sshPart == Array(script.argv.prefix { $0 != "n1" }).filter { $0 != "-n" })
        #expect(
            line.argv.filter { $0 != JobLine.passwordOnStdinOption }
                == script.argv.enumerated().filter { $0.offset != 1 }.map(\.element))
        #expect(
            line.shellLine.hasSuffix(
                "compmake --hostname=n1 --db=redis --redis_host=localhost:13000 --redis_password_stdin "
                    + "--save_progress=False --slave demo make_single more=False wait=86400 -- a"))
        var aclSettings = Self.settings
        aclSettings.redisUser = "alice"
        let user = JobLine(
            jobIDs: ["a"], nice: 10, host: host, instance: 0, settings: aclSettings, passwordOnStdin: true)
        #expect(
            user.shellLine.contains(
                "--redis_host=localhost:13000 --redis_user=alice --redis_password_stdin --save_progress=False"))
        // A local worker reads it the same way: the line's standard input, never its environment or a file's name.
        let local = Host(name: "here", isLocal: true)
        let localLine = JobLine(
            jobIDs: ["a"], nice: 0, host: local, instance: 0, settings: aclSettings, passwordOnStdin: true)
        #expect(localLine.argv == localLine.command)
        #expect(
            localLine.shellLine
                == "nice -n 0 compmake --hostname=here --db=redis --redis_host=redisdb:6379 --redis_user=alice "
                + "--redis_password_stdin --save_progress=False --slave demo make_single more=False wait=86400 -- a")
    }
}
