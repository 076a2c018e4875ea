/// The rule for text that reaches a command, a path, an environment or a script (docs/job-graph.md, "Limits").
///
/// A NUL byte cannot cross `execve` or a C string: the worker would run a command cut short, not the one that was
/// reviewed. Other control characters, and the bidirectional marks that reorder text, hide what a reviewer reads.
/// So every character ``Format/isUnsafeOnTerminal(_:)`` names (C0, DEL, C1, bidirectional marks) is refused, but
/// for the tab and newline of ``Kind/text``: commands, argument words and environment values, where multi-line
/// scripts are normal. The script writer applies the same rule to what it writes.
public enum FieldText {
    /// Which control characters a field may hold.
    public enum Kind: Sendable, Hashable {
        /// Paths, names, settings: no control character at all.
        case line
        /// Commands, argument words and environment values: tab and newline, no other control character.
        case text
    }

    /// Why `text` may not be a field of kind `kind`, or `nil` when it may: "holds a NUL byte at character 5".
    /// - Parameters:
    ///   - text: The value.
    ///   - kind: What the value is for.
    /// - Returns: A phrase that completes "'cwd' …", or `nil`.
    public static func problem(with text: String, _ kind: Kind) -> String? {
        // Plain ASCII without control characters is the common case: check its bytes first.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return nil }
        var position = 0
        for scalar in text.unicodeScalars {
            position += 1
            if kind == .text && (scalar == "\t" || scalar == "\n") { continue }
            guard Format.isUnsafeOnTerminal(scalar) else { continue }
            return scalar == "\0"
                ? "holds a NUL byte at character \(position)"
                : "holds the control character U+\(hex(scalar.value)) at character \(position)"
        }
        return nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
