/// Numbers, durations and byte counts as clustmake prints them, without Foundation's locale-dependent formatters:
/// the one formatter behind the plan summary, `run`'s progress and report, `hosts check`, `status`, `stats` and the
/// report page.
public enum Format {
    /// `value` with exactly `digits` decimals, rounded half away from zero: `fixed(2.5, 2)` is `2.50`, `fixed(1.25,
    /// 1)` is `1.3`; never `-0.0`; `-` for NaN and infinities.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return value.description }
        let whole = UInt64(scaled)
        let divisor = UInt64(scale)
        let integer = whole / divisor
        var text = (value < 0 && whole != 0 ? "-" : "") + String(integer)
        if digits > 0 {
            let fraction = String(whole % divisor)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }

    /// How ``duration(_:style:)`` writes a duration.
    public struct DurationStyle: Sendable, Hashable {
        /// Decimals of the seconds under a minute.
        public var decimals: Int
        /// Between the number and `s` under a minute, and between the two units from a minute on.
        public var separator: String

        /// Measured times (`status`, `stats`, the report): `0.25 s`, `12.50 s`, `3m 05s`, `2h 03m`, `3d 04h`.
        public static let spaced = DurationStyle(decimals: 2, separator: " ")
        /// Plan tables, where columns are narrow: `0.5s`, `42.0s`, `3m05s`, `2h03m`, `3d04h`.
        public static let compact = DurationStyle(decimals: 1, separator: "")
    }

    /// A duration in seconds, readable at a glance: under a minute in seconds with decimals, then in the two largest
    /// units of days, hours, minutes and seconds (rounded to the second); `-` for NaN and infinities.
    /// - Parameters:
    ///   - seconds: The duration; a negative one is written with a minus sign.
    ///   - style: ``DurationStyle/spaced`` or ``DurationStyle/compact``.
    public static func duration(_ seconds: Double, style: DurationStyle) -> String {
        guard seconds.isFinite else { return "-" }
        if abs(seconds) < 60 || abs(seconds) >= 9e18 { return fixed(seconds, style.decimals) + style.separator + "s" }
        let total = Int64(seconds.rounded())
        let sign = total < 0 ? "-" : ""
        let magnitude = total.magnitude
        func two(_ value: UInt64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let gap = style.separator
        if magnitude < 3600 { return "\(sign)\(magnitude / 60)m\(gap)\(two(magnitude % 60))s" }
        if magnitude < 86400 { return "\(sign)\(magnitude / 3600)h\(gap)\(two(magnitude / 60 % 60))m" }
        return "\(sign)\(magnitude / 86400)d\(gap)\(two(magnitude / 3600 % 24))h"
    }

    /// A duration in seconds as measured times are written (``DurationStyle/spaced``): `0.25 s`, `3m 05s`.
    public static func duration(_ seconds: Double) -> String {
        duration(seconds, style: .spaced)
    }

    /// Seconds with `digits` decimals: `12.5 s`.
    public static func seconds(_ seconds: Double, digits: Int = 1) -> String {
        fixed(seconds, digits) + " s"
    }

    /// A `Duration` in seconds with `digits` decimals: `0.12 s`.
    public static func seconds(_ duration: Duration, digits: Int = 2) -> String {
        Self.seconds(duration.inSeconds, digits: digits)
    }

    /// Seconds with one decimal, and the compact duration when it is a minute or more: `4021.0 s (1h07m)`.
    public static func secondsAndDuration(_ seconds: Double) -> String {
        let plain = Self.seconds(seconds)
        return abs(seconds) < 60 ? plain : "\(plain) (\(duration(seconds, style: .compact)))"
    }

    /// Elapsed time as a clock shows it, rounded to the second: `m:ss`, or `h:mm:ss` from an hour on; negative
    /// times are `0:00`.
    public static func clock(_ seconds: Double) -> String {
        let total = seconds.isFinite ? Int64(min(max(0, seconds), 9e15).rounded()) : 0
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        let mm = minutes < 10 && hours > 0 ? "0\(minutes)" : "\(minutes)"
        let ss = secs < 10 ? "0\(secs)" : "\(secs)"
        return hours > 0 ? "\(hours):\(mm):\(ss)" : "\(mm):\(ss)"
    }

    /// Bytes in the largest binary unit (powers of 1024) that keeps the number at least 1, with one decimal:
    /// `512 B`, `4.0 KiB`, `3.2 MiB`, `75.9 GiB`.
    public static func bytes(_ count: some BinaryInteger) -> String {
        if count < 1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return fixed(value, 1) + " " + units[unit]
    }

    /// A ratio as a percentage with one decimal: `40.8%`.
    public static func percent(_ ratio: Double) -> String {
        fixed(ratio * 100, 1) + "%"
    }

    /// `"1 job"`, `"3 jobs"`, `"1 retry"`, `"0 retries"`: a count and its noun, plural when the count is not 1; the
    /// one way clustmake writes a count of things.
    /// - Parameters:
    ///   - number: The count.
    ///   - noun: The noun in the singular.
    ///   - plural: The plural when it is not the noun plus `s` (`retries`).
    public static func count(_ number: Int, _ noun: String, plural: String? = nil) -> String {
        "\(number) " + (number == 1 ? noun : plural ?? noun + "s")
    }

    /// `text` right-aligned in `width` columns (by characters).
    public static func padLeft(_ text: String, _ width: Int) -> String {
        let count = text.count
        return count >= width ? text : String(repeating: " ", count: width - count) + text
    }

    /// `text` left-aligned in `width` columns (by characters).
    public static func padRight(_ text: String, _ width: Int) -> String {
        let count = text.count
        return count >= width ? text : text + String(repeating: " ", count: width - count)
    }
}
