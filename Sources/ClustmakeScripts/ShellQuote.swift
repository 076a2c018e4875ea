/// Quoting for POSIX shells: turns any string into one shell word that the shell reads back unchanged.
///
/// A word made only of characters that no shell treats specially (`A-Z a-z 0-9 _ @ % + = : , . / -`) is left as
/// it is, so the lines of a script read like the commands a person would type; anything else is put between single
/// quotes, with each embedded `'` written as `'\''`. Inside single quotes nothing is special (no `$`, backquote,
/// backslash, glob or tilde expansion), so the result is exact for every string without a NUL byte (a shell
/// argument cannot hold NUL; the script writer rejects such values before quoting).
public enum ShellQuote {
    /// One shell word that stands for `word`.
    /// - Parameter word: Any text; an empty string becomes `''`.
    /// - Returns: `word` itself when it is non-empty and made only of safe characters, otherwise `word` in single
    ///   quotes: `'a b'`, `'it'\''s'`, `''`. Two details keep twice-quoted words readable: a leading or trailing
    ///   embedded quote gets no empty `''` pair (`\''a b'`), and backslashes right before an embedded quote are
    ///   written `\\` outside the quotes, so that no quoted run ends in a backslash.
    public static func quote(_ word: String) -> String {
        if isSafe(word) { return word }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(word.utf8.count + 8)
        appendQuoted(word, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The words quoted one by one and joined by single spaces: a command line for `sh`.
    /// - Parameter words: The command's argument vector, the program first.
    public static func join(_ words: some Sequence<String>) -> String {
        var bytes: [UInt8] = []
        var first = true
        for word in words {
            if !first { bytes.append(UInt8(ascii: " ")) }
            first = false
            append(word, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `word` is non-empty and made only of characters that need no quoting.
    public static func isSafe(_ word: String) -> Bool {
        var word = word
        return word.withUTF8 { bytes in
            guard !bytes.isEmpty else { return false }
            for byte in bytes where !isSafe(byte) { return false }
            return true
        }
    }

    /// Appends the quoted form of `word` (see ``quote(_:)``) to a byte buffer, without building a `String`.
    static func append(_ word: String, to bytes: inout [UInt8]) {
        if isSafe(word) {
            bytes.append(contentsOf: word.utf8)
        } else {
            appendQuoted(word, to: &bytes)
        }
    }

    /// Single quotes around everything but embedded quotes, each written `\'` between quoted runs (the familiar
    /// `'it'\''s'`). A backslash right before an embedded quote is written `\\` outside the quotes rather than
    /// inside them: the same word, but no quoted run ends in a backslash, which reads (and lints) as a mistaken
    /// attempt to escape the quote. This happens when an already quoted word is quoted again (ssh's remote words).
    private static func appendQuoted(_ word: String, to bytes: inout [UInt8]) {
        let quote = UInt8(ascii: "'")
        let backslash = UInt8(ascii: "\\")
        var open = false
        var escapeBackslashes = false
        let word = Array(word.utf8)
        if word.isEmpty {
            bytes.append(contentsOf: [quote, quote])
            return
        }
        for (index, byte) in word.enumerated() {
            if byte == quote {
                if open { bytes.append(quote) }
                open = false
                escapeBackslashes = false
                bytes.append(contentsOf: [backslash, quote])
                continue
            }
            if byte == backslash && !escapeBackslashes {
                // Does this run of backslashes end at a quote?
                var next = index
                while next < word.count && word[next] == backslash { next += 1 }
                escapeBackslashes = next < word.count && word[next] == quote
            }
            if byte == backslash && escapeBackslashes {
                if open { bytes.append(quote) }
                open = false
                bytes.append(contentsOf: [backslash, backslash])
                continue
            }
            if !open { bytes.append(quote) }
            open = true
            bytes.append(byte)
        }
        if open { bytes.append(quote) }
    }

    @inline(__always) static func isSafe(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: "="),
            UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "-"):
            true
        default: false
        }
    }
}
