import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Which run the collector's commands read without --namespace (docs/collector.md, "Which run"), and
/// `clustmake runs` / `status --all`.
@Suite struct NamespaceDefaultTests {
    /// A redis with namespaces `names` pushed (one job `a` each), and a directory to run clustmake in.
    final class Setup {
        let server: RedisServer
        let directory: URL

        init(_ names: [String]) throws {
            server = try RedisServer()
            directory = try CLI.temporaryDirectory()
            for name in names {
                let store = try JobStore(connection: try server.connect(), namespace: name)
                try store.push(
                    try JobGraph(namespace: name, jobs: [Job(id: "a", command: .shell("true"))]), pushedBy: "t")
            }
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        var url: String { "redis://127.0.0.1:\(server.port)/0" }

        /// `clustmake ARGUMENTS --redis URL` in the directory.
        func clustmake(_ arguments: [String], environment: [String: String] = [:]) throws -> Tool.Result {
            try Tool.run(
                try CLI.built("clustmake"), arguments + ["--redis", url], environment: environment,
                removing: ["REDISCLI_AUTH"], directory: directory)
        }

        var lastRun: String { directory.appendingPathComponent(".clustmake/last-run").path }

        func remember(_ text: String) throws {
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent(".clustmake"), withIntermediateDirectories: true)
            try text.write(toFile: lastRun, atomically: true, encoding: .utf8)
        }
    }

