import ClustmakeModel
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

/// `clustmake run` checks `local: true` hosts before it starts, as it checks remote ones, and runs the worker that
/// `clustmake hosts install` put there.
@Suite struct RunLocalHostTests {
    @Test(
        "a local host without a worker is left out before the run; after hosts install the run uses the installed one")
    func localHostWithoutWorker() async throws {
        let redis = try RedisServer()
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake-local-host")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // hosts install copies into $XDG_DATA_HOME/clustmake/VERSION: a directory of this test's own.
        let environment = ["XDG_DATA_HOME": directory + "/data"]
        let cluster = try LocalHostFiles.write(
            in: directory, processors: 2, worker: directory + "/missing/compmake",
            jobs: #"[{"id": "a", "command": "true"}, {"id": "b", "command": "echo b", "deps": ["a"]}]"#)
        let namespace = "local-host-\(getpid())"
        let arguments = [
            "run", "jobs.json", "--cluster", cluster, "--redis", "127.0.0.1:\(redis.port)", "--namespace", namespace,
        ]

        let refused = try await Clustmake.run(arguments, in: directory, environment: environment)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(
            refused.stderr.contains("host here left out of the run: worker: no worker of version"), "\(refused.stderr)")
        #expect(refused.stderr.contains("Fix: Run clustmake hosts install"), "\(refused.stderr)")
        #expect(refused.stderr.contains("no host passed the check"), "\(refused.stderr)")
        // Nothing was dispatched to the host that cannot run a worker.
        #expect(!refused.stderr.contains("status 127"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("answers again"), "\(refused.stderr)")

        let install = try await Clustmake.run(
            ["hosts", "install", "--cluster", cluster, "--worker-binary", HostsFixture.worker], in: directory,
            environment: environment)
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        let installed = directory + "/data/clustmake/\(ClustmakeVersion.current)/compmake"
        #expect(FileManager.default.isExecutableFile(atPath: installed))

        let run = try await Clustmake.run(arguments, in: directory, environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stderr.contains("left out"), "\(run.stderr)")
        let store = try JobStore(connection: try redis.connect(), namespace: namespace)
        #expect(try store.states() == ["a": .done, "b": .done])
        #expect(try store.attempts(of: "b").map(\.host) == ["here"])
    }
}

/// A run with nothing to start meets no host.
@Suite struct RunSettledTests {
    @Test("a run whose jobs are all done, of the graph redis holds, checks no host; --more or a changed job does")
    func finishedRunChecksNoHost() async throws {
        let redis = try RedisServer()
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake-settled")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A cluster whose only host has no worker: the check before a run leaves it out, and then no host is left.
        let cluster = try LocalHostFiles.write(
            in: directory, processors: 1, worker: directory + "/missing/compmake",
            jobs: #"[{"id": "a", "command": "true"}, {"id": "b", "command": "echo b", "deps": ["a"]}]"#)
        let namespace = "settled-\(getpid())"
        let base = ["run", "jobs.json", "--redis", "127.0.0.1:\(redis.port)", "--namespace", namespace]
        // Every job done first, on this machine (no cluster file: the embedded default's slots).
        let first = try await Clustmake.run(base, in: directory)
        #expect(first.status == 0, "\(first.stderr)")
        let store = try JobStore(connection: try redis.connect(), namespace: namespace)
        #expect(try store.states() == ["a": .done, "b": .done])

        // Again, on the cluster that cannot run a worker: nothing to start, so its host is not checked.
        let again = try await Clustmake.run(base + ["--cluster", cluster, "-v"], in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("found every job done and the graph unchanged"), "\(again.stderr)")
        #expect(!again.stderr.contains("left out"), "\(again.stderr)")
        #expect(again.stdout.contains("run \(namespace) finished: 2 jobs, 2 done"), "\(again.stdout)")

        // --more runs every job again: the host is checked, and no host is left.
        let more = try await Clustmake.run(base + ["--cluster", cluster, "--more"], in: directory)
        #expect(more.status == 1, "\(more.stderr)")
        #expect(more.stderr.contains("no host passed the check"), "\(more.stderr)")
        // A job changed in the file: its push would make it run again, so the host is checked.
        try #"{"jobs": [{"id": "a", "command": "true"}, {"id": "b", "command": "echo B", "deps": ["a"]}]}"#.write(
            toFile: directory + "/jobs.json", atomically: true, encoding: .utf8)
        let changed = try await Clustmake.run(base + ["--cluster", cluster], in: directory)
        #expect(changed.status == 1, "\(changed.stderr)")
        #expect(changed.stderr.contains("no host passed the check"), "\(changed.stderr)")
        #expect(try store.attempts(of: "a").count == 1 && store.attempts(of: "b").count == 1)
    }
}

/// A streamed session that answers what no worker answers is not trusted with more lines.
@Suite struct RunStreamAnswerTests {
    @Test("a session answering something other than a worker's status is killed; its job counts as a host failure")
    func brokenAnswer() async throws {
        let redis = try RedisServer()
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake-stream-answer")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A "worker" that reads its batch, answers nonsense, and would then wait for an hour: the executor must not
        // wait for it (the run would not end before it).
        let worker = directory + "/compmake"
        // It writes its pid and start time (field 22 of /proc/PID/stat).
        let script =
            "#!/bin/sh\necho \"$$ $(cut -d' ' -f22 /proc/$$/stat)\" > \(directory)/pid\nread ids\n"
            + "echo \"$ids\" >> \(directory)/batches\necho 'ok, 0'\nexec sleep 3600\n"
        try script.write(toFile: worker, atomically: true, encoding: .utf8)
        chmod(worker, 0o755)
        let cluster = try LocalHostFiles.write(
            in: directory, processors: 1, worker: worker, jobs: #"[{"id": "a", "command": "true"}]"#)
        let arguments = [
            "run", "jobs.json", "--cluster", cluster, "--redis", "127.0.0.1:\(redis.port)", "--namespace",
            "answer-\(getpid())", "--no-check", "--max-host-losses", "1",
        ]
        let result = try await Clustmake.run(arguments, in: directory)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("its session answered ok, 0"), "\(result.stderr)")
        #expect(result.stderr.contains("not a worker's status"), "\(result.stderr)")
        // Killed, not left to its sleep. The process is told by its pid and start time: by the time this runs,
        // the pid may be another process's (pids wrap around at 32,768 here, and the tests start many).
        let recorded = try String(contentsOfFile: directory + "/pid", encoding: .utf8).split(separator: " ")
        let pid = try #require(recorded.first.flatMap { Int32($0) })
        let started = try #require(recorded.last.flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        #expect(ProcessIdentity.of(pid)?.startTicks != started, "the session's process \(pid) is still there")
        let batches = try String(contentsOfFile: directory + "/batches", encoding: .utf8)
        #expect(batches == "a\n", "\(batches)")
    }
}

/// `clustmake run -v` says each step of its start and how long it took, as `plan -v` does.
@Suite struct RunStepsTests {
    @Test("run -v reports reading the graph, planning, the push and the start of dispatch, in order, with their times")
    func verboseSteps() async throws {
        let redis = try RedisServer()
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake-run-steps")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cluster = try LocalHostFiles.write(
            in: directory, processors: 2, worker: HostsFixture.worker,
            jobs: #"[{"id": "a", "command": "true"}, {"id": "b", "command": "true", "deps": ["a"]}]"#)
        let namespace = "steps-\(getpid())"
        let arguments = [
            "run", "jobs.json", "--cluster", cluster, "--redis", "127.0.0.1:\(redis.port)", "--namespace", namespace,
            "-v",
        ]
        let first = try await Clustmake.run(arguments, in: directory)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let steps = [
            "read the job graph in", "reached redis in", "checked the hosts in", "planned in", "pushed the graph in",
            "kept the plan in redis in", "ready to dispatch in",
        ]
        var rest = Substring(first.stderr)
        for step in steps {
            let found = try #require(rest.range(of: "[run] " + step), "\(step) in \(first.stderr)")
            rest = rest[found.upperBound...]
            #expect(rest.prefix(while: { $0 != "\n" }).contains(" s"), "\(step): \(first.stderr)")
        }
        let store = try JobStore(connection: try redis.connect(), namespace: namespace)
        let kept = try #require(try store.plan())
        // Run again: the namespace exists, so the run reads what is done (no push writes anything new) and says so.
        // With no job to start it leaves the plan the first run followed (`stats` compares that run with it).
        let again = try await Clustmake.run(arguments, in: directory)
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stderr.contains("[run] read the jobs' states in"), "\(again.stderr)")
        #expect(again.stderr.contains("[run] left the earlier plan in redis (no job to start) in"), "\(again.stderr)")
        #expect(!again.stderr.contains("kept the plan"), "\(again.stderr)")
        #expect(try store.plan() == kept)
        // A run that starts jobs keeps its own (with --more every job runs again).
        let more = try await Clustmake.run(arguments + ["--more"], in: directory)
        #expect(more.status == 0, "\(more.stdout)\(more.stderr)")
        #expect(more.stderr.contains("[run] kept the plan in redis in"), "\(more.stderr)")
        let replaced = try #require(try store.plan())
        #expect(replaced != kept)
        // Without -v, none of it.
        let quiet = try await Clustmake.run(Array(arguments.dropLast()), in: directory)
        #expect(quiet.status == 0 && !quiet.stderr.contains("[run]"), "\(quiet.stderr)")
    }
}

/// The files of these tests' runs: a cluster of one local host and a job graph.
private enum LocalHostFiles {
    /// Writes `directory/cluster.yaml` (host `here`: localhost, local, `processors` slots, `worker`) and
    /// `directory/jobs.json` (`{"jobs": JOBS}`); returns the cluster file's path.
    static func write(in directory: String, processors: Int, worker: String, jobs: String) throws -> String {
        let cluster = directory + "/cluster.yaml"
        try """
        hosts:
          here: {host: localhost, local: true, processors: \(processors), worker: \(worker)}
        """.write(toFile: cluster, atomically: true, encoding: .utf8)
        try (#"{"jobs": "# + jobs + "}").write(toFile: directory + "/jobs.json", atomically: true, encoding: .utf8)
        return cluster
    }
}
