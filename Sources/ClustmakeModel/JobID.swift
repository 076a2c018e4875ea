/// The rules for job ids and namespaces.
///
/// Ids and namespaces end up in shell lines, file names and redis keys. The writer quotes every value anyway;
/// these rules keep them readable and unambiguous everywhere they appear: ASCII letters, digits and
/// `_ . - + = : @ % ,`, at most ``maximumLength`` bytes, not starting with `-` (it would read as an option) and
/// not `.` or `..`.
public enum JobID {
    /// The longest id accepted, in bytes.
    public static let maximumLength = 200

    /// Why a string is not a valid id, or `nil` when it is one.
    /// - Parameter id: The candidate id.
    /// - Returns: A phrase that completes "… is not a valid id: ", or `nil`.
    public static func problem(with id: String) -> String? {
        if id.isEmpty { return "it is empty" }
        if id.utf8.count > maximumLength { return "it is longer than \(maximumLength) bytes" }
        if id == "." || id == ".." { return "'.' and '..' cannot be file names" }
        if id.utf8.first == UInt8(ascii: "-") { return "it starts with '-', which commands would read as an option" }
        for scalar in id.unicodeScalars where !isAllowed(scalar) {
            return "it contains \(describe(scalar)), which is not allowed in ids"
        }
        return nil
    }

    /// The characters allowed in ids, for messages.
    public static let allowedDescription = "ASCII letters, digits and _ . - + = : @ % ,"

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-", "+", "=", ":", "@", "%", ",": true
        default: false
        }
    }

    static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": "a space"
        case "\n": "a newline"
        case "\t": "a tab"
        case "'": "a single quote"
        case "\"": "a double quote"
        case "/": "a '/'"
        default:
            scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F
                ? "'\(Character(scalar))'"
                : "the character U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
    }
}
