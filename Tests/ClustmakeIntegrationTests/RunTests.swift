import ClustmakeHosts
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `clustmake run` end to end: real redis, real sshd on network-namespace hosts reached through the reverse
/// tunnel only, the built clustmake and compmake (docs/run.md, docs/testing.md).
@Suite struct RunTests {
    @Test("a WfCommons workflow runs as scaled sleeps across three hosts: every job once, after its dependencies")
    func workflowAcrossHosts() throws {
        let fixture = try RunFixture()
        let workflow = RunFixture.sharedWorkflow("epigenomics-1000.json")
        let result = try fixture.run(
            [
                "run", workflow, "--time-scale", "0.0002", "--cluster", try fixture.clusterFile(),
                "--redis", fixture.redisURL, "--namespace", fixture.ns("wf"),
            ], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        #expect(result.stdout.contains("finished"))
        let record = try RunRecord(store: try fixture.store("wf"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        #expect(record.hostsUsed == ["h1", "h2", "h3"])
    }

    @Test("a failing job blocks its dependents, the rest runs, the exit status is 1 and the summary names it")
    func failingJobBlocksDependents() throws {
        let fixture = try RunFixture()
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "echo broken input >&2; exit 3"}
              - {id: b, command: "true", deps: [a]}
              - {id: c, command: "true", deps: [b]}
              - {id: d, command: "sleep 0.2"}
              - {id: e, command: "true", deps: [d]}
            """)
        let result = try fixture.run(
            [
                "run", graph, "--cluster", try fixture.clusterFile(), "--redis", fixture.redisURL, "--namespace",
                fixture.ns("fail"),
            ])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("1 failed"))
        #expect(result.stdout.contains("2 blocked"))
        #expect(result.stdout.contains("failed: a on h"))
        #expect(result.stdout.contains("stderr: broken input"))
        let store = try fixture.store("fail")
        let states = try store.states()
        #expect(states == ["a": .failed, "b": .blocked, "c": .blocked, "d": .done, "e": .done])
        #expect(try store.attempts(of: "b").isEmpty && store.attempts(of: "c").isEmpty, "blocked jobs never started")
        #expect(try store.attempts(of: "a").count == 1)
        #expect(try store.status(of: "c").blockedBy == "b")
    }

    @Test("without a cluster file the jobs run on this machine, and a second run finds them done")
    func localRunAndResumeWhenDone() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "echo a"}
              - {id: b, command: "echo b", deps: [a]}
              - {id: c, command: "echo c", deps: [a]}
              - {id: d, command: "echo d", deps: [b, c]}
            """)
        let first = try fixture.run([
            "run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("local"), "--json",
        ])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let events = first.stdout.split(separator: "\n")
        #expect(events.first?.contains(#""event":"run-started""#) == true)
        #expect(events.last?.contains(#""event":"run-finished""#) == true)
        let record = try RunRecord(store: try fixture.store("local"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        #expect(record.hostsUsed == ["localhost"])
        // The plan the run followed is kept in redis: stats and report compare with it without --plan.
        let stats = try fixture.run(["stats", "--redis", fixture.redisURL, "--namespace", fixture.ns("local")])
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(stats.stdout.contains(" planned"), "\(stats.stdout)")
        let statsJSON = try fixture.run([
            "stats", "--redis", fixture.redisURL, "--namespace", fixture.ns("local"), "--json",
        ])
        #expect(statsJSON.stdout.contains(#""critical_path_planned""#), "\(statsJSON.stdout.prefix(2000))")
        let report = try fixture.run([
            "report", "--redis", fixture.redisURL, "--namespace", fixture.ns("local"), "-o",
            fixture.directory + "/report.html",
        ])
        #expect(report.stdout.contains(", against the plan."), "\(report.stdout)\(report.stderr)")
        let second = try fixture.run(["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("local")])
        #expect(second.status == 0)
        #expect(second.stderr.contains("4 done already"))
        #expect(try RunRecord(store: try fixture.store("local")).attempts.values.allSatisfy { $0.count == 1 })
    }

    @Test("ids that read like make_single's arguments (more=True, wait=0) each run exactly once, bundled or not")
    func idsLikeWorkerArguments() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "echo a"}
              - {id: "more=True", command: "echo more"}
              - {id: "wait=0", command: "echo wait"}
              - {id: z, command: "echo z", deps: [a, "more=True", "wait=0"]}
            """)
        for bundle in ["off", "3"] {
            let namespace = fixture.ns("ids-\(bundle)")
            let arguments = ["run", graph, "--redis", fixture.redisURL, "--namespace", namespace, "--bundle", bundle]
            let first = try fixture.run(arguments)
            #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
            let record = try RunRecord(store: try fixture.store("ids-\(bundle)"))
            record.expectEveryJobDoneOnce()
            record.expectDependencyOrder()
            // A second run finds them done: no worker read more=True as "run again".
            let second = try fixture.run(arguments)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("4 done already"), "\(second.stderr)")
            let again = try RunRecord(store: try fixture.store("ids-\(bundle)"))
            #expect(again.attempts.values.allSatisfy { $0.count == 1 }, "\(again.attempts.mapValues(\.count))")
        }
    }

    @Test("a bad value stored in redis is a note in stats, results and report; status, not reading it, shows counts")
    func badStoredValues() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "echo a"}
              - {id: b, command: "echo b", deps: [a]}
            """)
        let namespace = fixture.ns("bad-values")
        let first = try fixture.run(["run", graph, "--redis", fixture.redisURL, "--namespace", namespace])
        #expect(first.status == 0, "\(first.stderr)")
        let redis = try fixture.redis.connect()
        _ = try redis.command("HSET", "compmake:{\(namespace)}:job:b", "timeout", "1e308")
        // Its copy, which stats and report read, holds it too: refused, the job is read from its hash.
        _ = try redis.command("HSET", "compmake:{\(namespace)}:definitions", "b", "1|1:15:[\"a\"]2:[]1:11:05:1e308")
        _ = try redis.command("HSET", "compmake:{\(namespace)}:status:a", "attempts", "9223372036854775000")
        _ = try redis.command("HSET", "compmake:{\(namespace)}:attempt:b:1", "wall_time", "inf", "user_cpu", "nan")
        // Without its summary the attempt is read from these fields (a summary with them: BulkTests); without
        // their outcome copies, which hold a's status and b's summary, a's status and b's attempt are read from
        // what was changed here (docs/redis-schema.md: edit by hand, delete the copy).
        _ = try redis.command("DEL", "compmake:{\(namespace)}:summary:b:1")
        _ = try redis.command("HDEL", "compmake:{\(namespace)}:outcomes", "a", "b")
        for command in [
            ["stats"], ["stats", "--json"], ["results"], ["report", "-o", fixture.directory + "/r.html"],
        ] {
            let result = try fixture.run(
                command + ["--redis", fixture.redisURL, "--namespace", namespace], timeout: .seconds(60))
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(
                result.stderr.contains("note: job 'b': the job definition at compmake:{\(namespace)}:job:b"),
                "\(command): \(result.stderr)")
            #expect(result.stderr.contains("note: job 'a': its attempt count"), "\(command): \(result.stderr)")
        }
        let status = try fixture.run(["status", "--redis", fixture.redisURL, "--namespace", namespace])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("done 2"), "\(status.stdout)")
        #expect(!status.stderr.contains("note:"), "\(status.stderr)")
    }

    @Test("run --more after a finished run runs every job again, in dependency order, and records the new attempts")
    func moreRunsEveryJobAgain() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "echo a"}
              - {id: b, command: "echo b", deps: [a]}
              - {id: c, command: "echo c", deps: [a]}
              - {id: d, command: "echo d", deps: [b, c]}
            """)
        let arguments = ["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("more")]
        let first = try fixture.run(arguments)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let again = try fixture.run(arguments + ["--more", "--json"])
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(!again.stderr.contains("done already"), "\(again.stderr)")
        // A worker without more=True would have found each job up to date and started no second attempt.
        let record = try RunRecord(store: try fixture.store("more"))
        for job in record.graph.jobs {
            #expect(record.states[job.id] == .done)
            let attempts = record.attempts[job.id, default: []]
            #expect(attempts.map(\.number) == [1, 2], "\(job.id): \(attempts.map(\.number))")
            #expect(attempts.allSatisfy { $0.state == .succeeded }, "\(job.id): \(attempts.map(\.state))")
        }
        // The second round keeps the graph's order: each job's second attempt started after every dependency
        // became done again (its done_seq is that of its second attempt).
        record.expectDependencyOrder(ofAttempt: 2)
    }

    @Test("a changed graph is pushed and reported as clustmake push reports it, and its out-of-date jobs run again")
    func changedGraphReported() throws {
        let fixture = try RunFixture(hosts: 1)
        let text = """
            jobs:
              - {id: a, command: "echo a"}
              - {id: b, command: "echo b", deps: [a]}
              - {id: c, command: "echo c", deps: [a]}
              - {id: d, command: "echo d", deps: [b, c]}
            """
        let graph = try fixture.graphFile(text)
        let arguments = ["run", graph, "--redis", fixture.redisURL, "--namespace", fixture.ns("changed")]
        let first = try fixture.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!first.stderr.contains("the graph differs"), "a new namespace is no change: \(first.stderr)")
        _ = try fixture.graphFile(text.replacingOccurrences(of: "echo b", with: "echo B"))
        let second = try fixture.run(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("the graph differs from the one in redis: changed command (1): b\n"))
        #expect(second.stderr.contains("the graph differs from the one in redis: no longer up to date (2): b, d\n"))
        #expect(second.stderr.contains("2 done already"), "\(second.stderr)")
        let record = try RunRecord(store: try fixture.store("changed"))
        #expect(record.attempts["b"]?.count == 2)
        #expect(record.attempts["a"]?.count == 1)
    }

    @Test("with the embedded redis, remote workers get its password over their ssh session, never from a file")
    func embeddedRedisOnRemoteHosts() throws {
        let fixture = try RunFixture()
        let directory = fixture.directory + "/embedded"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let clustmake = ["/usr/bin/env", "-C", directory, RunFixture.clustmake]
        // However the test ends, the embedded redis it starts is stopped.
        defer { _ = try? fixture.cluster.start(clustmake + ["redis", "stop"]).wait(timeout: .seconds(30)) }
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "echo a"}
              - {id: b, command: "sleep 0.3", deps: [a]}
              - {id: c, command: "sleep 0.3", deps: [a]}
              - {id: d, command: "sleep 0.3", deps: [a]}
              - {id: e, command: "echo e", deps: [b, c, d]}
            """)
        let result = try fixture.cluster.start(
            clustmake + ["run", graph, "--cluster", try fixture.clusterFile(), "--namespace", "embedded"]
        ).wait(timeout: .seconds(90))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")

        let local = try LocalRedis(stateDirectory: directory + "/.clustmake")
        let password = try String(contentsOfFile: local.passwordFile, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let store = try JobStore(
            endpoint: RedisEndpoint(unixSocket: local.socketPath, password: password), namespace: "embedded")
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        #expect(record.hostsUsed.isSubset(of: ["h1", "h2", "h3"]) && !record.hostsUsed.isEmpty)
        // The run is remembered in this directory: the collector's commands need no --namespace after it.
        #expect(try String(contentsOfFile: directory + "/.clustmake/last-run", encoding: .utf8) == "embedded\n")
        let status = try fixture.cluster.start(clustmake + ["status"]).wait(timeout: .seconds(60))
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.hasPrefix("clustmake status: namespace embedded,"), "\(status.stdout)")
        // The hosts have no password anywhere a worker would look: it came over the session.
        for host in fixture.cluster.hostNames {
            let look = try fixture.cluster.run(
                host: host,
                "test -e ~/.config/clustmake/redis-password && echo file; echo \"auth=${REDISCLI_AUTH:-none}\"")
            #expect(look.stdout == "auth=none\n", "\(look.stdout)")
        }
    }

    @Test("a redis ACL user and its password reach the remote workers: --redis_user on the line, the password on stdin")
    func aclUserOnRemoteHosts() throws {
        let fixture = try RunFixture(
            hosts: 2,
            redis: RedisServer.Options(
                password: "default-secret", users: [RedisServer.User(name: "alice", password: "alice-secret")]))
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "true"}
              - {id: b, command: "true", deps: [a]}
              - {id: c, command: "true", deps: [a]}
            """)
        let result = try fixture.cluster.start(
            [
                "/usr/bin/env", "REDISCLI_AUTH=alice-secret", RunFixture.clustmake, "run", graph, "--cluster",
                try fixture.clusterFile(), "--redis", "redis://alice:@127.0.0.1:\(fixture.redis.port)", "--namespace",
                "acl", "--bundle", "off",
            ]
        ).wait(timeout: .seconds(90))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: try JobStore(connection: try fixture.redis.connect(), namespace: "acl"))
        record.expectEveryJobDoneOnce()
        #expect(!record.hostsUsed.isEmpty && record.hostsUsed.isSubset(of: ["h1", "h2"]))
    }

    @Test("a redis database other than 0: remote and local workers select it, and every key of the run is there")
    func databaseOtherThanZero() throws {
        let fixture = try RunFixture(hosts: 2)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "true"}
              - {id: b, command: "true", deps: [a]}
              - {id: c, command: "true", deps: [a]}
            """)
        let url = "redis://:\(RunFixture.password)@127.0.0.1:\(fixture.redis.port)/3"
        let remote = try fixture.run([
            "run", graph, "--cluster", try fixture.clusterFile(), "--redis", url, "--namespace", fixture.ns("db3"),
            "--bundle", "off",
        ])
        #expect(remote.status == 0, "\(remote.stdout)\n\(remote.stderr.suffix(3000))")
        let database3 = try fixture.redis.connect(database: 3)
        let record = try RunRecord(store: try JobStore(connection: database3, namespace: fixture.ns("db3")))
        record.expectEveryJobDoneOnce()
        #expect(!record.hostsUsed.isEmpty && record.hostsUsed.isSubset(of: ["h1", "h2"]))
        // A local worker gets the database in --redis_host as well.
        let local = try fixture.run(["run", graph, "--redis", url, "--namespace", fixture.ns("db3-local")])
        #expect(local.status == 0, "\(local.stdout)\n\(local.stderr.suffix(3000))")
        let localRecord = try RunRecord(store: try JobStore(connection: database3, namespace: fixture.ns("db3-local")))
        localRecord.expectEveryJobDoneOnce()
        #expect(localRecord.hostsUsed == ["localhost"])
        // Nothing of either run went to database 0.
        #expect(try fixture.redis.connect().command("DBSIZE").expectInteger() == 0)
        #expect(try database3.command("DBSIZE").expectInteger() > 0)
    }

    @Test("on a terminal: a live progress line (done, running, busy slots per host, elapsed, ETA), events above it")
    func progressOnTerminal() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile(RunFailureTests.sleepers(6, seconds: 0.6))
        let command = [
            RunFixture.clustmake, "run", graph, "--cluster", try fixture.clusterFile(), "--redis", fixture.redisURL,
            "--namespace", fixture.ns("tty"), "--bundle", "off",
        ].map { "'\($0)'" }.joined(separator: " ")
        // util-linux script(1) runs the command on a pseudo-terminal and copies what it wrote.
        let result = try fixture.cluster.start(["script", "-qefc", command, "/dev/null"]).wait(timeout: .seconds(90))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let screen = result.stdout
        #expect(screen.contains("\r\u{1B}[K"), "the progress line is redrawn in place")
        let progress = screen.components(separatedBy: "\r\u{1B}[K").filter { $0.contains(" done, ") }
        #expect(!progress.isEmpty, "\(screen)")
        #expect(progress.contains { $0.contains("running | h1 2/2 | 0:0") && $0.contains("ETA") }, "\(progress)")
        #expect(progress.contains { $0.hasPrefix("7/7 done") } || screen.contains("7 done"), "\(progress)")
        // Events are whole lines above it, and the summary ends the output.
        #expect(screen.contains("clustmake: [0:00] running 7 jobs on 1 host (2 slots)"), "\(screen)")
        #expect(screen.contains("finished: 7 jobs, 7 done"), "\(screen)")
    }

    @Test("bad input exits 2 with one message")
    func badInput() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile("jobs:\n  - {id: a, command: x, deps: [nope]}\n")
        let result = try fixture.run(["run", graph, "--redis", fixture.redisURL])
        #expect(result.status == 2)
        #expect(result.stderr.contains("nope"))
        let bundle = try fixture.run(["run", graph, "--redis", fixture.redisURL, "--bundle", "lots"])
        #expect(bundle.status == 2)
        // plan's and run's shared options are checked the same way by both.
        for command in ["run", "plan"] {
            let costs = try fixture.run([command, graph, "--redis", fixture.redisURL, "--costs-from", "no good"])
            #expect(costs.status == 2 && costs.stderr.contains("is not a valid namespace"), "\(costs.stderr)")
            let wait = try fixture.run([command, graph, "--wait", "soon"])
            #expect(wait.status == 2 && wait.stderr.contains("--wait must be a duration"), "\(wait.stderr)")
        }
    }
}
