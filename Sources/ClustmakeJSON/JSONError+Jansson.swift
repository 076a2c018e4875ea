internal import CJansson

extension JSONError {
    /// Translates jansson's error into a located ``JSONError`` with a plain sentence and a fix.
    ///
    /// jansson reports the place where it *noticed* the error: the byte just after the offending
    /// token, whose text it quotes as `near 'TOKEN'` when the token is at most 20 bytes long. This
    /// moves the location back to the start of the token, so that the line and column point at
    /// what must be fixed, and computes line and column from the input itself.
    ///
    /// - Parameters:
    ///   - error: jansson's report; its offsets count from `bodyStart`.
    ///   - input: The whole input, byte order mark included.
    ///   - bodyStart: Where the bytes given to jansson start in `input`.
    ///   - textStart: Where the text starts for line counting (after a byte order mark).
    ///   - source: The label for the input, such as a file name.
    init(
        jansson error: json_error_t, input: UnsafeRawBufferPointer, bodyStart: Int, textStart: Int,
        source: String?
    ) {
        var error = error
        let rawText = withUnsafeBytes(of: &error.text) { bytes in Array(bytes.prefix { $0 != 0 }) }
        let report = JanssonReport(rawText: rawText)
        let end = min(bodyStart + max(Int(error.position), 0), input.count)
        let context = ErrorContext(input: input, end: end, report: report)
        var location = context.tokenStart()
        let code: Code
        let message: String
        var hint: String?

        switch cjansson_error_code(&error) {
        case json_error_premature_end_of_input:
            code = .truncated
            (message, hint) = context.truncated()
            if !report.isInString { location = input.count }
        case json_error_end_of_input_expected:
            code = .trailingContent
            (message, hint) = JSONErrorPhrases.trailingContent(found: context.found(at: location))
        case json_error_invalid_syntax:
            code = .syntax
            (message, hint) = context.syntax(at: location)
            location = context.syntaxLocation(from: location)
        case json_error_invalid_utf8:
            code = .invalidUTF8
            location = end
            (message, hint) = JSONErrorPhrases.invalidUTF8(byte: end < input.count ? input[end] : 0)
        case json_error_duplicate_key:
            code = .duplicateKey
            (message, hint) = JSONErrorPhrases.duplicateKey(context.tokenText(from: location))
        case json_error_numeric_overflow:
            code = .numberOutOfRange
            let number = context.tokenText(from: location)
            if report.message.hasPrefix("real") {
                message = "number \(number) is too large for a double"
                hint = "Write it as a string, or use a number within ±1.8e308."
            } else {
                message = "integer \(number) does not fit in 64 bits"
                hint = "Write it as a string (integers range from -9223372036854775808 to 9223372036854775807)."
            }
        case json_error_stack_overflow:
            code = .nestingTooDeep
            message = "invalid JSON: arrays and objects nested more than \(cjansson_parser_max_depth()) levels deep"
        case json_error_null_byte_in_key:
            code = .unsupportedKey
            message = "object key \(context.tokenText(from: location)) contains \\u0000, which is not supported"
            hint = "Rename the key."
        case json_error_out_of_memory:
            code = .outOfMemory
            message = "out of memory while parsing"
        default:
            code = .unknown
            message = "invalid JSON: \(String(decoding: rawText, as: UTF8.self))"
        }

        let (line, column) = TextLocation.lineAndColumn(of: location, in: input, textStart: textStart)
        self.init(
            code: code, message: message, hint: hint, source: source, line: line, column: column,
            position: location, underlying: String(decoding: rawText, as: UTF8.self))
    }
}

/// jansson's error text split into its message and the token it quotes.
///
/// The text reads `MESSAGE near 'TOKEN'`, `MESSAGE near end of file`, or just `MESSAGE` (when the
/// token is longer than 20 bytes). The token is raw input bytes.
private struct JanssonReport {
    var message: String
    var token: [UInt8]?
    var atEndOfFile = false

    init(rawText: [UInt8]) {
        guard let range = rawText.firstRange(of: Array(" near ".utf8)) else {
            message = String(decoding: rawText, as: UTF8.self)
            return
        }
        message = String(decoding: rawText[..<range.lowerBound], as: UTF8.self)
        let rest = rawText[range.upperBound...]
        if rest.elementsEqual("end of file".utf8) {
            atEndOfFile = true
        } else if rest.count >= 2, rest.first == UInt8(ascii: "'"), rest.last == UInt8(ascii: "'") {
            token = Array(rest.dropFirst().dropLast())
        }
    }

