import ClustmakeCommands
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import ClustmakeSystem
import Foundation
import Testing

/// Foundation has a `Host` too.
private typealias Host = ClustmakeModel.Host

/// Runs generated scripts for real, with a fake worker (and a fake ssh) that log what they are asked to do.
@Suite struct ScriptExecutionTests {
    /// A stand-in for the compmake worker: records its arguments, standard input and pid, logs "start JOB" and
    /// "end JOB", sleeps for `$RUN/sleep/JOB` seconds (default 0) and exits with `$RUN/codes/JOB` (default 0).
    static let fakeWorker = #"""
        #!/bin/sh
        for job; do :; done
        printf '%s\n' "$@" > "$RUN/args/$job"
        cat > "$RUN/stdin/$job"
        echo $$ > "$RUN/pids/$job"
        echo "start $job" >> "$RUN/log"
        trap 'kill "$child" 2>/dev/null; echo "stopped $job" >> "$RUN/log"; exit 143' TERM
        sleep "$(cat "$RUN/sleep/$job" 2>/dev/null || echo 0)" &
        child=$!
        wait "$child"
        echo "end $job" >> "$RUN/log"
        exit "$(cat "$RUN/codes/$job" 2>/dev/null || echo 0)"

        """#

    /// A stand-in for ssh: checks the options, logs the destination and tunnel, then runs the remote words the way
    /// sshd does: joined by spaces and handed to a shell.
    static let fakeSSH = #"""
        #!/bin/sh
        while [ $# -gt 0 ]; do
            case $1 in
                -n | -C) shift ;;
                -F | -o | -p) shift 2 ;;
                -*) echo "fake ssh: unexpected option $1" >&2; exit 255 ;;
                *) break ;;
            esac
        done
        destination=$1
        shift
        [ "$1" = -R ] || { echo "fake ssh: no -R after $destination" >&2; exit 255; }
        echo "$destination $2" >> "$RUN/ssh.log"
        shift 2
        exec sh -c "$*"

        """#

    /// A scratch area: the fake worker (under a path with a space and a quote), a fake ssh, and `$RUN`.
    final class Bench {
        let root: TemporaryDirectory
        let worker: String
        let run: String
        let bin: String

        init() throws {
            root = try TemporaryDirectory()
            worker = try root.write(ScriptExecutionTests.fakeWorker, to: "it's a dir/fake worker", mode: 0o755)
            bin = root.path + "/bin"
            try root.write(ScriptExecutionTests.fakeSSH, to: "bin/ssh", mode: 0o755)
            run = root.path + "/run"
            for sub in ["args", "pids", "codes", "sleep", "stdin"] {
                try FileManager.default.createDirectory(atPath: run + "/" + sub, withIntermediateDirectories: true)
            }
            try "".write(toFile: run + "/log", atomically: false, encoding: .utf8)
        }

        var environment: [String: String] {
            ["RUN": run, "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        }

        func set(_ kind: String, _ job: String, _ value: String) throws {
            try value.write(toFile: run + "/\(kind)/" + job, atomically: false, encoding: .utf8)
        }

        var log: [String] {
            ((try? String(contentsOfFile: run + "/log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        func arguments(_ job: String) throws -> [String] {
            try String(contentsOfFile: run + "/args/" + job, encoding: .utf8).split(separator: "\n").map(String.init)
        }

        /// Writes the plan directory for `plan` and returns its path.
        func write(_ plan: Plan, options: ScriptOptions = ScriptOptions()) throws -> String {
            let path = root.path + "/plan"
            _ = try PlanDirectory(path: path).write(ScriptWriter(plan: plan, options: options))
            return path
        }
    }

    /// A plan with the given jobs on the given slots, in order (`[["a1", "a2"], ["b1"]]`), each job one second.
    fileprivate static func plan(_ slots: [[String]], hosts: [Host], deps: [String: [String]] = [:]) throws -> Plan {
        let ids = slots.flatMap { $0 }
        let graph = try JobGraph(
            namespace: "exec", jobs: ids.map { Job(id: $0, command: .shell("true"), deps: deps[$0] ?? []) })
        let cluster = Cluster(hosts: hosts)
        var placements = [Plan.Placement](repeating: .init(slot: 0, order: 0, start: 0, end: 0), count: ids.count)
        var sequences: [[Int32]] = []
        for (slot, jobs) in slots.enumerated() {
            sequences.append(jobs.map { Int32(graph.index(of: $0)!) })
            for (order, job) in jobs.enumerated() {
                placements[graph.index(of: job)!] = .init(
                    slot: Int32(slot), order: Int32(order), start: Double(order), end: Double(order + 1))
            }
        }
        return Plan(
            graph: graph, cluster: cluster, slots: cluster.slots, costs: ids.map { _ in 1 }, placements: placements,
            sequences: sequences, makespan: Double(slots.map(\.count).max() ?? 0), lowerBound: 1, criticalPath: [])
    }

    @Test("a host script runs each slot's jobs in order, the slots side by side")
    func orderAndConcurrency() throws {
        let bench = try Bench()
        let plan = try Self.plan(
            [["a1", "a2", "a3"], ["b1", "b2"]],
            hosts: [Host(name: "alpha", processors: 2, worker: bench.worker, isLocal: true)])
        for job in ["a1", "b1"] { try bench.set("sleep", job, "1") }
        let directory = try bench.write(plan)
        let result = try Shell.run(["sh", directory + "/hosts/alpha.sh"], environment: bench.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let log = bench.log
        func position(_ line: String) -> Int { log.firstIndex(of: line) ?? -1 }
        for (earlier, later) in [("end a1", "start a2"), ("end a2", "start a3"), ("end b1", "start b2")] {
            #expect(position(earlier) >= 0 && position(earlier) < position(later), "\(log)")
        }
        // Both first jobs started before either ended: the slots ran at the same time.
        #expect(max(position("start a1"), position("start b1")) < min(position("end a1"), position("end b1")), "\(log)")
        #expect(log.count == 10)
        #expect(
            try bench.arguments("a2")
                == JobLine(
                    plan: plan, job: plan.graph.index(of: "a2")!, settings: try ScriptOptions().settings(for: plan)
                )
                .command.dropFirst(4) + [])
    }

    @Test("a failed job is reported, the slot goes on, and the script exits non-zero")
    func failureKeepsGoing() throws {
        let bench = try Bench()
        let plan = try Self.plan(
            [["a1", "a2"], ["b1"]], hosts: [Host(name: "alpha", processors: 2, worker: bench.worker, isLocal: true)])
        try bench.set("codes", "a1", "113")
        let directory = try bench.write(plan)
        let result = try Shell.run(["sh", directory + "/hosts/alpha.sh"], environment: bench.environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("clustmake: job 'a1' on alpha slot 0 exited 113"))
        #expect(bench.log.contains("end a2"))
        #expect(bench.log.contains("end b1"))
    }

    @Test("run-all.sh runs every host script, lists the ones that failed, and works from anywhere after a move")
    func runAll() throws {
        let bench = try Bench()
        let hosts = [
            Host(name: "alpha", processors: 1, worker: bench.worker, isLocal: true),
            Host(name: "beta", processors: 1, worker: bench.worker, isLocal: true),
            Host(name: "gamma", processors: 1, worker: bench.worker, isLocal: true),
        ]
        let plan = try Self.plan([["a1"], ["b1", "b2"], []], hosts: hosts)
        try bench.set("codes", "b1", "2")
        let written = try bench.write(plan)
        let moved = bench.root.path + "/moved plan"
        try FileManager.default.moveItem(atPath: written, toPath: moved)
        let result = try Shell.run(["sh", moved + "/run-all.sh"], environment: bench.environment, directory: "/")
        #expect(result.status == 1)
        #expect(result.stderr.contains("clustmake: hosts/beta.sh exited 1"))
        #expect(result.stderr.contains("clustmake: 1 of 3 host scripts failed: beta"))
        #expect(result.stderr.contains("clustmake: host 'gamma' has no jobs in this plan; nothing to do."))
        #expect(Set(bench.log.filter { $0.hasPrefix("end") }) == ["end a1", "end b1", "end b2"])

        try bench.set("codes", "b1", "0")
        let again = try Shell.run(["sh", "run-all.sh"], environment: bench.environment, directory: moved)
        #expect(again.status == 0, "\(again.stderr)")
    }

    @Test("a remote job line reaches the worker with its exact arguments through ssh and the remote shell")
    func remoteQuoting() throws {
        let bench = try Bench()
        let host = Host(
            name: "far", address: "far.example", username: "o'neil", processors: 1, port: 2222,
            sshConfig: "/dev/null", sshOptions: ["-o", "ProxyCommand=ssh -W %h:%p 'gate way'", "-C"],
            worker: bench.worker)
        let plan = try Self.plan([["r1", "r2"]], hosts: [host])
        let directory = try bench.write(plan)
        let result = try Shell.run(["sh", directory + "/hosts/far.sh"], environment: bench.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let settings = try ScriptOptions().settings(for: plan)
        let expected = JobLine(plan: plan, job: 1, settings: settings).command
        #expect(expected[3] == bench.worker)
        #expect(try bench.arguments("r2") == Array(expected.dropFirst(4)))
        let ssh = try String(contentsOfFile: bench.run + "/ssh.log", encoding: .utf8)
        #expect(ssh == "o'neil@far.example 13000:localhost:6379\no'neil@far.example 13000:localhost:6379\n")
    }

    @Test("with the embedded redis, the scripts start it first; every worker, local or remote, reads it on stdin")
    func embeddedRedis() throws {
        let bench = try Bench()
        let secrets = try bench.root.write("s3cret-password\n", to: "it's state/redis/password", mode: 0o600)
        let starter = try bench.root.write(
            "#!/bin/sh\necho \"start $*\" >> \"$RUN/log\"\nexit \"$(cat \"$RUN/codes/start\" 2>/dev/null || echo 0)\"\n",
            to: "bin/fake clustmake", mode: 0o755)
        let hosts = [
            Host(name: "far", address: "far.example", processors: 1, worker: bench.worker),
            Host(name: "here", processors: 1, worker: bench.worker, isLocal: true),
        ]
        let plan = try Self.plan([["r1"], ["l1"]], hosts: hosts, deps: ["l1": ["r1"]])
        let options = ScriptOptions(
            redis: .unix(path: "/state/redis.sock"), passwordFile: secrets,
            redisStart: [starter, "redis", "start", "--state-dir", bench.root.path + "/it's state"])
        let directory = try bench.write(plan, options: options)
        let result = try Shell.run(["sh", directory + "/run-all.sh"], environment: bench.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let starts = bench.log.filter { $0.hasPrefix("start redis") }
        #expect(starts == Array(repeating: "start redis start --state-dir \(bench.root.path)/it's state", count: 2))
        #expect(try String(contentsOfFile: bench.run + "/stdin/r1", encoding: .utf8) == "s3cret-password\n")
        #expect(try bench.arguments("r1").contains("--redis_password_stdin"))
        #expect(try bench.arguments("l1").contains("--redis_password_stdin"))
        #expect(try !bench.arguments("l1").contains { $0.hasPrefix("--redis_password_file") })
        #expect(try String(contentsOfFile: bench.run + "/stdin/l1", encoding: .utf8) == "s3cret-password\n")
        for script in ["hosts/far.sh", "hosts/here.sh", "run-all.sh"] {
            #expect(!(try String(contentsOfFile: directory + "/" + script, encoding: .utf8)).contains("s3cret"))
        }

        // A redis that cannot be started: the script says so, runs no job and exits 1.
        try bench.set("codes", "start", "1")
        try "".write(toFile: bench.run + "/log", atomically: false, encoding: .utf8)
        let refused = try Shell.run(["sh", directory + "/hosts/far.sh"], environment: bench.environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("the embedded redis could not be started"), "\(refused.stderr)")
        #expect(!bench.log.contains("start r1"))
    }

    @Test("SIGTERM to a host script stops its running jobs and exits 143; SIGINT to run-all.sh exits 130")
    func signals() async throws {
        let bench = try Bench()
        let hosts = [
            Host(name: "alpha", processors: 2, worker: bench.worker, isLocal: true),
            Host(name: "beta", processors: 1, worker: bench.worker, isLocal: true),
        ]
        let plan = try Self.plan([["a1", "a2"], ["b1"], ["c1"]], hosts: hosts)
        // Long enough that a test thread starved by other suites still finds the jobs running (they are killed anyway).
        for job in ["a1", "b1", "c1", "a2"] { try bench.set("sleep", job, "600") }
        let directory = try bench.write(plan)

        for (script, signal, status, jobs) in [
            ("hosts/alpha.sh", SIGTERM, Int32(143), ["a1", "b1"]),
            ("run-all.sh", SIGINT, Int32(130), ["a1", "b1", "c1"]),
        ] {
            try "".write(toFile: bench.run + "/log", atomically: false, encoding: .utf8)
            let output = try TemporaryDirectory()
            let process = try Shell.start(
                ["sh", directory + "/" + script], environment: bench.environment, outputIn: output.path)
            try await waitFor("\(jobs) to start") { Set(jobs.map { "start \($0)" }).isSubset(of: bench.log) }
            // Each worker by its pid and start time, taken while it runs: pids wrap around while the suite runs.
            let workers = try jobs.map { job in
                try #require(
                    Int32(
                        try String(contentsOfFile: bench.run + "/pids/" + job, encoding: .utf8).trimmingCharacters(
                            in: .whitespacesAndNewlines)))
            }.compactMap(ProcessIdentity.of)
            kill(process.processIdentifier, signal)
            try await waitFor("\(script) to exit") { !process.isRunning }
            #expect(process.terminationStatus == status, "\(script)")
            for worker in workers {
                try await waitFor("worker \(worker.pid) to stop") { !worker.isRunning }
            }
            #expect(Set(jobs.map { "stopped \($0)" }).isSubset(of: bench.log), "\(bench.log)")
            #expect(!bench.log.contains("start a2"), "no job starts after the script was stopped")
        }
    }

    /// Polls `condition` every 50 ms, 1,200 times at most (60 s of polling). The bound counts polls, not time on
    /// the clock: while other suites keep the cooperative pool busy this task may wait long to be resumed, and
    /// that wait must not use up the bound.
    private func waitFor(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<1200 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what)")
    }
}
