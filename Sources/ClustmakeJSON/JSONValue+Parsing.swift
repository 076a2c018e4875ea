internal import CJansson

extension JSONValue {
    /// Parses one JSON value from UTF-8 bytes.
    ///
    /// Any kind of value may stand at the top level. The input must be valid UTF-8 (a leading
    /// byte order mark is skipped); a key twice in one object, an integer beyond 64 bits and a
    /// real beyond `Double` are errors, as are arrays and objects nested more than 2048 deep.
    /// `\u0000` is accepted inside strings but not inside keys.
    ///
    /// - Parameters:
    ///   - bytes: The JSON text.
    ///   - source: A label for error messages, usually the file name.
    /// - Throws: ``JSONError`` saying what is wrong and where.
    public static func parse(_ bytes: some Collection<UInt8>, source: String? = nil) throws(JSONError) -> JSONValue {
        try JanssonLoader.withContiguousBytes(bytes) { (buffer) throws(JSONError) in
            let root = try JanssonLoader.load(buffer, source: source)
            defer { json_decref(root) }
            return JSONValue(copying: root)
        }
    }

    /// Parses one JSON value from a string.
    ///
    /// - Parameters:
    ///   - text: The JSON text.
    ///   - source: A label for error messages, usually the file name.
    /// - Throws: ``JSONError`` saying what is wrong and where.
    public static func parse(_ text: String, source: String? = nil) throws(JSONError) -> JSONValue {
        try parse(text.utf8, source: source)
    }

    /// Reads and parses a JSON file.
    ///
    /// - Parameter path: The file's path; error messages name the file by it.
    /// - Throws: ``JSONError`` with code ``JSONError/Code/io`` if the file cannot be read, or as
    ///   `parse(_:source:)` does if it is not valid JSON.
    public static func parse(contentsOfFile path: String) throws(JSONError) -> JSONValue {
        try parse(JSONError.reading(path), source: path)
    }
}
