/// Parsing of the sizes and durations people write in input files.
public enum Quantity {
    /// Bytes from "512M", "2G", "1.5GiB", "100k" (binary multiples; a bare number is rejected: it would be ambiguous).
    public static func bytes(_ text: String) -> UInt64? {
        let trimmed = text.trimmingWhitespace().lowercased()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let value = Double(digits), value >= 0 else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingWhitespace()
        let (kibi, mebi, gibi, tebi) = (1024.0, 1_048_576.0, 1_073_741_824.0, 1_099_511_627_776.0)
        let multipliers: [String: Double] = [
            "b": 1, "k": kibi, "kb": kibi, "kib": kibi, "m": mebi, "mb": mebi, "mib": mebi,
            "g": gibi, "gb": gibi, "gib": gibi, "t": tebi, "tb": tebi, "tib": tebi,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let bytes = (value * multiplier).rounded()
        return bytes < 1.8e19 ? UInt64(bytes) : nil
    }

    /// Seconds from "90", "90s", "15m", "2h", "1d", "1h30m".
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingWhitespace().lowercased()
        if let plain = Double(trimmed) { return plain >= 0 ? plain : nil }
        var total = 0.0
        var number = ""
        var sawUnit = false
        for character in trimmed {
            if character.isNumber || character == "." {
                number.append(character)
            } else {
                let scale: Double
                switch character {
                case "s": scale = 1
                case "m": scale = 60
                case "h": scale = 3600
                case "d": scale = 86400
                default: return nil
                }
                guard let value = Double(number) else { return nil }
                total += value * scale
                number = ""
                sawUnit = true
            }
        }
        return number.isEmpty && sawUnit ? total : nil
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
