import Testing

@testable import ClustmakeWorker

/// Which `shell` lines run without the shell (``SimpleCommand``), and the environment they get.
@Suite struct SimpleCommandTests {
    @Test(
        "plain words run directly, split at blanks",
        arguments: [
            ("true", ["true"]),
            ("  /usr/bin/env  ", ["/usr/bin/env"]),
            ("./fit --seed=3 -k 5\tdata/a,b:c+d@e%f.csv", ["./fit", "--seed=3", "-k", "5", "data/a,b:c+d@e%f.csv"]),
            ("dd if=in of=out", ["dd", "if=in", "of=out"]),
            ("false", ["false"]),
        ])
    func plainWords(line: String, words: [String]) {
        #expect(SimpleCommand(line)?.words == words)
    }

    @Test(
        "anything the shell would do more with stays with the shell",
        arguments: [
            "", "   ", "echo hi", "cd /tmp", "exit 3", "exec prog", "test -f x", "[ -f x ]", "true --help",
            "false x", "pwd", "printf x", "kill 1", "export A", ". ./env.sh", ": nothing", "if", "time prog",
            "A=1 prog", "prog 'quoted'", "prog \"quoted\"", "prog a\\ b", "prog $HOME", "prog `date`", "prog *.txt",
            "prog file?", "prog [ab]", "prog ~/x", "prog # comment", "prog; other", "prog && other", "prog | other",
            "prog > out", "prog < in", "(prog)", "{ prog; }", "! prog", "prog &", "prog\nother", "prog ^ other",
            "prog é",
        ])
    func staysWithTheShell(line: String) {
        #expect(SimpleCommand(line) == nil)
    }

    @Test("the environment drops names the shell drops, and sets PWD unless it already leads to the directory")
    func environment() throws {
        let given = ["A=1", "NOT-A-NAME=2", "9LIVES=3", "_under=4", "PWD=/nowhere", "B=x=y", "=empty"]
        let made = try #require(SimpleCommand.environment(given, directory: "/tmp"))
        #expect(made == ["A=1", "_under=4", "B=x=y", "PWD=/tmp"])
        // An absolute PWD that leads there is kept, as the shell keeps it.
        #expect(SimpleCommand.environment(["PWD=/tmp/../tmp"], directory: "/tmp") == ["PWD=/tmp/../tmp"])
        #expect(SimpleCommand.environment(["PWD=tmp"], directory: "/tmp") == ["PWD=/tmp"])
        #expect(SimpleCommand.environment([], directory: "/no/such/directory") == nil)
    }
}
