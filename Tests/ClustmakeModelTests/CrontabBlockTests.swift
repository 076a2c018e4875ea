import ClustmakeModel
import Testing

/// Editing a crontab's own block between marker lines (``CrontabBlock``).
@Suite struct CrontabBlockTests {
    let block = CrontabBlock(label: "clustmake demo")
    let others =
        "MAILTO=ops\n0 3 * * * /usr/bin/backup\n# BEGIN clustmake other\n* * * * * /bin/true\n# END clustmake other\n"

    @Test("a block is appended, replaced in place and removed; every other line stays")
    func edits() throws {
        let installed = try block.replacing(in: others, with: ["1 * * * * /a"])
        #expect(installed == others + "# BEGIN clustmake demo\n1 * * * * /a\n# END clustmake demo\n")
        #expect(try block.lines(in: installed) == ["1 * * * * /a"])
        let withTail = installed + "5 5 * * * /tail\n"
        let replaced = try block.replacing(in: withTail, with: ["2 * * * * /b", "3 * * * * /c"])
        #expect(
            replaced == others + "# BEGIN clustmake demo\n2 * * * * /b\n3 * * * * /c\n# END clustmake demo\n"
                + "5 5 * * * /tail\n")
        #expect(try block.removing(from: replaced) == others + "5 5 * * * /tail\n")
        #expect(try block.removing(from: others) == others)
        #expect(try block.lines(in: others) == nil)
        #expect(try block.replacing(in: "", with: ["x"]) == "# BEGIN clustmake demo\nx\n# END clustmake demo\n")
        #expect(try block.replacing(in: "a", with: []) == "a\n# BEGIN clustmake demo\n# END clustmake demo\n")
    }

    @Test(
        "unbalanced and duplicated markers are refused with their line",
        arguments: [
            ("a\n# BEGIN clustmake demo\nx\n", 2, "without '# END clustmake demo'"),
            ("# END clustmake demo\n", 1, "without '# BEGIN clustmake demo' before it"),
            ("# BEGIN clustmake demo\n# BEGIN clustmake demo\n# END clustmake demo\n", 2, "inside the block"),
            (
                "# BEGIN clustmake demo\n# END clustmake demo\n# BEGIN clustmake demo\n# END clustmake demo\n", 3,
                "holds it twice"
            ),
        ])
    func refused(text: String, line: Int, problem: String) {
        let edits: [() throws -> String] = [
            { try block.removing(from: text) }, { try block.replacing(in: text, with: ["y"]) },
        ]
        for edit in edits {
            #expect {
                _ = try edit()
            } throws: { error in
                guard let error = error as? CrontabBlock.Problem else { return false }
                return error.line == line && error.message.contains(problem)
            }
        }
    }
}
