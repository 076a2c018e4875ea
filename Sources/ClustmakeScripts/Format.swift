/// Number and duration formatting for the summary and tables, without Foundation's locale-dependent formatters.
enum Format {
    /// `value` with exactly `digits` decimals, rounded half away from zero (`1.25` → `"1.3"` for 1 digit).
    static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return String(value) }
        let units = Int64(scaled)
        let sign = value < 0 && units != 0 ? "-" : ""
        let whole = units / Int64(scale)
        guard digits > 0 else { return "\(sign)\(whole)" }
        var fraction = String(units % Int64(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return "\(sign)\(whole).\(fraction)"
    }

    /// A duration in seconds, readable at a glance: `0.5s`, `42.0s`, `3m05s`, `2h03m`, `3d04h`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return fixed(seconds, digits: 1) }
        if abs(seconds) < 60 { return fixed(seconds, digits: 1) + "s" }
        let total = Int64(seconds.rounded())
        let sign = total < 0 ? "-" : ""
        let magnitude = abs(total)
        let (days, hours, minutes, secs) = (
            magnitude / 86_400, magnitude % 86_400 / 3600, magnitude % 3600 / 60, magnitude % 60
        )
        if days > 0 { return "\(sign)\(days)d\(pad(hours))h" }
        if hours > 0 { return "\(sign)\(hours)h\(pad(minutes))m" }
        return "\(sign)\(minutes)m\(pad(secs))s"
    }

    /// Seconds with one decimal and the readable form when it differs: `4021.0 s (1h07m)`.
    static func seconds(_ seconds: Double) -> String {
        let plain = fixed(seconds, digits: 1) + " s"
        return abs(seconds) < 60 ? plain : "\(plain) (\(duration(seconds)))"
    }

    /// A ratio as a percentage with one decimal: `66.7%`.
    static func percent(_ ratio: Double) -> String {
        fixed(ratio * 100, digits: 1) + "%"
    }

    /// `"1 job"`, `"3 jobs"`: a count and its noun, plural when the count is not 1.
    static func count(_ number: Int, _ noun: String) -> String {
        number == 1 ? "1 \(noun)" : "\(number) \(noun)s"
    }

    /// `text` padded with spaces to `width` characters, on the left (`right: true`) or the right.
    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let count = text.count
        guard count < width else { return text }
        let spaces = String(repeating: " ", count: width - count)
        return right ? spaces + text : text + spaces
    }

    private static func pad(_ number: Int64) -> String {
        number < 10 ? "0\(number)" : "\(number)"
    }
}
