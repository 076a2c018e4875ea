import Foundation
import Testing

/// README's session transcript ("A session:"), run command by command with the built `clustmake` in a temporary
/// directory holding a copy of `examples/`: each command's exit status and what it printed, once normalised for
/// what legitimately differs from the session README shows (times, durations, dates, the user's directory, the
/// order in which concurrent slots print).
@Suite struct ReadmeTranscriptTests {
    /// One `$ command` of the transcript and the lines it printed.
    struct Step: CustomStringConvertible {
        var command: String
        var output: [String]
        var description: String { "$ " + command }
    }

    /// The directory README's user worked in; its embedded redis lives under it.
    static let readmeDirectory = "/home/alice/demo"

    /// The steps of README's "A session:" block, in order; throws when the block is missing or empty.
    static func steps(of readme: String) throws -> [Step] {
        let lines = readme.components(separatedBy: "\n")
        guard let intro = lines.firstIndex(of: "A session:"),
            let open = lines[intro...].firstIndex(where: { $0.hasPrefix("```") }),
            let close = lines[(open + 1)...].firstIndex(where: { $0.hasPrefix("```") })
        else { throw CLIError("README.md has no \"A session:\" block between ``` lines") }
        var steps: [Step] = []
        for line in lines[(open + 1)..<close] {
            if line.hasPrefix("$ ") {
                steps.append(Step(command: String(line.dropFirst(2)), output: []))
            } else if !steps.isEmpty {
                steps[steps.count - 1].output.append(line)
            } else if !line.isEmpty {
                throw CLIError("README.md's session prints \"\(line)\" before its first command")
            }
        }
        for index in steps.indices {
            while steps[index].output.last == "" { steps[index].output.removeLast() }
        }
        guard !steps.isEmpty else { throw CLIError("README.md's session has no $ commands") }
        return steps
    }

