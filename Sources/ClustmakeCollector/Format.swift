import ClustmakeModel

/// Numbers, durations, sizes and times as the collector prints them, without Foundation.
public enum Format {
    /// `value` with exactly `digits` decimals (half away from zero): `fixed(2.5, 2)` is `2.50`; `-` for NaN and
    /// infinities.
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

    /// Seconds for people: `0.25 s`, `12.50 s`, `3m 05s`, `2h 03m`, `3d 04h`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        if seconds < 0 { return "-" + duration(-seconds) }
        if seconds < 60 { return fixed(seconds, 2) + " s" }
        let whole = Int64(seconds.rounded())
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        if whole < 3600 { return "\(whole / 60)m \(two(whole % 60))s" }
        if whole < 86400 { return "\(whole / 3600)h \(two(whole / 60 % 60))m" }
        return "\(whole / 86400)d \(two(whole / 3600 % 24))h"
    }

    /// Bytes for people, in powers of 1024: `512 B`, `4.0 KiB`, `3.2 MiB`, `1.5 GiB`.
    public static func bytes(_ count: UInt64) -> String {
        if count < 1024 { return "\(count) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
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

    /// Seconds since 1970 as the store writes instants: `2025-03-01T12:00:05.250Z`.
    public static func iso8601(_ seconds: Double) -> String {
        UTCTime(secondsSince1970: seconds).iso8601
    }

    /// Seconds since 1970 as GNU parallel's joblog writes start times: `1740830405.250`.
    public static func epoch(_ seconds: Double) -> String {
        fixed(seconds, 3)
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

    /// One line of text safe to print on a terminal: control characters (escape sequences, carriage returns,
    /// bidirectional overrides) become `?`, tabs become spaces, and the line is cut to `limit` characters with `…`.
    public static func printable(_ text: String, limit: Int = 200) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                result += "…"
                break
            }
            switch scalar.value {
            case 0x09: result += " "
            case 0x00..<0x20, 0x7F..<0xA0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: result += "?"
            default: result.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return result
    }

    /// The last non-empty line of some output, decoded as UTF-8 (invalid bytes replaced) and made
    /// ``printable(_:limit:)``; `nil` when there is none.
    public static func lastLine(of bytes: [UInt8], limit: Int = 200) -> String? {
        var end = bytes.count
        while true {
            while end > 0, [0x0A, 0x0D, 0x20, 0x09].contains(bytes[end - 1]) { end -= 1 }
            guard end > 0 else { return nil }
            var start = end
            while start > 0, bytes[start - 1] != 0x0A { start -= 1 }
            let line = String(decoding: bytes[start..<end], as: UTF8.self)
            // A carriage return overwrites the line on a terminal: keep what a terminal would show last.
            let shown = line.split(separator: "\r", omittingEmptySubsequences: true).last.map(String.init) ?? ""
            if !shown.allSatisfy({ $0 == " " || $0 == "\t" }) { return printable(shown, limit: limit) }
            end = start
        }
    }
}
