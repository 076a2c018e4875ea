import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import ClustmakeWorker
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The worker binary when redis, the namespace, the dependencies or the session are not as they should be.
@Suite struct WorkerInfrastructureTests {
    /// Ends a job that lives until it is stopped (`sleep infinity`), by the pid it wrote to `path`, in case the
    /// worker under test did not stop it.
    static func endJob(pidIn path: String) {
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(-pid, SIGKILL)
        }
    }

    @Test("an unknown namespace or job exits 120 and names it")
    func unknown() throws {
        let fixture = try WorkerFixture([shell("a", "true")])
        let job = try fixture.run(["nope"])
        #expect(job.status == WorkerExitStatus.unknownJob && job.stderr.contains("no job 'nope'"))
        let other = try WorkerFixture([], namespace: "empty")
        let namespace = try other.run(["a"])
        #expect(
            namespace.status == WorkerExitStatus.unknownJob
                && namespace.stderr.contains("namespace 'empty' does not exist"))
    }

    @Test("a namespace of another schema version exits 119 and touches nothing")
    func schemaMismatch() throws {
        let fixture = try WorkerFixture([shell("a", "true")])
        try fixture.server.connect().command("SET", "compmake:{ns}:schema", "2")
        let finished = try fixture.run(["a"])
        #expect(finished.status == WorkerExitStatus.schemaMismatch && finished.stderr.contains("schema version 2"))
        #expect(try fixture.server.connect().command("HGET", "compmake:{ns}:states", "a").string == "not-started")
    }

    @Test(
        "a job definition in redis that no graph could hold exits 114 naming the key and field, and gives the job back",
        arguments: [
            ("timeout", "1e308", "bad 'timeout' field: is 1e+308 seconds"),
            ("timeout", "inf", "bad 'timeout' field: 'inf' is not a finite number"),
            ("cwd", "/tmp/\0/x", "bad 'cwd' field: holds a NUL byte at character 6"),
            ("shell", "echo a\0; touch ran", "bad 'command' field: holds a NUL byte"),
            ("env", #"{"X": "a\u0000b"}"#, "bad 'env"),
            ("cores", "9223372036854775807", "bad 'cores' field: is 9223372036854775807, outside 1…100000"),
            ("nice", "99999999999999999999", "bad 'nice' field: '99999999999999999999' is not a whole number"),
        ])
    func corruptDefinition(field: String, value: String, expected: String) throws {
        let fixture = try WorkerFixture([shell("a", "true")])
        let redis = try fixture.server.connect()
        _ = try redis.command([
            RedisArgument("HSET"), RedisArgument("compmake:{ns}:job:a"), RedisArgument(field),
            RedisArgument(value),
        ])
        let finished = try fixture.run(["--", "a"])
        #expect(finished.status == WorkerExitStatus.internalError, "\(finished.stderr)")
        #expect(finished.stderr.contains("compmake:{ns}:job:a"), "\(finished.stderr)")
        #expect(finished.stderr.contains(expected), "\(finished.stderr)")
        #expect(!finished.stderr.unicodeScalars.contains { $0.value == 0 })
        // The lease it took is given back at once: the job is not left in progress for its lease's life.
        let status = try fixture.store.status(of: "a")
        #expect(status.state != .inProgress && status.leaseHolder == nil, "\(status)")
        #expect(try fixture.store.attempt(of: "a", number: 1)?.state == .lost)
    }

    @Test("redis unreachable from the start exits 118 after a bounded retry")
    func unreachable() throws {
        let fixture = try WorkerFixture([shell("a", "true")])
        fixture.server.kill()
        let finished = try fixture.run(["a"], options: ["--redis_retry=0.5"])
        #expect(finished.status == WorkerExitStatus.redisUnreachable && finished.seconds < 5)
        #expect(finished.stderr.contains("unreachable"))
    }

    @Test("redis killed during a job and back before the retry bound: the result is recorded once")
    func redisRestarted() throws {
        let fixture = try WorkerFixture(
            [], options: RedisServer.Options(extraArguments: ["--appendonly", "yes", "--appendfsync", "always"]))
        // The job ends when the test says so, and says when it has ended.
        let go = fixture.path("go")
        let ended = fixture.path("ended")
        try fixture.store.push(
            try JobGraph(jobs: [shell("a", "while [ ! -e \(go) ]; do sleep 0.05; done; echo done; touch \(ended)")]),
            pushedBy: "test")
        let worker = try fixture.start(["a"], options: ["--lease_ttl=1.2", "--redis_retry=20"])
        #expect(fixture.eventually { (try? fixture.store.states()["a"]) == .inProgress })
        fixture.server.kill()
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        // The job ends while redis is down; the worker keeps retrying.
        #expect(fixture.eventually { FileManager.default.fileExists(atPath: ended) })
        try fixture.server.restart()
        let finished = worker.finish()
        #expect(finished.status == 0, "\(finished.stderr)")
        let store = try JobStore(connection: try fixture.server.connect(), namespace: "ns")
        #expect(try store.state(of: "a") == .done)
        #expect(try store.status(of: "a").attempts == 1)
        #expect(try store.output(of: "a", attempt: 1, .stdout) == Array("done\n".utf8))
        #expect(try store.events().filter { $0.name == "job-succeeded" }.count == 1)
    }

    @Test("redis lost for longer than the retry bound exits 118 and says what was lost")
    func redisGone() throws {
        let fixture = try WorkerFixture([shell("a", "sleep 0.3")])
        let worker = try fixture.start(["a"], options: ["--redis_retry=0.5"])
        #expect(fixture.eventually { (try? fixture.store.states()["a"]) == .inProgress })
        fixture.server.kill()
        let finished = worker.finish()
        #expect(finished.status == WorkerExitStatus.redisUnreachable)
        #expect(finished.stderr.contains("outcome is lost to redis") && finished.stderr.contains("succeeded"))
    }

    @Test("missing dependencies fail at once without wait=, naming them")
    func missingDependencies() throws {
        let fixture = try WorkerFixture([shell("a", "true"), shell("x", "true"), shell("b", "true", deps: ["a", "x"])])
        #expect(try fixture.run(["a"]).status == 0)
        let finished = try fixture.run(["b"])
        #expect(finished.status == WorkerExitStatus.dependenciesNotReady)
        #expect(finished.stderr.contains("'x' (not-started)") && !finished.stderr.contains("'a'"))
        #expect(try fixture.store.state(of: "b") == .notStarted)
    }

    @Test("wait= blocks until the dependencies are done, then runs")
    func waitsForDependencies() throws {
        let fixture = try WorkerFixture([shell("a", "sleep 0.3"), shell("b", "true", deps: ["a"])])
        let waiting = try fixture.start(["b"], wait: 20)
        #expect(fixture.eventually(30) { fixture.workerWaitsForEvents }, "\(waiting.stderrSoFar)")
        #expect(try fixture.store.state(of: "b") == .notStarted)
        #expect(try fixture.run(["a"]).status == 0)
        let finished = waiting.finish()
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(finished.seconds < 5)
        #expect(try fixture.store.state(of: "b") == .done)
    }

    @Test("a dependency that fails while waiting makes the job blocked (115)")
    func blockedWhileWaiting() throws {
        let fixture = try WorkerFixture([shell("a", "sleep 0.2; exit 1"), shell("b", "true", deps: ["a"])])
        let waiting = try fixture.start(["b"], wait: 20)
        #expect(try fixture.run(["a"]).status == WorkerExitStatus.jobFailed)
        let finished = waiting.finish()
        #expect(finished.status == WorkerExitStatus.blocked && finished.seconds < 5)
        #expect(finished.stderr.contains("dependency 'a' is failed"))
        #expect(try fixture.store.status(of: "b").state == .blocked)
    }

    @Test("waiting longer than wait= exits 116 naming what is missing")
    func waitTimesOut() throws {
        let fixture = try WorkerFixture([shell("a", "true"), shell("b", "true", deps: ["a"])])
        let finished = try fixture.run(["b"], wait: 0.4)
        #expect(finished.status == WorkerExitStatus.dependenciesNotReady)
        #expect(finished.seconds >= 0.4 && finished.seconds < 5)
        #expect(finished.stderr.contains("'a' (not-started)") && finished.stderr.contains("after waiting"))
    }

    @Test("SIGTERM while waiting for dependencies exits 123 at once and leaves no trace")
    func interruptedWhileWaiting() throws {
        let fixture = try WorkerFixture([shell("a", "true"), shell("b", "true", deps: ["a"])])
        let waiting = try fixture.start(["b"], wait: 60)
        #expect(fixture.eventually(30) { fixture.workerWaitsForEvents }, "\(waiting.stderrSoFar)")
        waiting.signal(SIGTERM)
        let finished = waiting.finish()
        #expect(finished.status == WorkerExitStatus.interrupted && finished.seconds < 3)
        #expect(try fixture.store.status(of: "b").attempts == 0)
    }

    @Test("the worker's session dropping (its stdout pipe closed) stops the job like SIGHUP")
    func sessionDrops() throws {
        let fixture = try WorkerFixture([])
        let ready = fixture.path("ready")
        try fixture.store.push(
            try JobGraph(jobs: [shell("a", "echo $$ > \(ready); exec sleep infinity")]), pushedBy: "test")
        defer { Self.endJob(pidIn: ready) }
        let worker = try fixture.start(["a"], stdoutPipe: true)
        #expect(fixture.eventually { FileManager.default.fileExists(atPath: ready) })
        close(worker.stdoutRead)
        worker.stdoutRead = -1
        let finished = worker.finish()
        #expect(finished.status == WorkerExitStatus.interrupted, "\(finished.stderr)")
        #expect(try fixture.store.attempt(of: "a", number: 1)?.reason?.contains("SIGHUP") == true)
    }

    @Test("the worker reaches redis over a unix socket (unix:/path)")
    func unixSocket() throws {
        let fixture = try WorkerFixture([shell("a", "true")], options: RedisServer.Options(unixSocket: true))
        let path = try #require(fixture.server.unixSocketPath)
        #expect(try fixture.run(["a"], redisHost: "unix:\(path)").status == 0)
        #expect(try fixture.store.state(of: "a") == .done)
    }
}

