/// Text from files and from redis, made safe to quote in a message or to print on a terminal.
extension Format {
    /// Whether a terminal would act on `scalar` instead of showing it: C0 and C1 controls, DEL, and the
    /// bidirectional marks and overrides that reorder what is shown.
    public static func isUnsafeOnTerminal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F..<0xA0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// The characters ``escaped(_:limit:)`` writes as Swift and C write them.
    private static let shortEscapes: [Unicode.Scalar: String] = [
        "\0": "\\0", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\",
    ]

    /// `text` as a message quotes it: every character a terminal would act on written as an escape (`\0`, `\t`,
    /// `\n`, `\r`, `\u{1B}`, `\u{202E}`), a backslash doubled, and at most `limit` characters (then `…` and how many
    /// more), so that a value from a file or from redis never moves the cursor, colours the screen or floods the
    /// terminal.
    /// - Parameters:
    ///   - text: The value.
    ///   - limit: The most characters shown.
    public static func escaped(_ text: String, limit: Int = 80) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                let rest = text.unicodeScalars.count - count
                result += "… (\(Format.count(rest, "more character")))"
                break
            }
            if let escape = shortEscapes[scalar] {
                result += escape
            } else if isUnsafeOnTerminal(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return result
    }
}
