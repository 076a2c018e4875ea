/// Wall-clock instants as the store writes them: UTC, ISO 8601 with milliseconds (`2025-03-01T12:00:05.250Z`).
///
/// Pure arithmetic on the proleptic Gregorian calendar (no C time functions), so the model needs no system
/// library; the current time comes from the edge (`UTCTime.now()` in ClustmakeSystem).
public struct UTCTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Double

    /// The instant `secondsSince1970` seconds after the Unix epoch.
    public init(secondsSince1970: Double) {
        self.secondsSince1970 = secondsSince1970
    }

    /// Parses the form ``iso8601`` writes, with or without fractional seconds.
    /// - Parameter text: `YYYY-MM-DDTHH:MM:SS[.fff…]Z`.
    /// - Returns: The instant, or `nil` when `text` has another form.
    public init?(iso8601 text: String) {
        var text = text
        guard let parsed = text.withUTF8({ Self.parse($0) }) else { return nil }
        self = parsed
    }

    /// Parses the bytes of a stamp, as ``init(iso8601:)`` does (for readers that hold bytes, such as the store's
    /// bulk decoder, so that no string is built).
    /// - Parameter bytes: `YYYY-MM-DDTHH:MM:SS[.fff…]Z` in ASCII.
    /// - Returns: The instant, or `nil` when `bytes` have another form.
    public init?(iso8601 bytes: [UInt8]) {
        guard let parsed = bytes.withUnsafeBufferPointer({ Self.parse($0) }) else { return nil }
        self = parsed
    }

    /// Parses a stamp held in part of an array (a field of a record packed in one value), as
    /// ``init(iso8601:)-([UInt8])`` does.
    public init?(iso8601 bytes: ArraySlice<UInt8>) {
        guard let parsed = bytes.withUnsafeBufferPointer({ Self.parse($0) }) else { return nil }
        self = parsed
    }

    /// The one parser of stamps. It never traps, whatever the bytes: the fields are fixed-width digits checked
    /// against their ranges (a leap second, `:60`, counts as the first second of the next minute, as `timegm`
    /// has it), a fraction may have any number of digits (only the first nine count), and nothing may follow the
    /// `Z` (no offsets).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> UTCTime? {
        let zero = UInt8(ascii: "0")
        guard bytes.count >= 20, bytes[bytes.count - 1] == UInt8(ascii: "Z"),
            bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<(start + count) {
                let digit = bytes[index] &- zero
                guard digit <= 9 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month),
            (1...daysInMonth(month, year: year)).contains(day), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            // `.` and at least one digit before the `Z`.
            guard bytes[19] == UInt8(ascii: "."), bytes.count > 21 else { return nil }
            var digits = 0
            var scale = 1
            for index in 20..<(bytes.count - 1) {
                let digit = bytes[index] &- zero
                guard digit <= 9 else { return nil }
                if scale < 1_000_000_000 {
                    digits = digits * 10 + Int(digit)
                    scale *= 10
                }
            }
            fraction = Double(digits) / Double(scale)
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        let days = daysSince1970(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        return UTCTime(secondsSince1970: Double(seconds) + fraction)
    }

    /// `2025-03-01T12:00:05.250Z`. Instants outside years 0000–9999 (or not finite) are shown at the nearest end of
    /// that range, so that every stamp written can be read back.
    public var iso8601: String {
        let earliest = -62_167_219_200.0  // 0000-01-01T00:00:00Z
        let latest = 253_402_300_799.999  // 9999-12-31T23:59:59.999Z
        let value = secondsSince1970.isNaN ? 0 : min(max(secondsSince1970, earliest), latest)
        var whole = value.rounded(.down)
        var millis = Int(((value - whole) * 1000).rounded())
        if millis == 1000 {
            whole += 1
            millis = 0
        }
        let seconds = Int(whole)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Self.civil(daysSince1970: days)
        // Written digit by digit into the string's own 24 bytes: workers and the collector write stamps by the
        // thousand, and padding and joining a dozen small strings made each one cost a few dozen allocations.
        return String(unsafeUninitializedCapacity: 24) { bytes in
            func put(_ value: Int, width: Int, at offset: Int) {
                var rest = value
                for index in (offset..<offset + width).reversed() {
                    bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(year, width: 4, at: 0)
            put(month, width: 2, at: 5)
            put(day, width: 2, at: 8)
            put(secondOfDay / 3600, width: 2, at: 11)
            put(secondOfDay / 60 % 60, width: 2, at: 14)
            put(secondOfDay % 60, width: 2, at: 17)
            put(millis, width: 3, at: 20)
            (bytes[4], bytes[7], bytes[10]) = (UInt8(ascii: "-"), UInt8(ascii: "-"), UInt8(ascii: "T"))
            (bytes[13], bytes[16]) = (UInt8(ascii: ":"), UInt8(ascii: ":"))
            (bytes[19], bytes[23]) = (UInt8(ascii: "."), UInt8(ascii: "Z"))
            return 24
        }
    }

    public var description: String { iso8601 }

    public static func < (lhs: UTCTime, rhs: UTCTime) -> Bool { lhs.secondsSince1970 < rhs.secondsSince1970 }

    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a civil date (Howard Hinnant's `days_from_civil`).
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let shifted = month <= 2 ? year - 1 : year
        let era = (shifted >= 0 ? shifted : shifted - 399) / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(daysSince1970 days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