    /// Whether jansson was inside a string when the input ended.
    var isInString: Bool { message.hasPrefix("premature end of input") }
}

/// The input around an error, and the wording of the messages that need to look at it.
private struct ErrorContext {
    let input: UnsafeRawBufferPointer
    /// The offset just after the token jansson stopped at.
    let end: Int
    let report: JanssonReport

    /// The offset where the offending token starts.
    func tokenStart() -> Int {
        if let token = report.token { return max(end - token.count, 0) }
        if report.atEndOfFile { return end }
        guard end > 0 else { return 0 }
        if report.isInString { return openingQuote(before: end) ?? end }
        if input[end - 1] == UInt8(ascii: "\"") { return openingQuote(before: end - 1) ?? end }
        // A long number or bare word: back up over its characters.
        var start = end
        while start > 0, JSONErrorPhrases.isWordByte(input[start - 1]) { start -= 1 }
        return start
    }

    /// The token's text from `start` up to `end`, shortened for messages.
    func tokenText(from start: Int) -> String {
        let text = String(decoding: input[min(start, end)..<end], as: UTF8.self)
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }

    /// What was found at `location`, for "found …": `'x'`, a bare word, or the end. The file may be anything (a
    /// password file given as a cost map), so only a short excerpt of the word is quoted, escaped
    /// (``JSONErrorPhrases/excerpt(_:)``).
    func found(at location: Int) -> String {
        guard location < input.count else { return "the end of the input" }
        let word = word(at: location)
        if !word.isEmpty && word.utf8.count >= (report.token?.count ?? 0) { return JSONErrorPhrases.excerpt(word) }
        if let token = report.token { return JSONErrorPhrases.excerpt(String(decoding: token, as: UTF8.self)) }
        return JSONErrorPhrases.excerpt(tokenText(from: location))
    }

    func truncated() -> (String, String?) {
        switch report.message {
        case let message where message.hasPrefix("premature end of input"):
            return (
                "invalid JSON: the input ends inside this string",
                "Add the closing '\"', or check whether the file was cut short."
            )
        case "']' expected":
            return JSONErrorPhrases.truncated(inside: .array)
        case "'}' expected", "':' expected", "string or '}' expected":
            return JSONErrorPhrases.truncated(inside: .object)
        default:
            return ("invalid JSON: the input ends where a value should follow", "Check whether the file was cut short.")
        }
    }

    func syntax(at location: Int) -> (String, String?) {
        let found = found(at: location)
        let token = report.token.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let message = report.message
        switch message {
        case "']' expected":
            let hint: String? =
                startsValue(at: location)
                ? JSONErrorPhrases.missingCommaHint(in: .array)
                : token == "}" ? "Close the array with ']' first." : commonHint(token, at: location)
            return (JSONErrorPhrases.expected(.arraySeparator, found: found), hint)
        case "'}' expected":
            let hint: String? =
                startsValue(at: location)
                ? JSONErrorPhrases.missingCommaHint(in: .object)
                : token == "]" ? "Close the object with '}' first." : commonHint(token, at: location)
            return (JSONErrorPhrases.expected(.objectSeparator, found: found), hint)
        case "':' expected":
            return (JSONErrorPhrases.expected(.colon, found: found), JSONErrorPhrases.colonHint)
        case "string or '}' expected":
            let hint =
                commonHint(token, at: location)
                ?? (token.utf8.first.map(isLetter) == true ? JSONErrorPhrases.quoteKeyHint : nil)
            return (JSONErrorPhrases.expected(.key, found: found), hint)
        case "unexpected token":
            return ("invalid JSON: expected a value, found \(found)", commonHint(token, at: location))
        case "invalid token":
            return ("invalid JSON: unexpected \(found)", commonHint(token, at: location) ?? valueHint(at: location))
        case let m where m.hasPrefix("invalid escape"):
            let escape = token.lastIndex(of: "\\").map { String(token[$0...]) } ?? token
            return (
                "invalid JSON: invalid escape '\(escape)' in a string",
                #"Use one of the escapes \" \\ \/ \b \f \n \r \t \uXXXX (write a backslash as \\)."#
            )
        case let m where m.hasPrefix("control character"):
            let byte = end > 0 && end < input.count ? input[end] : 0
            return (
                "invalid JSON: unescaped control character U+00\(hex(byte)) in a string",
                "Write it as the escape \(escape(of: byte))."
            )
        case let m where m.hasPrefix("invalid Unicode"):
            let escape = m.split(separator: "'").dropFirst().first.map(String.init) ?? ""
            return (
                "invalid JSON: unpaired surrogate '\(escape)' in a string",
                #"Write a character beyond U+FFFF as a pair of escapes, such as \ud83e\uddea."#
            )
        default:
            return (
                "invalid JSON: \(message)"
                    + (report.token.map { " near '\(String(decoding: $0, as: UTF8.self))'" } ?? ""), nil
            )
        }
    }

