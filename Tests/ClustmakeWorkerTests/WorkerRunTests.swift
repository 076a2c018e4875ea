import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import ClustmakeWorker
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The worker binary against a real redis: running jobs and recording them.
@Suite struct WorkerRunTests {
    @Test("a job that succeeds exits 0 and records everything about its attempt")
    func success() throws {
        let fixture = try WorkerFixture([shell("a", "echo out; echo err >&2")])
        let finished = try fixture.run(["a"])
        #expect(finished.status == WorkerExitStatus.success, "\(finished.stderr)")
        #expect(finished.stderr.isEmpty)
        let status = try fixture.store.status(of: "a")
        #expect(status.state == .done && status.attempts == 1 && status.doneAttempt == 1 && status.leaseHolder == nil)
        let attempt = try #require(try fixture.store.attempt(of: "a", number: 1))
        #expect(attempt.state == .succeeded && attempt.exitStatus == 0 && attempt.signal == nil)
        #expect(attempt.host == "nodeA" && attempt.workerVersion == WorkerMain.version && attempt.number == 1)
        #expect(attempt.nodename?.isEmpty == false && attempt.workerPID != nil && attempt.jobPID != nil)
        let started = try #require(attempt.started)
        let ended = try #require(attempt.ended)
        #expect(started <= ended && abs(started.secondsSince1970 - Date().timeIntervalSince1970) < 60)
        #expect(attempt.fields["started"]?.hasSuffix("Z") == true)
        #expect((attempt.wallTime ?? -1) > 0 && (attempt.wallTime ?? 99) < 5)
        #expect(attempt.userCPU != nil && attempt.systemCPU != nil && (attempt.maxRSS ?? 0) > 0)
        #expect(attempt.stdoutBytes == 4 && attempt.stderrBytes == 4)
        #expect(try fixture.store.output(of: "a", attempt: 1, .stdout) == Array("out\n".utf8))
        #expect(try fixture.store.output(of: "a", attempt: 1, .stderr) == Array("err\n".utf8))
        let events = try fixture.store.events().filter { $0.job == "a" }
        #expect(events.map(\.name) == ["job-started", "job-succeeded"])
        #expect(events.allSatisfy { $0.host == "nodeA" && $0.attempt == 1 })
        #expect(try fixture.store.hosts().first?.succeeded == 1)
    }

    @Test("a failing command exits 113 and records its status and output")
    func failure() throws {
        let fixture = try WorkerFixture([shell("a", "echo doomed >&2; exit 3")])
        let finished = try fixture.run(["a"])
        #expect(finished.status == WorkerExitStatus.jobFailed)
        #expect(finished.stderr.contains("job 'a' failed") && finished.stderr.contains("exited with status 3"))
        let attempt = try #require(try fixture.store.attempt(of: "a", number: 1))
        #expect(attempt.state == .failed && attempt.exitStatus == 3 && attempt.reason == "exited with status 3")
        #expect(try fixture.store.output(of: "a", attempt: 1, .stderr) == Array("doomed\n".utf8))
        // Nothing on stdout: no key for it (redis holds no empty string per attempt), read as no output.
        let redis = try fixture.server.connect()
        let prefix = "compmake:{\(fixture.namespace)}:"
        #expect(try redis.command("EXISTS", prefix + "stdout:a:1").integer == 0)
        #expect(try redis.command("EXISTS", prefix + "stderr:a:1").integer == 1)
        #expect(try fixture.store.output(of: "a", attempt: 1, .stdout) == nil)
        #expect(try fixture.store.outputTails(of: [("a", 1)], .stdout, lastBytes: 10) == [[]])
        #expect(try fixture.store.state(of: "a") == .failed)
        #expect(try fixture.store.events().last?.name == "job-failed")
        #expect(try fixture.store.events().last?.fields["exit"] == "status 3")
    }

    @Test("a done job is up to date: nothing runs; more=True runs it again")
    func upToDateAndMore() throws {
        let fixture = try WorkerFixture([shell("a", "echo x >> \(NSTemporaryDirectory())/unused-\(getpid()); echo ran")]
        )
        #expect(try fixture.run(["a"]).status == 0)
        let events = try fixture.store.events().count
        #expect(try fixture.run(["a"]).status == 0)
        #expect(try fixture.store.status(of: "a").attempts == 1)
        #expect(try fixture.store.events().count == events)
        #expect(try fixture.run(["a"], more: true).status == 0)
        #expect(try fixture.store.status(of: "a").attempts == 2)
        #expect(try fixture.store.attempt(of: "a", number: 2)?.state == .succeeded)
    }

