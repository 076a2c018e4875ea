import ClustmakeModel

/// Times and terminal-safe text as the collector prints them (numbers, durations and sizes are the model's).
extension Format {
    /// Seconds since 1970 as the store writes instants: `2025-03-01T12:00:05.250Z`.
    public static func iso8601(_ seconds: Double) -> String {
        UTCTime(secondsSince1970: seconds).iso8601
    }

    /// Seconds since 1970 as GNU parallel's joblog writes start times: `1740830405.250`.
    public static func epoch(_ seconds: Double) -> String {
        fixed(seconds, 3)
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
            if scalar == "\t" {
                result += " "
            } else if isUnsafeOnTerminal(scalar) {
                result += "?"
            } else {
                result.unicodeScalars.append(scalar)
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
