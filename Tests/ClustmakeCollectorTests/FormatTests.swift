import ClustmakeCollector
import ClustmakeModel
import Testing

@Suite struct FormatTests {
    @Test("output lines are made safe for a terminal: no escape sequences, carriage returns or bidi overrides")
    func printable() {
        #expect(Format.printable("ok\u{1B}[31mred\u{1B}[0m") == "ok?[31mred?[0m")
        #expect(Format.printable("a\tb\u{202E}c") == "a b?c")
        #expect(Format.printable(String(repeating: "x", count: 10), limit: 4) == "xxxx…")
    }

    @Test("the last line of output: trailing blank lines skipped, carriage-return overwrites resolved")
    func lastLine() {
        #expect(Format.lastLine(of: Array("first\nboom: input corrupt\n\n  \n".utf8)) == "boom: input corrupt")
        #expect(Format.lastLine(of: Array("progress 10%\rprogress 100%\rdone\n".utf8)) == "done")
        #expect(Format.lastLine(of: Array("\n\n".utf8)) == nil)
        #expect(Format.lastLine(of: []) == nil)
        #expect(Format.lastLine(of: [0x66, 0xFF, 0x6F]) == "f\u{FFFD}o")
    }

    @Test("tables align columns, right-aligning those marked with >")
    func table() {
        var table = TextTable(["job", "runtime>"])
        table.append(["align", "1.00 s"])
        table.append(["a", "12.50 s"])
        #expect(table.render() == "  job    runtime\n  align   1.00 s\n  a      12.50 s\n")
    }
}