    /// `line` with what differs from one session to the next replaced by fixed words: the elapsed time of run's
    /// lines, the duration of a finished run, timestamps, and the directory the session runs in.
    static func normalised(_ line: String, directory: String) -> String {
        var line = line.replacingOccurrences(of: directory, with: "DIR")
        let patterns: [(String, String)] = [
            (#"\[[0-9]+:[0-9]{2}(:[0-9]{2})?\]"#, "[ELAPSED]"),
            (#" in [0-9]+:[0-9]{2}(:[0-9]{2})? \([0-9.]+ [a-z]+\)$"#, " in DURATION"),
            (#"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z"#, "TIMESTAMP"),
        ]
        for (pattern, replacement) in patterns {
            line = line.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return line
    }

    /// `line` with the figures of a plan made from the runtimes a run measured (`plan` after `run`, by default,
    /// plans with the median runtimes recorded in the graph's namespace) replaced by `N`: seconds and a trailing
    /// utilisation percentage, which depend on how fast the machine ran the jobs.
    static func measured(_ line: String) -> String {
        line.replacingOccurrences(of: #"[0-9]+\.[0-9]+ s\b"#, with: "N s", options: .regularExpression)
            .replacingOccurrences(of: #"[0-9]+\.[0-9]+%$"#, with: "N%", options: .regularExpression)
    }

    /// Whether a step plans with (or shows a plan made with) the runtimes measured by an earlier step's run: a
    /// `plan` without `--cluster` of the graph that ran (the examples' cluster file names another redis), or the
    /// summary of that plan.
    static func usesMeasuredRuntimes(_ step: Step, after earlier: [Step]) -> Bool {
        guard earlier.contains(where: { $0.command.hasPrefix("clustmake run ") }) else { return false }
        return (step.command.hasPrefix("clustmake plan ") && !step.command.contains("--cluster"))
            || step.command == "cat plan/summary.txt"
    }

    /// Whether a line is one of a run's event lines (`clustmake: [0:01] started …`, `done …`): concurrent slots
    /// print them in an order of their own, so these are compared as a set.
    static func isEvent(_ line: String) -> Bool {
        line.range(of: #"^clustmake: \[ELAPSED\] (started|done|failed) "#, options: .regularExpression) != nil
    }

    @Test("the session block is read: commands in order, each with the lines it printed")
    func parsing() throws {
        let steps = try Self.steps(
            of: "intro\n\nA session:\n\n```\n$ one\nfirst\n\n$ two\n$ three; echo \"exit $?\"\nexit 2\n```\n$ after\n")
        #expect(steps.map(\.command) == ["one", "two", "three; echo \"exit $?\""])
        #expect(steps.map(\.output) == [["first"], [], ["exit 2"]])
        #expect(throws: CLIError.self) { try Self.steps(of: "A session:\n\nno block\n") }
    }

    @Test(
        "a plan from measured runtimes: its seconds and utilisation are masked, only after a run and without --cluster")
    func measuredFigures() {
        #expect(
            Self.measured("Estimated makespan 5.10 s, lower bound 5.10 s (1.00x).")
                == "Estimated makespan N s, lower bound N s (1.00x).")
        #expect(
            Self.measured("localhost      2         6                 8.2 s        80.4%")
                == "localhost      2         6                 N s        N%")
        #expect(Self.measured("  [####] 100.0% done") == "  [####] 100.0% done")
        let run = Step(command: "clustmake run examples/hello.yaml", output: [])
        let plan = Step(command: "clustmake plan examples/hello.yaml", output: [])
        let lab = Step(
            command: "clustmake plan examples/hello.yaml --cluster examples/cluster.yaml --print", output: [])
        #expect(Self.usesMeasuredRuntimes(plan, after: [run]))
        #expect(!Self.usesMeasuredRuntimes(plan, after: []))
        #expect(!Self.usesMeasuredRuntimes(lab, after: [run]))
        #expect(Self.usesMeasuredRuntimes(Step(command: "cat plan/summary.txt", output: []), after: [run, plan]))
    }

    @Test("normalising: elapsed times, a run's duration, timestamps and the directory; event lines found")
    func normalising() {
        let line = Self.normalised(
            "clustmake: [12:07] done merge on localhost", directory: "/tmp/x")
        #expect(line == "clustmake: [ELAPSED] done merge on localhost")
        #expect(Self.isEvent(line))
        #expect(!Self.isEvent(Self.normalised("clustmake: [0:05] run over", directory: "/tmp/x")))
        #expect(
            Self.normalised("clustmake: run hello finished: 6 jobs, 6 done in 1:05:02 (3902.4 s)", directory: "/x")
                == "clustmake: run hello finished: 6 jobs, 6 done in DURATION")
        #expect(
            Self.normalised("  hello  2025-03-01T12:00:00.118Z  at /tmp/x/.clustmake", directory: "/tmp/x")
                == "  hello  TIMESTAMP  at DIR/.clustmake")
    }

    @Test("every command of README's session runs in a fresh directory with examples/ and prints what README shows")
    func transcript() throws {
        let readme = try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let steps = try Self.steps(of: readme)
        let session = try Session()
        for (index, step) in steps.enumerated() {
            let result = try session.run(step.command)
            let measured = Self.usesMeasuredRuntimes(step, after: Array(steps[..<index]))
            func mask(_ line: String) -> String { measured ? Self.measured(line) : line }
            let expected = step.output.map { mask(Self.normalised($0, directory: Self.readmeDirectory)) }
            var printed = result.stdout.components(separatedBy: "\n")
                .map { mask(Self.normalised($0, directory: session.path)) }
            while printed.last == "" { printed.removeLast() }
            #expect(result.status == 0, "\(step): exit \(result.status)\n\(result.stdout)\(result.stderr)")
            #expect(
                printed.filter { !Self.isEvent($0) } == expected.filter { !Self.isEvent($0) },
                "\(step) printed, normalised:\n\(printed.joined(separator: "\n"))")
            #expect(
                printed.filter(Self.isEvent).sorted() == expected.filter(Self.isEvent).sorted(),
                "\(step): its event lines differ from README's")
        }
    }

    /// A fresh directory with a copy of the repository's `examples/`, where commands run through `sh -c` with the
    /// built executables first on the PATH; its embedded redis is stopped, and the directory removed, at the end.
    final class Session {
        let url: URL
        /// The directory as the commands see it (symbolic links resolved).
        let path: String

        /// The run directory of this session's runs (`XDG_RUNTIME_DIR`): the pid file of a run of `hello` is
        /// there, so that another test's run of `hello` on this machine does not refuse this one.
        let runtime: String

        init() throws {
            url = try CLI.temporaryDirectory()
            path = url.resolvingSymlinksInPath().path
            var template = Array("/tmp/clustmake-rt-XXXXXX".utf8CString)
            guard let created = mkdtemp(&template) else { throw CLIError("cannot create a run directory in /tmp") }
            runtime = String(cString: created)
            try FileManager.default.copyItem(
                at: CLI.repositoryRoot.appendingPathComponent("examples"), to: url.appendingPathComponent("examples"))
        }

        deinit {
            _ = try? Tool.built("clustmake", ["redis", "stop"], in: url)
            try? FileManager.default.removeItem(at: url)
            try? FileManager.default.removeItem(atPath: runtime)
        }

        /// Runs one transcript line with `sh -c`, its standard error in its standard output as a terminal shows
        /// them.
        func run(_ command: String) throws -> CLI.Result {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            let built = URL(fileURLWithPath: try CLI.built("clustmake")).deletingLastPathComponent().path
            return try Tool.run(
                "/bin/sh", ["-c", "exec 2>&1\n" + command],
                environment: ["PATH": built + ":" + path, "XDG_RUNTIME_DIR": runtime],
                removing: ["REDISCLI_AUTH"], directory: url, timeout: 300)
        }
    }
}
