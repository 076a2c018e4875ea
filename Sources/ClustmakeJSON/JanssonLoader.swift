internal import CJansson

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs jansson's parser over a byte buffer with this module's rules, and turns its failures into
/// ``JSONError``s.
///
/// The rules: any value may be at the top level (`JSON_DECODE_ANY`); a key twice in one object is
/// an error (`JSON_REJECT_DUPLICATES`); `\u0000` is allowed inside strings (`JSON_ALLOW_NUL`,
/// since Swift strings may hold NUL and every string this module reads is length-delimited) but
/// not inside keys (jansson cannot store it there); a leading UTF-8 byte order mark is skipped, as
/// RFC 8259 permits.
enum JanssonLoader {
    static let decodingFlags = cjansson_decode_any() | cjansson_reject_duplicates() | cjansson_allow_nul()

    /// Parses `input` and returns the root as a **new reference** that the caller must release
    /// with `json_decref`.
    ///
    /// - Throws: ``JSONError`` if `input` is not a single valid JSON value.
    static func load(_ input: UnsafeRawBufferPointer, source: String?) throws(JSONError)
        -> UnsafeMutablePointer<json_t>
    {
        let textStart = try prepare(input, source: source)
        let body = UnsafeRawBufferPointer(rebasing: input[textStart...])
        var error = json_error_t()
        let root = json_loadb(
            body.baseAddress?.assumingMemoryBound(to: CChar.self), body.count, decodingFlags, &error)
        guard let root else {
            throw JSONError(jansson: error, input: input, bodyStart: textStart, textStart: textStart, source: source)
        }
        return root
    }

    /// Checks the whole input before parsing it in pieces with ``loadPrefix(_:at:textStart:source:)``.
    ///
    /// - Returns: Where the text starts: 3 after a byte order mark, else 0.
    static func prepare(_ input: UnsafeRawBufferPointer, source: String?) throws(JSONError) -> Int {
        let textStart = hasByteOrderMark(input) ? 3 : 0
        try checkBeforeParsing(input, bodyStart: textStart, source: source)
        return textStart
    }

    /// Parses the one value that starts at `offset` (after optional whitespace), ignoring what
    /// follows it.
    ///
    /// - Returns: The value as a **new reference** the caller must release, and the offset just
    ///   after it.
    static func loadPrefix(_ input: UnsafeRawBufferPointer, at offset: Int, textStart: Int, source: String?)
        throws(JSONError) -> (UnsafeMutablePointer<json_t>, end: Int)
    {
        let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
        var error = json_error_t()
        let value = json_loadb(
            rest.baseAddress?.assumingMemoryBound(to: CChar.self), rest.count,
            decodingFlags | cjansson_disable_eof_check(), &error)
        guard let value else {
            throw JSONError(jansson: error, input: input, bodyStart: offset, textStart: textStart, source: source)
        }
        // On success jansson still reports how far it read: exactly to the end of the value.
        return (value, offset + Int(error.position))
    }

    /// Calls `body` with the bytes of `bytes` in contiguous memory, copying only when the
    /// collection does not store them contiguously.
    static func withContiguousBytes<R>(
        _ bytes: some Collection<UInt8>,
        _ body: (UnsafeRawBufferPointer) throws(JSONError) -> R
    ) throws(JSONError) -> R {
        let result: Result<R, JSONError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONError) in try body(UnsafeRawBufferPointer(buffer)) }
        }
        if let result { return try result.get() }
        return try Array(bytes).withUnsafeBytes { buffer in
            Result { () throws(JSONError) in try body(buffer) }
        }.get()
    }

    private static func hasByteOrderMark(_ input: UnsafeRawBufferPointer) -> Bool {
        input.count >= 3 && input[0] == 0xEF && input[1] == 0xBB && input[2] == 0xBF
    }

    /// Catches what jansson reports poorly: empty input, UTF-16 text, and NUL bytes (which
    /// jansson takes for the end of the input, so it would call the input truncated, or worse,
    /// silently ignore what follows a complete value).
    private static func checkBeforeParsing(_ input: UnsafeRawBufferPointer, bodyStart: Int, source: String?)
        throws(JSONError)
    {
        if looksLikeUTF16(input) {
            throw JSONError(
                code: .invalidUTF8, message: "the input is UTF-16 or UTF-32 text, not UTF-8",
                hint: "Save the file as UTF-8.", source: source)
        }
        guard let first = input[bodyStart...].firstIndex(where: { !isJSONWhitespace($0) }) else {
            throw JSONError(
                code: .emptyInput,
                message: input.isEmpty
                    ? "empty input: expected a JSON value" : "the input holds only whitespace, not a JSON value",
                hint: "Write {} or [] for an empty document.", source: source)
        }
        if let nul = memchr(input.baseAddress! + first, 0, input.count - first) {
            let offset = UnsafeRawPointer(nul) - input.baseAddress!
            let (line, column) = TextLocation.lineAndColumn(of: offset, in: input, textStart: bodyStart)
            throw JSONError(
                code: .syntax, message: "invalid JSON: unexpected NUL byte (0x00)",
                hint: "Remove it: JSON text has no NUL bytes. Is this a binary file?",
                source: source, line: line, column: column, position: offset)
        }
    }

    /// A UTF-16 byte order mark, or ASCII text spread over 16-bit units (a zero byte in every
    /// other position) in the first four bytes.
    private static func looksLikeUTF16(_ input: UnsafeRawBufferPointer) -> Bool {
        guard input.count >= 2 else { return false }
        if (input[0] == 0xFF && input[1] == 0xFE) || (input[0] == 0xFE && input[1] == 0xFF) { return true }
        guard input.count >= 4 else { return false }
        return (input[0] == 0 && input[2] == 0) || (input[1] == 0 && input[3] == 0)
    }

    static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
