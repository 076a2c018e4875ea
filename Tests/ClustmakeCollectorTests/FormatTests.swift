import ClustmakeCollector
import ClustmakeModel
import Testing

@Suite struct FormatTests {
    @Test(
        "fixed decimals round half away from zero",
        arguments: [
            (2.5, 2, "2.50"), (0.125, 2, "0.13"), (-1.005, 1, "-1.0"), (1234.5678, 3, "1234.568"), (0, 0, "0"),
            (-0.0001, 2, "0.00"), (.nan, 2, "-"),
        ])
    func fixed(value: Double, digits: Int, expected: String) {
        #expect(Format.fixed(value, digits) == expected)
    }

    @Test(
        "durations for people",
        arguments: [
            (0.25, "0.25 s"), (59.994, "59.99 s"), (65, "1m 05s"), (3599.4, "59m 59s"), (7380, "2h 03m"),
            (90000, "1d 01h"),
        ])
    func duration(seconds: Double, expected: String) {
        #expect(Format.duration(seconds) == expected)
    }

    @Test("sizes in powers of 1024")
    func bytes() {
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(4096) == "4.0 KiB")
        #expect(Format.bytes(4_194_304) == "4.0 MiB")
        #expect(Format.bytes(1_610_612_736) == "1.5 GiB")
    }

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
