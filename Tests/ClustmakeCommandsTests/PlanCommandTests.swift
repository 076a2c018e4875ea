import ClustmakeJSON
import Foundation
import Testing

@Suite struct PlanCommandTests {
    let examples = CLI.repositoryRoot.appendingPathComponent("examples")

    @Test("--no-push plans for the embedded redis without starting it, and says how to push")
    func embeddedDefault() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let hello = examples.appendingPathComponent("hello.yaml").path
        let result = try CLI.run(["plan", hello, "--no-push"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Planned 6 jobs on 1 host"))
        #expect(
            result.stdout.hasSuffix(
                "push the graph (clustmake push \(hello) --namespace hello), then run: sh plan/run-all.sh\n"),
            "\(result.stdout)")
        let state = directory.appendingPathComponent(".clustmake").resolvingSymlinksInPath().path
        #expect(!FileManager.default.fileExists(atPath: state + "/redis/redis.pid"), "no redis was started")
        let plan = directory.appendingPathComponent("plan")
        for file in ["hosts/localhost.sh", "run-all.sh", "plan.json", "summary.txt"] {
            #expect(FileManager.default.fileExists(atPath: plan.appendingPathComponent(file).path), "\(file)")
        }
        let json = try JSONValue.parse(Array(try Data(contentsOf: plan.appendingPathComponent("plan.json"))))
        #expect(json["format"]?.stringValue == "clustmake-plan/1")
        #expect(json["namespace"]?.stringValue == "hello")
        #expect(json["jobs"]?.arrayValue?.count == 6)
        let script = try String(contentsOf: plan.appendingPathComponent("hosts/localhost.sh"), encoding: .utf8)
        #expect(script.contains("--slave hello make_single more=False wait=86400 -- fetch-a"))
        #expect(!script.contains("ssh "), "the embedded default runs without ssh")
        // The scripts start the embedded redis and give local workers its password file as their standard input.
        #expect(script.contains("/clustmake redis start --state-dir \(state) >/dev/null; then"), "\(script)")
        #expect(script.contains("--redis_password_stdin --save_progress=False"))
        #expect(script.contains(" fetch-a <\(state)/redis/password & wait $!"), "\(script)")
        #expect(json["redis"]?.stringValue?.hasPrefix("unix:/") == true)
    }

