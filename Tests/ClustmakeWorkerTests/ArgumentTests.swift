import ClustmakeRedis
import Testing

@testable import ClustmakeWorker

@Suite struct ArgumentTests {
    @Test("the job line of a plan parses")
    func planLine() throws {
        let arguments = try WorkerArguments(parsing: [
            "--hostname=nodeA", "--db=redis", "--redis_host=localhost:13001", "--save_progress=False", "--slave", "ns",
            "make_single", "more=False", "wait=86400", "job-1",
        ])
        #expect(arguments.hostname == "nodeA" && arguments.redisHost == "localhost:13001")
        #expect(
            arguments.namespace == "ns" && arguments.jobs == ["job-1"] && !arguments.more && arguments.wait == 86400)
    }

    @Test("compmake 1.0's own argument order and spacing parse, with --opt value forms")
    func compmakeLine() throws {
        let arguments = try WorkerArguments(parsing: [
            "--hostname", "nodeB", "--db", "redis", "--redis_events", "--redis_host=localhost:13001", "--slave", "cmex",
            "--save_progress=False", "make_single", "more=True", "A", "B",
        ])
        #expect(arguments.hostname == "nodeB" && arguments.namespace == "cmex" && arguments.more)
        #expect(arguments.jobs == ["A", "B"] && arguments.wait == nil)
    }

    @Test("after --, every word is a job id, even one that reads like more=, wait= or an option")
    func idsAfterDoubleDash() throws {
        let arguments = try WorkerArguments(parsing: [
            "--hostname=nodeA", "--slave", "ns", "make_single", "more=False", "wait=5", "--", "more=True", "wait=0",
            "a",
        ])
        #expect(!arguments.more && arguments.wait == 5)
        #expect(arguments.jobs == ["more=True", "wait=0", "a"])
        let bare = try WorkerArguments(parsing: ["--slave", "ns", "make_single", "--", "wait=0"])
        #expect(bare.jobs == ["wait=0"] && bare.wait == nil && !bare.more)
        // An id can never start with '-' (JobID), so "--x" after -- is refused as an id, not taken as an option.
        let dashed = try #require(throws: WorkerArgumentError.self) {
            try WorkerArguments(parsing: ["--slave", "ns", "make_single", "--", "--x"])
        }
        #expect(dashed.message.contains("'--x' is not a valid job id"))
    }

    @Test(
        "--redis_host carries a redis database other than 0 in every form a job line writes",
        arguments: [
            ("localhost:13001", RedisEndpoint(host: "localhost", port: 13001)),
            ("redis://localhost:13001/3", RedisEndpoint(host: "localhost", port: 13001, database: 3)),
            ("unix:/run/r.sock", RedisEndpoint(unixSocket: "/run/r.sock")),
            ("unix:/run/r.sock?db=4", RedisEndpoint(unixSocket: "/run/r.sock", database: 4)),
            ("unix:///run/r.sock?db=2", RedisEndpoint(unixSocket: "/run/r.sock", database: 2)),
        ])
    func redisHostDatabase(redisHost: String, expected: RedisEndpoint) throws {
        var arguments = try WorkerArguments(parsing: ["--redis_host=\(redisHost)", "--slave", "ns", "make_single", "a"])
        let endpoint = try WorkerEndpoint.resolve(arguments)
        #expect(endpoint.address == expected.address && endpoint.database == expected.database, "\(endpoint)")
        arguments.redisHost = "unix:run/r.sock"
        #expect(throws: WorkerError.self) { try WorkerEndpoint.resolve(arguments) }
    }

    @Test(
        "bad command lines are refused with a message naming the problem",
        arguments: [
            (["--slave", "ns", "make_single"], "at least one job"),
            (["ns", "make_single", "a"], "--slave"),
            (["--slave", "ns", "make", "a"], "unknown command 'make'"),
            (["--slave", "ns", "make_single", "more=maybe", "a"], "True or False"),
            (["--slave", "ns", "make_single", "wait=soon", "a"], "wait=soon"),
            (["--db=filesystem", "--slave", "ns", "make_single", "a"], "--db=redis"),
            (["--hostnme=x", "--slave", "ns", "make_single", "a"], "Did you mean '--hostname'"),
            (["--slave", "ns", "make_single", "a b"], "not a valid job id"),
            (["--lease_ttl=0", "--slave", "ns", "make_single", "a"], "positive"),
            (["--lease_ttl=1e308", "--slave", "ns", "make_single", "a"], "at most 86400"),
            (["--kill_grace=inf", "--slave", "ns", "make_single", "a"], "at most 86400"),
            (["--redis_retry=nan", "--slave", "ns", "make_single", "a"], "at most 86400"),
            (["--slave", "ns", "make_single", "wait=1e308", "a"], "from 0 to 31622400"),
            (["--slave", "ns", "make_single", "wait=inf", "a"], "from 0 to 31622400"),
        ])
    func refused(words: [String], expected: String) throws {
        let error = try #require(throws: WorkerArgumentError.self) { try WorkerArguments(parsing: words) }
        #expect(error.message.contains(expected))
    }
}