    @Test("with one namespace in redis and nothing remembered, status, stats, results, logs and report read it")
    func onlyNamespace() throws {
        let setup = try Setup(["solo"])
        let status = try setup.clustmake(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.hasPrefix("clustmake status: namespace solo,"), "\(status.stdout)")
        for command in [["stats"], ["results"], ["report", "-o", "r.html"]] {
            let result = try setup.clustmake(command)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        let logs = try setup.clustmake(["logs", "a"])
        #expect(logs.status == 1 && logs.stderr.contains("job 'a' has no attempts yet"), "\(logs.stderr)")
    }

    @Test("with several namespaces and nothing remembered, the commands ask for --namespace and list them (exit 2)")
    func severalNamespaces() throws {
        let setup = try Setup(["alpha", "beta"])
        for command in [["status"], ["stats"], ["results"], ["logs", "a"], ["report"]] {
            let result = try setup.clustmake(command)
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(
                result.stderr.contains("no --namespace given, and redis at redis://127.0.0.1:\(setup.server.port)/0")
                    && result.stderr.contains("has 2 namespaces: alpha, beta.")
                    && result.stderr.contains("clustmake runs"), "\(command): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "one message: \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: setup.directory.appendingPathComponent("report.html").path))
        let none = try Setup([])
        let empty = try none.clustmake(["status"])
        #expect(empty.status == 2 && empty.stderr.contains("has no namespace"), "\(empty.stderr)")
    }

    @Test("push remembers its namespace, and the commands read it among several; a forgotten one falls back")
    func rememberedNamespace() throws {
        let setup = try Setup(["alpha", "beta"])
        let graph = setup.directory.appendingPathComponent("jobs.yaml").path
        try "jobs:\n  - {id: x, command: \"true\"}\n".write(toFile: graph, atomically: true, encoding: .utf8)
        let dryRun = try setup.clustmake(["push", graph, "--namespace", "gamma", "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.lastRun), "a dry run remembers nothing")
        let push = try setup.clustmake(["push", graph, "--namespace", "gamma"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(try String(contentsOfFile: setup.lastRun, encoding: .utf8) == "gamma\n")
        let status = try setup.clustmake(["status"])
        #expect(status.status == 0 && status.stdout.hasPrefix("clustmake status: namespace gamma,"), "\(status)")
        #expect(status.stderr.isEmpty, "\(status.stderr)")
        let logs = try setup.clustmake(["logs", "x", "--json"])
        #expect(logs.status == 1 && logs.stderr.contains("job 'x' has no attempts yet"), "\(logs.stderr)")

        // The remembered namespace is not in this redis: the rule goes on (and says which one it missed).
        try setup.remember("delta\n")
        let missing = try setup.clustmake(["status"])
        #expect(missing.status == 2, "\(missing.stderr)")
        #expect(missing.stderr.contains("(the last run started here, 'delta', is not there)"), "\(missing.stderr)")
        let only = try Setup(["solo"])
        try only.remember("delta\n")
        let fallback = try only.clustmake(["status"])
        #expect(fallback.status == 0 && fallback.stdout.hasPrefix("clustmake status: namespace solo,"))
    }

    @Test(
        "a last-run file that is not a namespace is ignored with a note, never trusted",
        arguments: [
            ("../../etc/passwd\n", "is not a namespace"), ("alpha\nbeta\n", "is not a namespace"),
            ("\u{1B}[31mred\n", "is not a namespace"), (String(repeating: "a", count: 2000), "longer than a namespace"),
            ("", "is not a namespace"),
        ])
    func hostileLastRun(content: String, why: String) throws {
        let setup = try Setup(["solo"])
        try setup.remember(content)
        let status = try setup.clustmake(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.hasPrefix("clustmake status: namespace solo,"))
        #expect(status.stderr.contains("note: ignoring .clustmake/last-run (") && status.stderr.contains(why))
        #expect(!status.stderr.contains("\u{1B}"), "no escape sequence reaches the terminal: \(status.stderr)")
    }

    @Test("a last-run that is a symbolic link, a directory or a FIFO is not followed or read")
    func lastRunNotAFile() throws {
        let setup = try Setup(["alpha", "beta"])
        let state = setup.directory.appendingPathComponent(".clustmake")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let target = setup.directory.appendingPathComponent("elsewhere").path
        try "alpha\n".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: setup.lastRun, withDestinationPath: target)
        let linked = try setup.clustmake(["status"])
        #expect(linked.status == 2, "the link's target is not used: \(linked.stdout)")
        #expect(linked.stderr.contains("symbolic link"), "\(linked.stderr)")
        try FileManager.default.removeItem(atPath: setup.lastRun)
        #expect(mkfifo(setup.lastRun, 0o644) == 0)
        let fifo = try setup.clustmake(["status"])
        #expect(fifo.status == 2 && fifo.stderr.contains("not a regular file"), "\(fifo.stderr)")
        try FileManager.default.removeItem(atPath: setup.lastRun)
        try FileManager.default.createDirectory(atPath: setup.lastRun, withIntermediateDirectories: false)
        let directory = try setup.clustmake(["status"])
        #expect(directory.status == 2 && directory.stderr.contains("it is a directory"), "\(directory.stderr)")
    }

    @Test("runs and status --all list every namespace with its state, jobs, start and end; --json parses")
    func runs() throws {
        let setup = try Setup(["alpha", "beta"])
        let alpha = try JobStore(connection: try setup.server.connect(), namespace: "alpha")
        let lease = try alpha.acquire(
            "a", more: false,
            request: LeaseRequest(
                token: "h/1/1", ttl: .seconds(30), host: "h", nodename: "h", workerPID: 1, workerVersion: "t"))
        guard case .started(let taken) = lease else {
            Issue.record("the lease was not taken: \(lease)")
            return
        }
        let now = UTCTime.now()
        _ = try alpha.finish(
            taken, AttemptResult(state: .succeeded, exitStatus: 0, started: now, ended: now, wallTime: 0.1))
        let text = try setup.clustmake(["runs"])
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n")
        #expect(
            lines.first?.hasPrefix("clustmake runs: 2 namespaces in redis at redis://127.0.0.1:") == true,
            "\(text.stdout)")
        #expect(lines.count == 4, "\(text.stdout)")
        #expect(
            lines.dropFirst(2).first?.hasPrefix("  alpha      finished     1       0     1  20") == true,
            "\(text.stdout)")
        #expect(lines.last?.hasPrefix("  beta       pushed       0       0     1  -") == true, "\(text.stdout)")
        let all = try setup.clustmake(["status", "--all"])
        #expect(all.status == 0 && all.stdout == text.stdout, "\(all.stdout)")
        let json = try JSONValue.parse(try setup.clustmake(["runs", "--json"]).stdout)
        #expect(json["format"]?.stringValue == "clustmake-runs/1")
        #expect(json["runs"]?.arrayValue?.map { $0["namespace"]?.stringValue ?? "" } == ["alpha", "beta"])
        #expect(json["runs"]?[0]?["end"]?.stringValue != nil && json["runs"]?[1]?["start"]?.isNull == true)
        let conflict = try setup.clustmake(["status", "--all", "--namespace", "alpha"])
        #expect(conflict.status == 2, "\(conflict.stderr)")

        // A namespace of another schema version is listed as unreadable, with the reason; the others as before.
        _ = try setup.server.connect().command("SET", "compmake:{older}:schema", "0")
        let mixed = try setup.clustmake(["runs"])
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect(mixed.stdout.contains("  older      unreadable"), "\(mixed.stdout)")
        #expect(mixed.stdout.contains("  older: namespace 'older' at"), "\(mixed.stdout)")
    }

    @Test("cancel without --namespace stops the last run started here, and asks when several go on (exit 2)")
    func cancel() throws {
        let setup = try Setup([])
        let runtime = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: runtime) }
        chmod(runtime.path, 0o700)
        // Two runs of one job each, which lasts until the test creates `release`.
        let release = setup.directory.appendingPathComponent("release").path
        let graph = setup.directory.appendingPathComponent("held.yaml").path
        try "jobs:\n  - {id: hold, command: \"while [ ! -e \(release) ]; do sleep 0.05; done\"}\n".write(
            toFile: graph, atomically: true, encoding: .utf8)
        var processes: [Process] = []
        defer {
            _ = FileManager.default.createFile(atPath: release, contents: nil)
            for process in processes { process.waitUntilExit() }
        }
        for name in ["one", "two"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try CLI.built("clustmake"))
            process.arguments = ["run", graph, "--redis", setup.url, "--namespace", name]
            process.environment = ProcessInfo.processInfo.environment.merging(["XDG_RUNTIME_DIR": runtime.path]) {
                $1
            }
            process.currentDirectoryURL = setup.directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
            let store = try JobStore(connection: try setup.server.connect(), namespace: name)
            let polls = (0..<1200).first { _ in
                if (try? store.states())?["hold"] == .inProgress { return true }
                usleep(50_000)
                return false
            }
            try #require(polls != nil, "the run of \(name) never started its job")
        }
        let environment = ["XDG_RUNTIME_DIR": runtime.path]
        // Each run remembered itself as it started; a remembered run that is over does not choose.
        try setup.remember("gone\n")
        let ambiguous = try Tool.run(
            try CLI.built("clustmake"), ["cancel"], environment: environment, directory: setup.directory)
        #expect(ambiguous.status == 2, "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.contains("2 runs are going on: one, two"), "\(ambiguous.stderr)")
        #expect(processes.allSatisfy { $0.isRunning }, "nothing was stopped")
        try setup.remember("two\n")
        let remembered = try Tool.run(
            try CLI.built("clustmake"), ["cancel", "--timeout", "30"], environment: environment,
            directory: setup.directory)
        #expect(remembered.status == 0, "\(remembered.stderr)")
        #expect(remembered.stdout.contains("cancelled the run of namespace 'two'"), "\(remembered.stdout)")
        processes[1].waitUntilExit()
        #expect(processes[1].terminationStatus == 130)
        #expect(processes[0].isRunning, "the other run goes on")
    }
}
