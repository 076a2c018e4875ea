import Foundation
import Testing

/// What the command line promises every command: help on standard output with status 0, a bad option as one line
/// with the fix and status 2, and messages that name only options and commands the user has.
@Suite struct CommandLineTests {
    /// Every command path of `clustmake`.
    static let commands: [[String]] = [
        [], ["plan"], ["push"], ["run"], ["cancel"], ["status"], ["stats"], ["results"], ["logs"], ["report"],
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
}
