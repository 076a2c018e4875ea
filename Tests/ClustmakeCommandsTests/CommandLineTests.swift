import ClustmakeJSON
import Foundation
import Testing

/// What the command line promises every command: help on standard output with status 0, a bad option as one line
/// with the fix and status 2, and messages that name only options and commands the user has.
@Suite struct CommandLineTests {
    /// Every command path of `clustmake`.
    static let commands: [[String]] = [
        [], ["plan"], ["push"], ["run"], ["submit"], ["cancel"], ["status"], ["stats"], ["results"], ["logs"],
        ["report"],
        ["hosts"], ["hosts", "check"], ["hosts", "install"], ["redis"], ["redis", "start"], ["redis", "stop"],
        ["redis", "status"],
    ]

    @Test("--help, -h and help SUBCOMMAND print help on standard output and exit 0", arguments: commands)
    func help(command: [String]) throws {
        for arguments in [command + ["--help"], command + ["-h"], ["help"] + command] {
            let result = try CLI.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(arguments): \(result.stderr)")
            #expect(result.stdout.contains("USAGE: clustmake"), "\(arguments)")
        }
    }

    @Test("--version prints the version on standard output and exits 0")
    func version() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stderr.isEmpty)
        #expect(!result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test(
        "a bad option or value is one line with the fix and the help command, exit 2, and nothing else",
        arguments: [
            (
                ["plan", "x.yaml", "--out", "p"],
                "clustmake: error: unknown option '--out'; did you mean '--output'? See 'clustmake plan --help'."
            ),
            (["plan"], "clustmake: error: missing expected argument '<jobs>'. See 'clustmake plan --help'."),
            (
                ["run", "x.yaml", "--bundle", "zz"],
                "clustmake: error: --bundle must be auto, off or a number of jobs from 1, not 'zz'. "
                    + "See 'clustmake run --help'."
            ),
            (["frobnicate"], "clustmake: error: unexpected argument 'frobnicate'. See 'clustmake --help'."),
            (
                ["hosts", "check", "--min-free", "lots"],
                "clustmake: error: --min-free must be a size such as 500M or 2G, not 'lots'. "
                    + "See 'clustmake hosts check --help'."
            ),
        ])
    func badOption(arguments: [String], expected: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try CLI.run(arguments, in: directory)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == expected + "\n")
    }

    @Test("a plan directory whose parent is missing is bad input: exit 2, the directory to create, nothing written")
    func missingParent() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let graph = CLI.repositoryRoot.appendingPathComponent("examples/hello.yaml").path
        let result = try CLI.run(["plan", graph, "-o", "no/such/plan"], in: directory)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("clustmake: error: no/such/plan: the directory 'no/such' "), "\(result.stderr)")
        #expect(result.stderr.contains("mkdir -p no/such"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("-v reports each step as one readable line: clustmake: [command] step in N s (metadata)")
    func verboseLines() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let graph = CLI.repositoryRoot.appendingPathComponent("examples/hello.yaml").path
        let result = try CLI.run(["plan", graph, "--print", "--no-history", "-v"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        for line in lines { #expect(line.hasPrefix("clustmake: [plan] "), "\(line)") }
        #expect(
            lines.first?.range(
                of: #"^clustmake: \[plan\] read the job graph in [0-9]+\.[0-9]{2} s \(graph\.edges=5, "#
                    + #"graph\.format=clustmake YAML, graph\.jobs=6\)$"#, options: .regularExpression) != nil,
            "\(lines)")
    }

    @Test("a WfCommons instance's files reach plan -v and each job of plan.json")
    func instanceFiles() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let instance = CLI.repositoryRoot.appendingPathComponent(
            "Tests/ClustmakeInputTests/Fixtures/wfcommons/pegasus-montage-chameleon-dss-05d-001.v1.4.json")
        let result = try CLI.run(
            ["plan", instance.path, "--no-push", "--no-history", "-o", "p", "-v"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("graph.files=325 files (240 inputs, 85 outputs; 9.3 GiB)"), "\(result.stderr)")
        let plan = try JSONValue.parse(contentsOfFile: directory.appendingPathComponent("p/plan.json").path)
        let job = try #require(plan["jobs"]?.arrayValue?.first { $0["id"]?.stringValue == "mViewer_ID0000058" })
        let files = try #require(job["files"]?.arrayValue)
        #expect(
            files.map { [$0["name"]?.stringValue, $0["link"]?.stringValue, $0["size"].map { "\($0)" }] } == [
                ["3-mosaic.fits", "input", "25922880"], ["2-mosaic.fits", "input", "25922880"],
                ["1-mosaic.fits", "input", "25922880"], ["mosaic-color.jpg", "output", "5698193"],
            ])
    }

    /// Options of other programs that the docs and messages mention, with the program; anything else that looks
    /// like an option must be one of clustmake's or the worker's.
    static let otherPrograms: [String: String] = [
        "--check": "node", "--clustmake": "bench/planner-quality.py", "--slots": "bench/planner-quality.py",
        "--tight": "bench/planner-quality.py", "--check-heft": "bench/planner-quality.py",
        "--runs": "bench/stats-scale.py", "--build": "bench/run-vs-parallel.py",
        "--tunnel": "bench/run-vs-parallel.py", "--repeat": "bench/run-vs-parallel.py",
        "--local-jobs": "bench/run-vs-parallel.py", "--worker": "bench/run-vs-parallel.py",
        "--compmake": "bench/worker-overhead.py", "--command": "bench/worker-overhead.py",
        "--workflow-only": "bench/run-vs-parallel.py", "--local-only": "bench/run-vs-parallel.py",
        "--modes": "bench/run-vs-parallel.py", "--password": "useradd",
        "--shell": "useradd", "--system": "useradd", "--create-home": "useradd", "--home-dir": "useradd",
        "--socket": "munged", "--foreground": "munged", "--key-file": "munged", "--pid-file": "munged",
        "--log-file": "munged", "--seed-file": "mungekey", "--ssh": "GNU parallel", "--relative": "srun",
        "--nodes": "srun", "--ntasks": "srun", "--overlap": "srun", "--exclusive": "srun", "--wrap": "sbatch",
        "--parsable": "sbatch", "--partition": "sbatch", "--dependency": "sbatch",
        "--kill-on-invalid-dep": "sbatch", "--filter": "swift test", "--product": "swift build",
        "--build-tests": "swift build", "--target": "swift build", "--sanitize": "swift build",
        "--skip-build": "swift test", "--disable-xctest": "swift test",
        "--static-swift-stdlib": "swift build", "--scratch-path": "swift build", "--disable-local-rpath": "swift build",
        "--tool": "valgrind", "--headless": "chromium", "--screenshot": "chromium", "--window-size": "chromium",
        "--init": "docker run",
        "--privileged": "docker run", "--cap-add": "docker run", "--scan": "redis-cli", "--pattern": "redis-cli",
        "--pipe": "redis-cli",
        "--no-raw": "redis-cli", "--port": "redis-server", "--save": "redis-server",
        "--appendonly": "redis-server", "--unixsocket": "redis-server", "--percent-cpu": "wfbench",
        "--account": "sbatch", "--time": "sbatch", "--mem": "sbatch", "--qos": "sbatch", "--constraint": "sbatch",
        "--gres": "sbatch", "--mail-type": "sbatch", "--job-name": "sbatch", "--ntasks-per-node": "sbatch",
        "--cpus-per-task": "sbatch", "--noheader": "squeue", "--immediate": "srun", "--jobid": "srun",
        "--quiet": "srun", "--mpi": "srun", "--exact": "srun", "--steps": "squeue", "--nice": "sbatch",
        "--cpus-per-node": "bench/handoff.py", "--workflow": "bench/handoff.py", "--max-submit": "bench/handoff.py",
        "--ways": "bench/handoff.py", "--graph": "bench/scale.py", "--run": "bench/scale.py",
        "--fresh-run": "bench/scale.py", "--keep": "bench/scale.py", "--rounds": "bench/scale.py",
        "--run-limit": "bench/scale.py", "--compare": "bench/status-watch.py", "--unwatched": "bench/status-watch.py",
    ]

    @Test("every --option that the docs, README and the sources' strings name exists in some command's help")
    func mentionedOptionsExist() throws {
        var help = ""
        for command in Self.commands { help += try CLI.run(command + ["--help"]).stdout }
        help += try CLI.run(["--help"], executable: "compmake").stdout
        let known = Set(Self.options(in: help))
        var files = ["README.md"]
        let docs = CLI.repositoryRoot.appendingPathComponent("docs")
        files += try FileManager.default.contentsOfDirectory(atPath: docs.path).filter { $0.hasSuffix(".md") }
            .map { "docs/" + $0 }
        // Every module's strings: messages from the hosts, the dispatcher or the store reach users too.
        let sources = CLI.repositoryRoot.appendingPathComponent("Sources")
        let walker = FileManager.default.enumerator(atPath: sources.path)
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".swift") && !path.hasPrefix("ClustmakeTestSupport/") { files.append("Sources/" + path) }
        }
        var unknown: [String] = []
        for file in files {
            let text = try String(
                contentsOf: CLI.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                // Comments in Swift files are for readers of the code; strings and docs are for users.
                if file.hasSuffix(".swift") && line.trimmingCharacters(in: .whitespaces).hasPrefix("//") { continue }
                for option in Self.options(in: String(line))
                where !known.contains(option) && Self.otherPrograms[option] == nil
                    // An example of the error a mistyped option gets.
                    && !line.contains("unknown option '\(option)'")
                {
                    unknown.append("\(file):\(number + 1): \(option)")
                }
            }
        }
        #expect(unknown.isEmpty, "options that no command has:\n\(unknown.joined(separator: "\n"))")
    }

    @Test("no user-facing string names a Swift API (an identifier with (_:)) as something to do")
    func noSwiftAPIInMessages() throws {
        let sources = CLI.repositoryRoot.appendingPathComponent("Sources")
        var found: [String] = []
        let walker = FileManager.default.enumerator(atPath: sources.path)
        while let path = walker?.nextObject() as? String {
            guard path.hasSuffix(".swift"), !path.hasPrefix("ClustmakeTestSupport/") else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(path), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.trimmingCharacters(in: .whitespaces).hasPrefix("//") { continue }
                // Inside a string literal: an odd number of quotes before the identifier.
                guard let range = line.range(of: #"[A-Za-z]\((_:)+\)"#, options: .regularExpression) else { continue }
                if line[..<range.lowerBound].filter({ $0 == "\"" }).count % 2 == 1 {
                    found.append("Sources/\(path):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    /// The `--long-option` words of `text`.
    static func options(in text: String) -> [String] {
        let expression = try! NSRegularExpression(pattern: #"(?<![A-Za-z0-9_-])--[a-z][a-z0-9_-]*[a-z0-9]"#)
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        }
    }
}
