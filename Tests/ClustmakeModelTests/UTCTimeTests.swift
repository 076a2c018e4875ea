import ClustmakeModel
import Testing

@Suite struct UTCTimeTests {
    @Test(
        "stamps of the store's form parse to the instant they name",
        arguments: [
            ("1970-01-01T00:00:00.000Z", 0.0),
            ("2023-11-14T22:13:20Z", 1_700_000_000),
            ("2023-11-14T22:13:20.125Z", 1_700_000_000.125),
            ("2024-02-29T23:59:59.999Z", 1_709_251_199.999),
            ("1969-12-31T23:59:59.500Z", -0.5),
            ("0000-01-01T00:00:00Z", -62_167_219_200),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
        ])
    func parses(text: String, seconds: Double) throws {
        let time = try #require(UTCTime(iso8601: text))
        #expect(abs(time.secondsSince1970 - seconds) < 1e-6)
        #expect(UTCTime(iso8601: Array(text.utf8)) == time, "bytes and text parse alike")
    }

    @Test("a leap second counts as the first second of the next minute, as timegm has it")
    func leapSecond() throws {
        let leap = try #require(UTCTime(iso8601: "2016-12-31T23:59:60Z"))
        #expect(leap == UTCTime(iso8601: "2017-01-01T00:00:00Z"))
    }

    @Test("a fraction of any length parses without trapping; digits past the ninth do not count")
    func longFractions() throws {
        for digits in [1, 9, 18, 19, 20, 40, 400, 5_000] {
            let text = "2025-03-01T12:00:05." + String(repeating: "9", count: digits) + "Z"
            let time = try #require(UTCTime(iso8601: text), "\(digits) digits")
            #expect(time.secondsSince1970 <= 1_740_830_406, "\(digits) digits")
            #expect(time.secondsSince1970 >= 1_740_830_405.9, "\(digits) digits")
        }
        let long = "2025-03-01T12:00:05.2500000000000000000000000001Z"
        #expect(UTCTime(iso8601: long)?.iso8601 == "2025-03-01T12:00:05.250Z")
    }

    @Test(
        "hostile stamps give nil, never a crash",
        arguments: [
            "", "Z", "yesterday", "2025-03-01", "2025-03-01T12:00:05", "2025-03-01T12:00:05.Z",
            "2025-03-01T12:00:05.+Z",
            "2025-03-01T12:00:05.25", "2025-03-01T12:00:05.2x5Z", "2025-03-01 12:00:05Z", "2025/03/01T12:00:05Z",
            "+2025-03-01T12:00:05Z", "-2025-03-01T12:00:05Z", "12025-03-01T12:00:05Z",
            "999999999999999999999-03-01T12:00:05Z", "2025-13-01T00:00:00.000Z", "2025-00-10T00:00:00Z",
            "2025-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-03-00T00:00:00Z", "2025-03-01T24:00:00Z",
            "2025-03-01T12:60:00Z", "2025-03-01T12:00:61Z", "2025-03-01T12:00:05+02:00",
            "2025-03-01T12:00:05.250+00:00",
            "2025-03-01T12:00:05Z ", " 2025-03-01T12:00:05Z", "2025-03-01T12:00:05ZZ", "2025-03-01T12:00:05z",
            "２０２５-03-01T12:00:05Z", "2025-03-01T12:00:05.2\u{0}Z",
        ])
    func hostile(text: String) {
        #expect(UTCTime(iso8601: text) == nil)
        #expect(UTCTime(iso8601: Array(text.utf8)) == nil)
    }

    @Test("any instant prints as a stamp that parses back; instants out of years 0000–9999 print at the nearest end")
    func printing() throws {
        for seconds in [0.0, -0.25, 1_700_000_000.125, 951_782_400.999, 1e12, -1e12, .infinity, -.infinity, .nan] {
            let text = UTCTime(secondsSince1970: seconds).iso8601
            let parsed = try #require(UTCTime(iso8601: text), "\(seconds) printed as \(text)")
            if abs(seconds) < 1e11 { #expect(abs(parsed.secondsSince1970 - seconds) < 0.0005) }
        }
        #expect(UTCTime(secondsSince1970: 1e12).iso8601 == "9999-12-31T23:59:59.999Z")
        #expect(UTCTime(secondsSince1970: -1e12).iso8601 == "0000-01-01T00:00:00.000Z")
        #expect(UTCTime(secondsSince1970: -0.25).iso8601 == "1969-12-31T23:59:59.750Z")
        #expect(UTCTime(secondsSince1970: 951_782_400).iso8601 == "2000-02-29T00:00:00.000Z")
    }
}