/// How the worker gets a redis password without it appearing on its command line.
@Suite struct WorkerPasswordTests {
    static let password = "pw-\(UInt32.random(in: 0...UInt32.max))"

    func fixture() throws -> WorkerFixture {
        try WorkerFixture([shell("a", "true")], options: RedisServer.Options(password: Self.password))
    }

    @Test("from a file only the user can read")
    func file() throws {
        let fixture = try fixture()
        let path = fixture.path("password")
        try writeFile(path, Self.password + "\n", mode: 0o600)
        #expect(try fixture.run(["a"], options: ["--redis_password_file=\(path)"]).status == 0)
    }

    @Test("from the default file ~/.config/clustmake/redis-password")
    func defaultFile() throws {
        let fixture = try fixture()
        try FileManager.default.createDirectory(
            atPath: fixture.path(".config/clustmake"), withIntermediateDirectories: true)
        try writeFile(fixture.path(".config/clustmake/redis-password"), Self.password, mode: 0o600)
        #expect(try fixture.run(["a"]).status == 0)
    }

    @Test("from standard input, as an executor writes it over the ssh session")
    func standardInput() throws {
        let fixture = try fixture()
        let finished = try fixture.run(["a"], options: ["--redis_password_stdin"], standardInput: Self.password + "\n")
        #expect(finished.status == 0, "\(finished.stderr)")
    }

