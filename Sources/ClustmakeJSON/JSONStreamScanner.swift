internal import CJansson

/// The structure around a streamed array (`{`, keys, `:`, `,`, `[`, `]`, `}`), scanned by hand;
/// every value inside it is parsed by jansson.
struct JSONStreamScanner {
    private let input: UnsafeRawBufferPointer
    private let source: String?
    /// Where the text starts (after a byte order mark), for line counting.
    private let textStart: Int
    /// The next byte to read.
    private var offset: Int
    /// When set, the streamed array's elements are not parsed: where each one is is recorded here instead
    /// (``skipElement()``), for parsing later, several at once
    /// (``JSONStream/read(_:source:streamingArray:threads:transform:)``); `nil` again when an element's end was not
    /// found.
    var spans: [Range<Int>]?

    /// Checks the input as a whole (empty, UTF-16, NUL bytes) before anything is read.
    init(input: UnsafeRawBufferPointer, source: String?) throws(JSONError) {
        self.input = input
        self.source = source
        textStart = try JanssonLoader.prepare(input, source: source)
        offset = textStart
    }

    /// Reads the document, calling `element` for each element of the streamed array until it
    /// returns `false`.
    ///
    /// - Returns: The document with the streamed array empty; `.null` if `element` stopped early.
    mutating func readDocument(streaming key: String?, element: (JSONNode) -> Bool) throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value: JSONValue
        switch (key, peek()) {
        case (nil, UInt8(ascii: "[")):
            guard try streamArray(element) else { return .null }
            value = .array([])
        case (let key?, UInt8(ascii: "{")):
            guard let object = try readObject(streaming: key, element) else { return .null }
            value = .object(object)
        default:
            // Not the shape to stream: parse it whole, so the caller sees what it is.
            value = try readValue()
        }
        skipWhitespace()
        if offset < input.count {
            let (message, hint) = JSONErrorPhrases.trailingContent(found: found())
            throw error(.trailingContent, message, hint: hint)
        }
        return value
    }

    /// Reads the top-level object at `offset`, streaming the array of member `key`.
    ///
    /// - Returns: The members, or `nil` if `element` stopped early.
    private mutating func readObject(streaming key: String, _ element: (JSONNode) -> Bool) throws(JSONError)
        -> JSONObject?
    {
        offset += 1  // {
        var object = JSONObject()
        var streamed = false
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            offset += 1
            return object
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else {
                throw unexpected(.key, inside: .object)
            }
            let keyStart = offset
            let name = try readValue().stringValue ?? ""
            if object.index(forKey: name) != nil {
                let keyText = String(decoding: input[keyStart..<offset], as: UTF8.self)
                let (message, hint) = JSONErrorPhrases.duplicateKey(keyText)
                throw error(.duplicateKey, message, at: keyStart, hint: hint)
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                throw unexpected(.colon, inside: .object, hint: JSONErrorPhrases.colonHint)
            }
            offset += 1
            skipWhitespace()
            if !streamed && peek() == UInt8(ascii: "[") && JSONObject.ByteKey.bytesEqual(name, key) {
                streamed = true
                guard try streamArray(element) else { return nil }
                object.appendNew(key: name, value: .array([]))
            } else {
                object.appendNew(key: name, value: try readValue())
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                offset += 1
            case UInt8(ascii: "}"):
                offset += 1
                return object
            default:
                throw unexpected(.objectSeparator, inside: .object)
            }
        }
    }

    /// Reads the array at `offset`, handing each element to `element`.
    ///
    /// - Returns: `false` if `element` stopped early.
    private mutating func streamArray(_ element: (JSONNode) -> Bool) throws(JSONError) -> Bool {
        offset += 1  // [
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            offset += 1
            return true
        }
        while true {
            if spans != nil {
                guard let span = skipElement() else {
                    spans = nil
                    return false
                }
                spans?.append(span)
            } else {
                let (value, end) = try JanssonLoader.loadPrefix(input, at: offset, textStart: textStart, source: source)
                offset = end
                // The document takes over the reference and frees the element with its last node.
                guard element(JSONDocument(adopting: value).root) else { return false }
            }
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","):
                offset += 1
            case UInt8(ascii: "]"):
                offset += 1
                return true
            default:
                throw unexpected(.arraySeparator, inside: .array)
            }
        }
    }

    /// Steps over the element at ``offset`` without parsing it, following only strings (and their escapes) and
    /// brackets, and returns where it was; `nil` where the text ends first. The span is checked when the element is
    /// parsed (jansson must end it exactly there), so text that is not JSON is never taken for an element.
    private mutating func skipElement() -> Range<Int>? {
        let start = offset
        var depth = 0
        while offset < input.count {
            switch input[offset] {
            case UInt8(ascii: "\""):
                offset += 1
                while offset < input.count, input[offset] != UInt8(ascii: "\"") {
                    offset += input[offset] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard offset < input.count else { return nil }
                offset += 1
                if depth == 0 { return start..<offset }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                offset += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { return start..<offset }
                depth -= 1
                offset += 1
                if depth == 0 { return start..<offset }
            case UInt8(ascii: ","):
                guard depth > 0 else { return start..<offset }
                offset += 1
            case let byte:
                if depth == 0 && JanssonLoader.isJSONWhitespace(byte) { return start..<offset }
                offset += 1
            }
        }
        return depth == 0 && offset > start ? start..<offset : nil
    }

    /// What parses the elements recorded in ``spans``, on any thread.
    var elementParser: ElementParser { ElementParser(input: input, source: source, textStart: textStart) }

    /// Parses the value at `offset` with jansson and moves past it.
    private mutating func readValue() throws(JSONError) -> JSONValue {
        let (value, end) = try JanssonLoader.loadPrefix(input, at: offset, textStart: textStart, source: source)
        defer { json_decref(value) }
        offset = end
        return JSONValue(copying: value)
    }

    private func peek() -> UInt8? {
        offset < input.count ? input[offset] : nil
    }

    private mutating func skipWhitespace() {
        while offset < input.count, JanssonLoader.isJSONWhitespace(input[offset]) { offset += 1 }
    }

    /// The token at `offset` for messages: a bare word, or one character.
    private func found() -> String {
        guard offset < input.count else { return "the end of the input" }
        var end = offset
        while end < input.count, end - offset < 40, JSONErrorPhrases.isWordByte(input[end]) { end += 1 }
        if end == offset {
            // One UTF-8 character.
            end += 1
            while end < input.count, input[end] & 0xC0 == 0x80 { end += 1 }
        }
        return JSONErrorPhrases.quoted(String(decoding: input[offset..<end], as: UTF8.self))
    }

    /// The error for a wrong token here, or for the end of the input inside a `container`.
    private func unexpected(
        _ expectation: JSONErrorPhrases.Expectation, inside container: JSONErrorPhrases.Container, hint: String? = nil
    ) -> JSONError {
        if offset >= input.count {
            let (message, hint) = JSONErrorPhrases.truncated(inside: container)
            return error(.truncated, message, hint: hint)
        }
        if input[offset] == UInt8(ascii: "\"") {
            // jansson reads a whole token before it checks the grammar, so a broken string here
            // (unterminated, bad UTF-8) is reported as such; do the same.
            do {
                let (value, _) = try JanssonLoader.loadPrefix(input, at: offset, textStart: textStart, source: source)
                json_decref(value)
            } catch {
                return error
            }
        }
        var bytes = input[offset...].makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        guard case .valid = parser.parseScalar(from: &bytes) else {
            let (message, hint) = JSONErrorPhrases.invalidUTF8(byte: input[offset])
            return error(.invalidUTF8, message, hint: hint)
        }
        return error(
            .syntax, JSONErrorPhrases.expected(expectation, found: found()), hint: hint ?? self.hint(container))
    }

    /// The fix for a wrong structural token at `offset`, worded as for errors found by jansson.
    private func hint(_ container: JSONErrorPhrases.Container) -> String? {
        let byte = input[offset]
        var before = offset
        while before > 0, JanssonLoader.isJSONWhitespace(input[before - 1]) { before -= 1 }
        if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}"), before > 0, input[before - 1] == UInt8(ascii: ",") {
            return JSONErrorPhrases.trailingCommaHint(before: String(Character(Unicode.Scalar(byte))))
        }
        if byte == UInt8(ascii: "'") { return JSONErrorPhrases.doubleQuotesHint }
        if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "#") { return JSONErrorPhrases.commentHint }
        if before > 0, input[before - 1] == UInt8(ascii: "{") || input[before - 1] == UInt8(ascii: ","),
            JSONErrorPhrases.isWordByte(byte)
        {
            return JSONErrorPhrases.quoteKeyHint
        }
        let startsValue =
            byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{")
            || byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        if startsValue, before > 0, input[before - 1] != UInt8(ascii: ":") {
            return JSONErrorPhrases.missingCommaHint(in: container)
        }
        return nil
    }

    private func error(_ code: JSONError.Code, _ message: String, at location: Int? = nil, hint: String? = nil)
        -> JSONError
    {
        let location = location ?? offset
        let (line, column) = TextLocation.lineAndColumn(of: location, in: input, textStart: textStart)
        return JSONError(
            code: code, message: message, hint: hint, source: source, line: line, column: column, position: location)
    }
}

/// Parses elements of a streamed array whose places a ``JSONStreamScanner`` recorded (its `spans`).
///
/// `@unchecked Sendable`: it only reads `input`, which the caller keeps alive and unchanged until every thread using
/// it has ended (``JSONStream/read(_:source:streamingArray:threads:transform:)`` parses within the scope of the
/// buffer and waits for its threads), and jansson parses separate documents on separate threads safely.
struct ElementParser: @unchecked Sendable {
    let input: UnsafeRawBufferPointer
    let source: String?
    let textStart: Int

    /// Parses the element at `span`; `nil` when jansson does not end it exactly there.
    func element(at span: Range<Int>) throws(JSONError) -> JSONNode? {
        let (value, end) = try JanssonLoader.loadPrefix(
            input, at: span.lowerBound, textStart: textStart, source: source)
        let node = JSONDocument(adopting: value).root
        return end == span.upperBound ? node : nil
    }
}