    /// Where a syntax error inside a string really is: at the control character or at the
    /// backslash of the bad escape, rather than at the start of the string.
    func syntaxLocation(from tokenStart: Int) -> Int {
        if report.message.hasPrefix("control character") { return end }
        if report.message.hasPrefix("invalid escape"), let token = report.token,
            let backslash = token.lastIndex(of: UInt8(ascii: "\\"))
        {
            return tokenStart + backslash
        }
        return tokenStart
    }

    /// Hints for mistakes that show in the token alone.
    private func commonHint(_ token: String, at location: Int) -> String? {
        if token.hasPrefix("'") { return JSONErrorPhrases.doubleQuotesHint }
        if token.hasPrefix("/") || token.hasPrefix("#") { return JSONErrorPhrases.commentHint }
        if token == "]" || token == "}", previousNonWhitespace(before: location) == UInt8(ascii: ",") {
            return JSONErrorPhrases.trailingCommaHint(before: token)
        }
        return nil
    }

    /// Hints for a bare word or malformed number where a value was due.
    private func valueHint(at location: Int) -> String? {
        let word = word(at: location).lowercased()
        let unsigned = word.drop { $0 == "-" || $0 == "+" }
        if unsigned.hasPrefix("nan") || unsigned.hasPrefix("inf") {
            return "Write null or a string instead: NaN and infinities are not JSON numbers."
        }
        if ["true", "false", "null", "none", "nil"].contains(word) {
            return "Write true, false or null, in lower case."
        }
        if ["true", "false", "null"].contains(where: { $0.hasPrefix(word) }) {
            return "Write true, false or null in full."
        }
        guard let first = word.utf8.first else { return nil }
        if isLetter(first) { return "Put strings in double quotes." }
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") || isDigit(first) {
            return "Write numbers without a leading '+', '.' or 0 and without a trailing '.', for example 0.5, 1.0, 10."
        }
        return nil
    }

    /// Whether a value starts at `offset` (so a missing comma is the likely mistake).
    private func startsValue(at offset: Int) -> Bool {
        guard offset < input.count else { return false }
        let byte = input[offset]
        return byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{")
            || byte == UInt8(ascii: "-") || isDigit(byte)
            || ["true", "false", "null"].contains(word(at: offset))
    }

    /// The run of letters, digits and `+-._` starting at `offset` (at most 40 bytes).
    private func word(at offset: Int) -> String {
        var stop = offset
        while stop < input.count, stop - offset < 40, JSONErrorPhrases.isWordByte(input[stop]) { stop += 1 }
        return String(decoding: input[min(offset, stop)..<stop], as: UTF8.self)
    }

    private func previousNonWhitespace(before offset: Int) -> UInt8? {
        var index = min(offset, input.count)
        while index > 0 {
            index -= 1
            if !JanssonLoader.isJSONWhitespace(input[index]) { return input[index] }
        }
        return nil
    }

    /// The offset of the unescaped `"` that opens the string whose content ends before `offset`.
    private func openingQuote(before offset: Int) -> Int? {
        var index = offset
        while index > 0 {
            index -= 1
            guard input[index] == UInt8(ascii: "\"") else { continue }
            var backslashes = 0
            while index - backslashes > 0, input[index - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes.isMultiple(of: 2) { return index }
        }
        return nil
    }

    private func escape(of control: UInt8) -> String {
        switch control {
        case 0x08: #"\b"#
        case 0x09: #"\t"#
        case 0x0A: #"\n"#
        case 0x0C: #"\f"#
        case 0x0D: #"\r"#
        default: #"\u00"# + hex(control)
        }
    }
}

private func isLetter(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
}

private func isDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
}
