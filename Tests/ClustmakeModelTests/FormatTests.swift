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

    @Test(
        "compact durations, for plan tables",
        arguments: [
            (0.5, "0.5s"), (42, "42.0s"), (59.96, "60.0s"), (185, "3m05s"), (7380, "2h03m"), (273_600, "3d04h"),
            (-185, "-3m05s"), (-0.01, "0.0s"),
        ])
    func compact(seconds: Double, expected: String) {
        #expect(Format.duration(seconds, style: .compact) == expected)
    }

    @Test("durations that are not numbers, or too large for a clock, are written without trapping")
    func extremes() {
        #expect(Format.duration(.nan) == "-")
        #expect(Format.duration(-.infinity, style: .compact) == "-")
        #expect(Format.duration(1e300).hasSuffix(" s"))
        #expect(Format.duration(-0.001) == "0.00 s")
        #expect(Format.clock(.nan) == "0:00")
        #expect(Format.clock(1e300).hasPrefix("2500000000000:"))
    }

    @Test("seconds with a fixed number of decimals, from a Double or a Duration (rounded, not cut)")
    func seconds() {
        #expect(Format.seconds(12.25) == "12.3 s")
        #expect(Format.seconds(0.5, digits: 2) == "0.50 s")
        #expect(Format.seconds(Duration.milliseconds(2350)) == "2.35 s")
        #expect(Format.seconds(Duration.milliseconds(126)) == "0.13 s")
        #expect(Format.seconds(Duration.seconds(10)) == "10.00 s")
        #expect(Format.secondsAndDuration(5.5) == "5.5 s")
        #expect(Format.secondsAndDuration(4021) == "4021.0 s (1h07m)")
    }

    @Test(
        "elapsed time as a clock",
        arguments: [(0.4, "0:00"), (65, "1:05"), (3599.6, "1:00:00"), (3725, "1:02:05"), (-3, "0:00")])
    func clock(seconds: Double, expected: String) {
        #expect(Format.clock(seconds) == expected)
    }

    @Test("byte counts of any integer type, up to exbibytes")
    func byteCounts() {
        #expect(Format.bytes(Int64(512)) == "512 B")
        #expect(Format.bytes(Int64(1536)) == "1.5 KiB")
        #expect(Format.bytes(Int64(81_478_852_608)) == "75.9 GiB")
        #expect(Format.bytes(UInt64(1) << 60) == "1.0 EiB")
        #expect(Format.bytes(UInt64.max) == "16.0 EiB")
        #expect(Format.bytes(1_048_575) == "1024.0 KiB")
    }

    @Test("counts, percentages and padding")
    func text() {
        #expect(Format.count(1, "job") == "1 job")
        #expect(Format.count(0, "slot") == "0 slots")
        #expect(Format.count(1, "retry", plural: "retries") == "1 retry")
        #expect(Format.count(2, "retry", plural: "retries") == "2 retries")
        #expect(Format.percent(0.4081) == "40.8%")
        #expect(Format.padLeft("ab", 4) == "  ab")
        #expect(Format.padRight("ab", 4) == "ab  ")
        #expect(Format.padLeft("abcdef", 4) == "abcdef")
    }

    @Test("escaped text shows every control character as an escape and is cut with a count of the rest")
    func escaped() {
        #expect(Format.escaped("a\0b\tc\nd\re\u{1B}[31m\\f\u{202E}g") == #"a\0b\tc\nd\re\u{1B}[31m\\f\u{202E}g"#)
        #expect(Format.escaped("plain text") == "plain text")
        #expect(Format.escaped(String(repeating: "x", count: 10), limit: 4) == "xxxx… (6 more characters)")
        #expect(Format.escaped("").isEmpty)
    }

    @Test("the checked conversion to a whole number gives nil where Int64(_:) would trap")
    func roundedInt64() {
        #expect((2.5).roundedInt64 == 3 && (-2.5).roundedInt64 == -3 && (0.0).roundedInt64 == 0)
        #expect((9.2e18).roundedInt64 == 9_200_000_000_000_000_000 && (-0x1p63).roundedInt64 == Int64.min)
        for value in [1e308, -1e308, 0x1p63, .infinity, -.infinity, .nan] { #expect(value.roundedInt64 == nil) }
    }
}