    @Test("two workers racing for one job: exactly one runs it, the other exits 117")
    func race() throws {
        let fixture = try WorkerFixture([])
        let marker = fixture.path("ran")
        try fixture.store.push(try JobGraph(jobs: [shell("a", "echo once >> \(marker); sleep 1")]), pushedBy: "test")
        let first = try fixture.start(["a"], hostname: "one")
        let second = try fixture.start(["a"], hostname: "two")
        let statuses = [first.finish().status, second.finish().status].sorted()
        #expect(statuses == [WorkerExitStatus.success, WorkerExitStatus.leaseHeld])
        #expect(try String(contentsOfFile: marker, encoding: .utf8) == "once\n")
        #expect(try fixture.store.status(of: "a").attempts == 1)
    }

    @Test("a worker killed with SIGKILL leaves a lease that expires: the job is seen lost, then runs again")
    func killedWorker() throws {
        let fixture = try WorkerFixture([])
        let pidFile = fixture.path("job.pid")
        try fixture.store.push(
            try JobGraph(jobs: [shell("a", "echo $$ > \(pidFile); exec sleep infinity")]), pushedBy: "test")
        let worker = try fixture.start(["a"], options: ["--lease_ttl=0.6"])
        #expect(fixture.eventually { FileManager.default.fileExists(atPath: pidFile) })
        worker.signal(SIGKILL)
        _ = worker.finish()
        defer {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                kill(-pid, SIGKILL)
            }
        }
        #expect(try fixture.store.states()["a"] == .inProgress)
        #expect(fixture.eventually(3) { (try? fixture.store.states()["a"]) == .lost })
        #expect(try fixture.store.status(of: "a").state == .lost)
        try fixture.store.push(try JobGraph(jobs: [shell("a", "true")]), force: true, pushedBy: "test")
        #expect(try fixture.run(["a"]).status == 0)
        #expect(try fixture.store.attempt(of: "a", number: 1)?.state == .lost)
        #expect(try fixture.store.attempt(of: "a", number: 2)?.state == .succeeded)
    }

    @Test(
        "SIGTERM to the worker reaches the job's process group; the attempt is recorded interrupted",
        arguments: [SIGTERM, SIGINT, SIGHUP])
    func stopSignal(signal: Int32) throws {
        let fixture = try WorkerFixture([])
        let ready = fixture.path("ready")
        try fixture.store.push(
            try JobGraph(jobs: [
                shell("a", "trap 'echo got-signal; exit 7' TERM INT HUP; touch \(ready); while :; do sleep 0.05; done")
            ]), pushedBy: "test")
        let worker = try fixture.start(["a"])
        #expect(fixture.eventually { FileManager.default.fileExists(atPath: ready) })
        worker.signal(signal)
        let finished = worker.finish()
        #expect(finished.status == WorkerExitStatus.interrupted, "\(finished.stderr)")
        let attempt = try #require(try fixture.store.attempt(of: "a", number: 1))
        #expect(attempt.state == .interrupted && attempt.exitStatus == 7)
        #expect(attempt.reason?.contains("stopped the command") == true)
        #expect(try fixture.store.output(of: "a", attempt: 1, .stdout) == Array("got-signal\n".utf8))
        let status = try fixture.store.status(of: "a")
        #expect(status.state == .interrupted && status.leaseHolder == nil)
        #expect(try fixture.store.events().last?.name == "job-interrupted")
    }

    @Test("a job past its timeout gets SIGTERM, then SIGKILL if it ignores it, and fails with 113")
    func timeout() throws {
        let fixture = try WorkerFixture([
            shell("polite", "sleep infinity", timeout: 0.3),
            shell("stubborn", "trap '' TERM; sleep infinity", timeout: 0.3),
        ])
        let polite = try fixture.run(["polite"], options: ["--kill_grace=0.3"])
        #expect(polite.status == WorkerExitStatus.jobFailed && polite.seconds < 5)
        let first = try #require(try fixture.store.attempt(of: "polite", number: 1))
        #expect(
            first.timedOut && first.signal == Int(SIGTERM) && first.reason?.hasPrefix("timed out after 0.3 s") == true)
        let stubborn = try fixture.run(["stubborn"], options: ["--kill_grace=0.3"])
        #expect(stubborn.status == WorkerExitStatus.jobFailed && stubborn.seconds < 5)
        let second = try #require(try fixture.store.attempt(of: "stubborn", number: 1))
        #expect(second.timedOut && second.signal == Int(SIGKILL))
    }

    @Test("100 MB of output keep the worker small; the last 64 KiB are kept, and all of it in the log")
    func hugeOutput() throws {
        let peak = "grep VmHWM /proc/$PPID/status >&2"
        let fixture = try WorkerFixture([
            shell("big", "head -c 100000000 /dev/zero; printf end; \(peak)"),
            shell("small", "printf end; \(peak)"),
            shell("logged", "seq 1 200000; echo bye >&2"),
        ])
        // The worker's own peak, as the kernel counts it, after the job's output went through it. (wait4 here
        // would count the test process too: posix_spawn runs the child in the parent's memory until exec.)
        func peakKilobytes(_ job: String) throws -> Int {
            #expect(try fixture.run([job]).status == 0)
            let report = String(
                decoding: try #require(try fixture.store.output(of: job, attempt: 1, .stderr)), as: UTF8.self)
            return try #require(Int(report.split(whereSeparator: { !$0.isNumber }).first ?? ""), "\(report)")
        }
        let kilobytes = try peakKilobytes("big")
        if let sanitizer = Sanitizer.active {
            // Instrumented, the worker's shadow memory alone is over 20 MB: the bound is on what 100 MB of output
            // add to the peak of a worker whose job writes 3 bytes, so that buffering the output still fails.
            let baseline = try peakKilobytes("small")
            // scripts/sanitize.sh shows this line under the suite's result.
            print(
                "sanitize-note: \(sanitizer) build: the worker's peak for 100 MB of output, \(kilobytes) KiB, is"
                    + " bounded by its peak for 3 bytes, \(baseline) KiB, + 20 MiB")
            #expect(kilobytes - baseline < 20 * 1024, "worker peak \(kilobytes) KiB, \(baseline) KiB for 3 bytes")
        } else {
            #expect(kilobytes < 20 * 1024, "worker peak RSS \(kilobytes) KiB")
        }
        let attempt = try #require(try fixture.store.attempt(of: "big", number: 1))
        #expect(attempt.stdoutBytes == 100_000_003)
        let tail = try #require(try fixture.store.output(of: "big", attempt: 1, .stdout))
        #expect(tail.count == StoreSchema.outputTailBytes && tail.suffix(3) == Array("end".utf8))
        let logs = fixture.path("logs")
        #expect(try fixture.run(["logged"], options: ["--log_dir=\(logs)"]).status == 0)
        let record = try #require(try fixture.store.attempt(of: "logged", number: 1))
        #expect(record.stdoutLog == "\(logs)/ns/logged.1.stdout" && record.stderrLog == "\(logs)/ns/logged.1.stderr")
        let all = try Data(contentsOf: URL(fileURLWithPath: try #require(record.stdoutLog)))
        #expect(all.count == record.stdoutBytes && all.count > StoreSchema.outputTailBytes)
        #expect(try String(contentsOfFile: try #require(record.stderrLog), encoding: .utf8) == "bye\n")
    }

    @Test("output that is not UTF-8 is kept byte for byte")
    func binaryOutput() throws {
        let fixture = try WorkerFixture([shell("a", #"printf '\377\376abc\000def\200'"#)])
        #expect(try fixture.run(["a"]).status == 0)
        #expect(
            try fixture.store.output(of: "a", attempt: 1, .stdout) == [0xFF, 0xFE, 97, 98, 99, 0, 100, 101, 102, 0x80])
    }

    @Test(
        "a command that cannot start fails with 113 and says why",
        arguments: [
            (Job(id: "a", command: .argv(["/nonexistent/tool", "x"])), "cannot run '/nonexistent/tool'"),
            (Job(id: "a", command: .argv(["no-such-command-anywhere"])), "command not found"),
            (Job(id: "a", command: .shell("true"), cwd: "/nonexistent/dir"), "cannot change to the job's directory"),
        ])
    func cannotStart(job: Job, expected: String) throws {
        let fixture = try WorkerFixture([job])
        let finished = try fixture.run(["a"])
        #expect(finished.status == WorkerExitStatus.jobFailed)
        let attempt = try #require(try fixture.store.attempt(of: "a", number: 1))
        #expect(attempt.state == .failed && attempt.exitStatus == nil && attempt.reason?.contains(expected) == true)
        #expect(finished.stderr.contains(expected))
    }

    @Test("a shell command that is not found exits 127 and fails the job")
    func shellNotFound() throws {
        let fixture = try WorkerFixture([shell("a", "no-such-command-anywhere")])
        #expect(try fixture.run(["a"]).status == WorkerExitStatus.jobFailed)
        #expect(try fixture.store.attempt(of: "a", number: 1)?.exitStatus == 127)
    }

    @Test("a simple line runs without the shell, in the environment the shell gives; any other line runs under sh")
    func simpleLinesRunDirectly() throws {
        let fixture = try WorkerFixture([])
        let directory = fixture.directory
        // The probe says which process started it: the worker itself, or a shell between them.
        try writeFile(fixture.path("probe"), "#!/bin/sh\ncat /proc/$PPID/comm\necho \"$@\"\n", mode: 0o755)
        // No `#!`: only a shell runs it, so the direct start hands it over.
        try writeFile(fixture.path("script-without-interpreter"), "echo run by the shell\n", mode: 0o755)
        try fixture.store.push(
            try JobGraph(jobs: [
                shell("direct", "./probe  one\ttwo=2 -x", cwd: directory),
                shell("quoted", "./probe 'one'", cwd: directory),
                shell("env-direct", "env", cwd: directory, env: ["FOO": "bar baz"]),
                shell("env-shell", "exec env", cwd: directory, env: ["FOO": "bar baz"]),
                shell("handed-over", "./script-without-interpreter", cwd: directory),
                shell("missing", "no-such-program-anywhere arg", cwd: directory),
            ]), pushedBy: "test")
        let finished = try fixture.run(
            ["direct", "quoted", "env-direct", "env-shell", "handed-over"],
            environment: ["PWD": "/", "NOT-A-SHELL-NAME": "x"])
        #expect(finished.status == 0, "\(finished.stderr)")
        func output(_ job: String) throws -> String {
            String(decoding: try fixture.store.output(of: job, attempt: 1, .stdout) ?? [], as: UTF8.self)
        }
        let direct = try output("direct").split(separator: "\n")
        #expect(direct.count == 2 && direct[0] != "sh" && direct[1] == "one two=2 -x", "\(direct)")
        #expect(try output("quoted") == "sh\none\n")
        // The same but for the job's own id.
        func variables(_ job: String) throws -> [Substring] {
            try output(job).split(separator: "\n").filter { !$0.hasPrefix("CLUSTMAKE_JOB=") }.sorted()
        }
        let environment = try variables("env-direct")
        let shellEnvironment = try variables("env-shell")
        let directOnly = Set(environment).subtracting(shellEnvironment)
        let shellOnly = Set(shellEnvironment).subtracting(environment)
        #expect(environment == shellEnvironment, "direct only: \(directOnly); shell only: \(shellOnly)")
        #expect(environment.contains("PWD=\(directory)") && environment.contains("FOO=bar baz"))
        #expect(!environment.contains { $0.hasPrefix("NOT-A-SHELL-NAME=") })
        #expect(try output("handed-over") == "run by the shell\n")
        // A program not found is left to the shell: its message, status 127, a failed job.
        #expect(try fixture.run(["missing"]).status == WorkerExitStatus.jobFailed)
        let missing = try #require(try fixture.store.attempt(of: "missing", number: 1))
        #expect(missing.exitStatus == 127)
        let message = String(
            decoding: try fixture.store.output(of: "missing", attempt: 1, .stderr) ?? [], as: UTF8.self)
        #expect(message.contains("no-such-program-anywhere") && message.contains("not found"), "\(message)")
    }

    @Test("the job runs in its directory with its environment and nice level, without the redis password")
    func environment() throws {
        let fixture = try WorkerFixture(
            [], options: RedisServer.Options(password: "pw-\(UInt32.random(in: 0...UInt32.max))"))
        let directory = fixture.directory
        try fixture.store.push(
            try JobGraph(jobs: [
                shell(
                    "a",
                    #"printf '%s|%s|%s|%s|%s|%s' "$FOO" "$CLUSTMAKE_JOB" "$CLUSTMAKE_ATTEMPT" "$(pwd)" "$(nice)" "#
                        + #""${REDISCLI_AUTH:-unset}""#,
                    cwd: directory, env: ["FOO": "bar baz"], nice: 7)
            ]), pushedBy: "test")
        let finished = try fixture.run(["a"], environment: ["REDISCLI_AUTH": fixture.server.options.password!])
        #expect(finished.status == 0, "\(finished.stderr)")
        let output = try #require(try fixture.store.output(of: "a", attempt: 1, .stdout))
        #expect(String(decoding: output, as: UTF8.self) == "bar baz|a|1|\(directory)|7|unset")
    }

    @Test(
        "nothing that leads to redis reaches the job: no REDISCLI_AUTH, no password file variable, no password",
        arguments: ["stdin", "REDISCLI_AUTH", "CLUSTMAKE_REDIS_PASSWORD_FILE"])
    func jobEnvironmentHasNoWayIntoTheStore(source: String) throws {
        let password = "pw-\(UInt32.random(in: 0...UInt32.max))"
        let fixture = try WorkerFixture([], options: RedisServer.Options(password: password))
        let file = fixture.path("password")
        try writeFile(file, password + "\n", mode: 0o600)
        // Both the environment as the job sees it and the one the kernel gave it at exec.
        try fixture.store.push(
            try JobGraph(jobs: [shell("a", "env; echo ---; tr '\\0' '\\n' < /proc/self/environ; cat")]),
            pushedBy: "test")
        let variables = ["REDISCLI_AUTH": password, "CLUSTMAKE_REDIS_PASSWORD_FILE": file]
        let finished =
            source == "stdin"
            ? try fixture.run(
                ["a"], options: ["--redis_password_stdin"], environment: variables, standardInput: password + "\n")
            : try fixture.run(["a"], environment: [source: variables[source]!])
        #expect(finished.status == 0, "\(finished.stderr)")
        let output = String(
            decoding: try #require(try fixture.store.output(of: "a", attempt: 1, .stdout)), as: UTF8.self)
        #expect(output.contains("CLUSTMAKE_JOB=a"), "\(output)")
        for leak in ["REDISCLI_AUTH", "CLUSTMAKE_REDIS_PASSWORD_FILE", password, file] {
            #expect(!output.contains(leak), "\(leak) reached the job: \(output)")
        }
    }

    @Test("the job starts with no signal ignored or blocked, no inherited descriptors, stdin from /dev/null")
    func cleanProcess() throws {
        let fixture = try WorkerFixture([
            shell("a", "grep -E '^Sig(Ign|Blk)' /proc/self/status; ls /proc/self/fd | tr '\\n' ' '; cat")
        ])
        #expect(try fixture.run(["a"]).status == 0)
        let output = String(
            decoding: try #require(try fixture.store.output(of: "a", attempt: 1, .stdout)), as: UTF8.self)
        func mask(_ name: String) -> UInt64? {
            output.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
        }
        // Signals 32 and 33 belong to glibc, which does not let programs change them; the test runner ignores them.
        #expect(mask("SigIgn").map { $0 & 0x7fff_ffff } == 0, "\(output)")
        #expect(mask("SigBlk") == 0, "\(output)")
        // grep's and ls's own descriptors: 0, 1, 2, and the one ls opens to list the directory.
        #expect(output.hasSuffix("0 1 2 3 "), "\(output)")
    }

    @Test("several jobs run in order; the first that does not succeed stops the rest")
    func severalJobs() throws {
        let fixture = try WorkerFixture([shell("a", "true"), shell("b", "false"), shell("c", "true")])
        let finished = try fixture.run(["a", "b", "c"])
        #expect(finished.status == WorkerExitStatus.jobFailed)
        #expect(try fixture.store.states() == ["a": .done, "b": .failed, "c": .notStarted])
    }

    @Test("a line of jobs takes each next lease while recording the one before: one script call per job, plus one")
    func lineRoundTrips() throws {
        let fixture = try WorkerFixture([shell("a", "true"), shell("b", "true", deps: ["a"]), shell("c", "true")])
        let redis = try fixture.server.connect()
        try redis.command("CONFIG", "RESETSTAT").expectOK()
        let finished = try fixture.run(["a", "b", "c"])
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(try fixture.scriptRuns() == 4)
        #expect(try fixture.store.states() == ["a": .done, "b": .done, "c": .done])
        for id in ["a", "b", "c"] { #expect(try fixture.store.attempts(of: id).count == 1) }
    }

    @Test("a stop signal that arrives as a job of a line ends: that job is recorded once, no later job is taken")
    func lineStoppedBetweenJobs() throws {
        // The job signals its worker and ends at once: the signal comes while the job ends or right after.
        let fixture = try WorkerFixture([shell("a", "kill -TERM $PPID; exit 0"), shell("b", "true")])
        let finished = try fixture.run(["a", "b"])
        #expect(finished.status == WorkerExitStatus.interrupted, "\(finished.stderr)")
        #expect(try fixture.store.attempts(of: "a").count == 1)
        #expect(try fixture.store.status(of: "a").leaseHolder == nil)
        #expect(try fixture.store.status(of: "b").attempts == 0)
        #expect(try fixture.store.states()["b"] == .notStarted)
    }
}