    @Test("from REDISCLI_AUTH")
    func environment() throws {
        let fixture = try fixture()
        #expect(try fixture.run(["a"], environment: ["REDISCLI_AUTH": Self.password]).status == 0)
    }

    @Test("a file others may read is refused (121), without showing the password")
    func looseFile() throws {
        let fixture = try fixture()
        let path = fixture.path("password")
        try writeFile(path, Self.password, mode: 0o644)
        let finished = try fixture.run(["a"], options: ["--redis_password_file=\(path)"])
        #expect(finished.status == WorkerExitStatus.badArguments && finished.stderr.contains("chmod 600"))
        #expect(!finished.stderr.contains(Self.password))
    }

    @Test("no password or a wrong one exits 122; a password on the command line is refused (121)")
    func refused() throws {
        let fixture = try fixture()
        let none = try fixture.run(["a"])
        #expect(none.status == WorkerExitStatus.redisRefused, "\(none.stderr)")
        let wrong = try fixture.run(["a"], environment: ["REDISCLI_AUTH": "wrong"])
        #expect(wrong.status == WorkerExitStatus.redisRefused && !wrong.stderr.contains("wrong"))
        let inline = try fixture.run(["a"], redisHost: "redis://:\(Self.password)@127.0.0.1:\(fixture.server.port)")
        #expect(inline.status == WorkerExitStatus.badArguments && !inline.stderr.contains(Self.password))
        #expect(try fixture.store.status(of: "a").attempts == 0)
    }
}

/// A worker whose lease another attempt took over stops its job.
@Suite struct WorkerLeaseTests {
    @Test("when another attempt takes the job over, the worker stops its command and exits 124")
    func leaseLost() throws {
        let fixture = try WorkerFixture([])
        let ready = fixture.path("ready")
        try fixture.store.push(
            try JobGraph(jobs: [shell("a", "echo $$ > \(ready); exec sleep infinity")]), pushedBy: "test")
        defer { WorkerInfrastructureTests.endJob(pidIn: ready) }
        let worker = try fixture.start(["a"], options: ["--lease_ttl=0.6", "--kill_grace=0.2"])
        #expect(fixture.eventually { FileManager.default.fileExists(atPath: ready) })
        // As if the worker had been cut off for longer than its lease: the lease expires, another worker starts.
        let redis = try fixture.server.connect()
        try redis.command("DEL", "compmake:{ns}:lease:a")
        let other = LeaseRequest(
            token: "other/1/x", ttl: .seconds(30), host: "nodeB", nodename: "b", workerPID: 1, workerVersion: "test")
        guard case .started(let lease) = try fixture.store.acquire("a", more: false, request: other) else {
            Issue.record("the other worker should have taken the job")
            return
        }
        let finished = worker.finish(timeout: 10)
        #expect(finished.status == WorkerExitStatus.leaseLost, "\(finished.stderr)")
        #expect(finished.stderr.contains("did not count"))
        let first = try #require(try fixture.store.attempt(of: "a", number: 1))
        #expect(first.superseded != nil && first.signal == Int(SIGTERM))
        #expect(
            try fixture.store.finish(
                lease, AttemptResult(state: .succeeded, exitStatus: 0, started: .now(), ended: .now(), wallTime: 0))
                == .recorded(.done))
    }
}
