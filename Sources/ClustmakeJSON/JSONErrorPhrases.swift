import ClustmakeModel

/// The wording of parse errors, in one place: the translation of jansson's reports (`JSONError+Jansson.swift`) and
/// the stream scanner, which checks the structure around a streamed array by hand (`JSONStreamScanner.swift`), say
/// the same thing the same way, whichever of them found the mistake.
enum JSONErrorPhrases {
    /// The two containers, as messages name them.
    enum Container: String {
        case array, object
    }

    /// What a parser expected where it found something else.
    enum Expectation {
        /// A `,` or `]` after an array element.
        case arraySeparator
        /// A `,` or `}` after an object member.
        case objectSeparator
        /// A `:` after an object key.
        case colon
        /// A key in double quotes.
        case key

        var text: String {
            switch self {
            case .arraySeparator: "',' or ']' after an array element"
            case .objectSeparator: "',' or '}' after an object member"
            case .colon: "':' after an object key"
            case .key: "a key in double quotes"
            }
        }
    }

    /// `expected …, found …`.
    static func expected(_ expectation: Expectation, found: String) -> String {
        "invalid JSON: expected \(expectation.text), found \(found)"
    }

    /// Something after the one top-level value, with its fix.
    static func trailingContent(found: String) -> (message: String, hint: String) {
        (
            "invalid JSON: unexpected \(found) after the end of the top-level value",
            "Remove it, or put all the values in one array: a JSON document holds exactly one value."
        )
    }

    /// The input ends inside a container, with its fix.
    static func truncated(inside container: Container) -> (message: String, hint: String) {
        let closer = container == .array ? "each '[' needs a ']'" : "each '{' needs a '}'"
        return (
            "invalid JSON: the input ends inside an \(container.rawValue)",
            "Check whether the file was cut short; \(closer)."
        )
    }

    /// A byte that is not UTF-8, with its fix.
    static func invalidUTF8(byte: UInt8) -> (message: String, hint: String) {
        ("the input is not valid UTF-8 (byte 0x\(hex(byte)))", "Save the file as UTF-8.")
    }

    /// A key given twice in one object, with its fix.
    static func duplicateKey(_ key: String) -> (message: String, hint: String) {
        ("duplicate key \(key) in an object", "Keep one of them: a key may appear only once in each object.")
    }

    /// The fix for a missing `:`.
    static let colonHint = "Put a ':' between the key and its value."
    /// The fix for a single-quoted string or key.
    static let doubleQuotesHint = "Use double quotes around strings and keys."
    /// The fix for a comment.
    static let commentHint = "Remove the comment: JSON has none."
    /// The fix for a bare word where a key was due.
    static let quoteKeyHint = "Put the key in double quotes."

    /// The fix for a trailing comma before `closer` (`]` or `}`).
    static func trailingCommaHint(before closer: String) -> String {
        "Remove the comma before '\(closer)'."
    }

    /// The fix for two values or members with no comma between them.
    static func missingCommaHint(in container: Container) -> String {
        container == .array ? "Add a ',' between the elements." : "Add a ',' between the members."
    }

    /// A token as messages quote it: `'text'`, or `"text"` when the text holds a `'`.
    /// The longest unexpected word ``excerpt(_:)`` quotes whole: `True`, `None`, `NaN`, `nul`.
    static let wholeWordLimit = 5

    /// Longer words that are common mistakes, quoted whole all the same (lower case).
    static let knownMistakes: Set<String> = ["infinity", "-infinity", "+infinity", "undefined"]

    /// An unexpected word of the input as a message quotes it: whole and escaped when it has at most
    /// ``wholeWordLimit`` characters or is a common mistake (`-Infinity`), else its first three characters and its
    /// length (`'hun…' (19 characters)`), so that a file that is not JSON at all, such as a password file, is not
    /// printed.
    static func excerpt(_ text: String) -> String {
        let count = text.unicodeScalars.count
        if count <= wholeWordLimit || knownMistakes.contains(text.lowercased()) { return quoted(Format.escaped(text)) }
        let start = String(String.UnicodeScalarView(text.unicodeScalars.prefix(3)))
        return quoted(Format.escaped(start) + "…") + " (\(count) characters)"
    }

    static func quoted(_ text: String) -> String {
        text.contains("'") ? "\"\(text)\"" : "'\(text)'"
    }

    /// Whether `byte` belongs to a bare word (letters, digits and `+-._`): the run messages quote whole.
    static func isWordByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "_")
    }
}

/// Two upper-case hex digits.
func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}