    @Test("a cluster file gives one ssh script per host with compmake's job line")
    func clusterFile() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = [
            "plan", examples.appendingPathComponent("hello.yaml").path, "--cluster",
            examples.appendingPathComponent("cluster.yaml").path, "-o", "out", "--namespace", "demo",
            "--redis", "redis://redisdb:6379/0", "--wait", "1h", "--no-push",
        ]
        // Remote hosts and a redis that cannot be asked whether it wants a password, with none given: refused
        // (docs/security.md), and nothing written.
        let refused = try CLI.run(arguments, in: directory)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("no redis password was given"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--insecure-redis"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "nothing written")
        let result = try CLI.run(arguments + ["--insecure-redis"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: --insecure-redis"), "\(result.stderr)")
        let hosts = directory.appendingPathComponent("out/hosts")
        let names = try FileManager.default.contentsOfDirectory(atPath: hosts.path).sorted()
        #expect(names == ["gpu1.sh", "node1.sh", "node2.sh"])
        let all = try names.map { try String(contentsOf: hosts.appendingPathComponent($0), encoding: .utf8) }
            .joined()
        #expect(all.contains(" -R 13000:redisdb:6379 nice -n 10 compmake --hostname="))
        #expect(
            all.contains(
                "--db=redis --redis_host=localhost:13000 --save_progress=False --slave demo make_single more=False wait=3600 "
            ))
    }

    @Test("a host with tunnel: unix is refused a plan's scripts (only run opens unix tunnels), nothing written")
    func unixTunnelRefused() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cluster = directory.appendingPathComponent("cluster.yaml").path
        try "hosts:\n  n1: {processors: 2, tunnel: unix}\n".write(toFile: cluster, atomically: true, encoding: .utf8)
        let result = try CLI.run(
            [
                "plan", examples.appendingPathComponent("hello.yaml").path, "--cluster", cluster, "-o", "out",
                "--redis", "redis://redisdb:6379/0", "--no-push", "--insecure-redis",
            ], in: directory)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(cluster) && result.stderr.contains("host 'n1'"), "\(result.stderr)")
        #expect(result.stderr.contains("tunnel: unix") && result.stderr.contains("clustmake run"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out").path))
    }

    @Test("the same inputs give byte-identical plans")
    func deterministic() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = [
            "plan", examples.appendingPathComponent("hello.yaml").path, "--cluster",
            examples.appendingPathComponent("cluster.yaml").path, "--no-push", "--insecure-redis",
        ]
        #expect(try CLI.run(arguments + ["-o", "a"], in: directory).status == 0)
        #expect(try CLI.run(arguments + ["-o", "b"], in: directory).status == 0)
        for file in ["plan.json", "summary.txt", "run-all.sh", "hosts/node1.sh", "hosts/gpu1.sh"] {
            let first = try Data(contentsOf: directory.appendingPathComponent("a/\(file)"))
            let second = try Data(contentsOf: directory.appendingPathComponent("b/\(file)"))
            #expect(first == second, "\(file)")
        }
    }

    @Test(
        "bad input exits 2 with one message naming the file and writes nothing",
        arguments: [
            ("jobs.json", "{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"deps\": [\"b\"]}]}", "jobs.json: job 'a'"),
            ("jobs.json", "{\"jobs\": [", "jobs.json:1:"),
            ("jobs.yaml", "jobs:\n  - id: a\n    command: x\n    cost: lots\n", "jobs.yaml:4:11:"),
            (
                "jobs.json",
                "{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"deps\": [\"a2\"]}, {\"id\": \"a2\", \"command\": \"x\", \"deps\": [\"a\"]}]}",
                "cycle"
            ),
        ])
    func badGraph(name: String, text: String, expected: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        let result = try CLI.run(["plan", name], in: directory)
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("clustmake: error: "), "\(result.stderr)")
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stderr.contains("Fix: "), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one message: \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [name], "nothing written")
    }

    @Test("a bad cluster file exits 2 and leaves an existing plan untouched")
    func badClusterKeepsPlan() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let graph = examples.appendingPathComponent("hello.yaml").path
        #expect(try CLI.run(["plan", graph, "--no-push"], in: directory).status == 0)
        let before = try Data(contentsOf: directory.appendingPathComponent("plan/plan.json"))
        try "hosts:\n  n1: {processors: 0}\n".write(
            to: directory.appendingPathComponent("cluster.yaml"), atomically: true, encoding: .utf8)
        let result = try CLI.run(["plan", graph, "--cluster", "cluster.yaml"], in: directory)
        #expect(result.status == 2)
        #expect(result.stderr.contains("cluster.yaml:2:20: host 'n1': 'processors' is 0"), "\(result.stderr)")
        #expect(try Data(contentsOf: directory.appendingPathComponent("plan/plan.json")) == before)
    }

    @Test(
        "bad options exit 2",
        arguments: [
            ["--time-scale", "-1"], ["--wait", "soon"], ["--namespace", "a b"], ["--redis", "rediss://x"],
            ["--bogus"],
        ])
    func badOptions(options: [String]) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run(["plan", examples.appendingPathComponent("hello.yaml").path] + options, in: directory)
        #expect(result.status == 2, "\(options): \(result.stderr)")
        #expect(!result.stderr.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("plan").path))
    }

    @Test("a redis that cannot be reached stops the plan before anything is written")
    func unreachableRedis() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run(
            ["plan", examples.appendingPathComponent("hello.yaml").path, "--redis", "redis://127.0.0.1:1/0"],
            in: directory)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:1"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("plan").path))
    }

    @Test("--print shows the plan and writes nothing")
    func printOnly() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run(
            ["plan", examples.appendingPathComponent("hello.yaml").path, "--print"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("host localhost"))
        #expect(result.stdout.contains("fetch-a"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("plan").path))
    }

    @Test("a cost map replaces the declared costs")
    func costMap() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "{\"process-b\": 100}".write(
            to: directory.appendingPathComponent("costs.json"), atomically: true, encoding: .utf8)
        let result = try CLI.run(
            ["plan", examples.appendingPathComponent("hello.yaml").path, "--costs", "costs.json", "--no-push"],
            in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONValue.parse(Array(try Data(contentsOf: directory.appendingPathComponent("plan/plan.json"))))
        let costs = (json["jobs"]?.arrayValue ?? []).compactMap {
            $0["id"]?.stringValue == "process-b" ? $0["cost"]?.doubleValue : nil
        }
        #expect(costs == [100])
        #expect((json["makespan"]?.doubleValue ?? 0) >= 100)
    }

    @Test("a password file given as --costs is not echoed, nor are a graph's control characters; /dev/zero is refused")
    func untrustedInputInMessages() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try "hunter2-Secret-Pass\n".write(
            to: directory.appendingPathComponent("password"), atomically: true, encoding: .utf8)
        let graph = examples.appendingPathComponent("hello.yaml").path
        let costs = try CLI.run(["plan", graph, "--costs", "password", "--no-push"], in: directory)
        #expect(costs.status == 2 && !costs.stderr.contains("hunter2"), "\(costs.stderr)")
        #expect(costs.stderr.contains("password:1:1: cannot read the cost map"), "\(costs.stderr)")
        try #"{"jobs": [{"id": "a", "command": "x", "cwd": "/data\u001b[2J"}]}"#.write(
            to: directory.appendingPathComponent("bad.json"), atomically: true, encoding: .utf8)
        let bad = try CLI.run(["plan", "bad.json", "--no-push"], in: directory)
        #expect(bad.status == 2 && bad.stderr.contains(#"'/data\u{1B}[2J'"#), "\(bad.stderr)")
        #expect(!bad.stderr.unicodeScalars.contains { $0.value == 0x1B })
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("plan").path))
    }

    @Test("a WfCommons instance plans as scaled sleeps")
    func wfcommons() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let workflow = CLI.repositoryRoot.deletingLastPathComponent()
            .appendingPathComponent("shared/data/workflows/montage-1000.json").path
        let result = try CLI.run(["plan", workflow, "--time-scale", "0.01", "--print"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("mProject_"))
    }
}
