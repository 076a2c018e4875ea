/// Reads a large JSON document one array element at a time, for inputs whose bulk is one long
/// array (a job graph of a million jobs) and that need not be held in memory whole.
///
/// Parsed whole, by ``JSONDocument``, an 80 MB job list becomes a jansson tree of over 1 GB
/// (some 17 small allocations per job). Read by `JSONStream`, only one element is in jansson's
/// memory at a time: each is parsed into its own small document, handed to the caller, and freed
/// unless the caller keeps its node.
///
/// ```swift
/// var jobs: [Job] = []
/// let rest = try JSONStream.read(contentsOfFile: "jobs.json", streamingArray: "jobs") { job in
///     jobs.append(try Job(job))
/// }
/// let namespace = rest["namespace"]?.stringValue
/// ```
///
/// Parsing follows the rules of `JSONValue.parse(_:source:)` and gives the
/// same errors, located in the whole input.
public enum JSONStream {
    /// Parses `bytes`, handing each element of one array to `body` as soon as it is parsed.
    ///
    /// The array is the member `key` of the top-level object, or, if `key` is `nil`, the
    /// top-level array. Everything else is parsed into the returned value.
    ///
    /// - Parameters:
    ///   - bytes: The JSON text.
    ///   - source: A label for error messages, usually the file name.
    ///   - key: The member of the top-level object whose array to stream; `nil` to stream a
    ///     top-level array.
    ///   - body: Called with each element, in order. What it throws stops the reading and is
    ///     rethrown.
    /// - Returns: The document without the streamed elements: the streamed array appears in it as
    ///   `[]`. When the document has no such array (the top level is not an object, lacks `key`,
    ///   or its `key` is not an array), nothing is streamed and the whole document is returned,
    ///   so that checking the returned value finds what is missing.
    /// - Throws: ``JSONError`` if the text is not valid JSON (even after some elements were
    ///   handed to `body`), or what `body` throws.
    public static func read(
        _ bytes: some Collection<UInt8>, source: String? = nil, streamingArray key: String?,
        forEachElement body: (JSONNode) throws -> Void
    ) throws -> JSONValue {
        var bodyError: (any Error)?
        let value = try JanssonLoader.withContiguousBytes(bytes) { (input) throws(JSONError) in
            var scanner = try JSONStreamScanner(input: input, source: source)
            return try scanner.readDocument(streaming: key) { node in
                do {
                    try body(node)
                    return true
                } catch {
                    bodyError = error
                    return false
                }
            }
        }
        if let bodyError { throw bodyError }
        return value
    }

    /// Reads and parses a JSON file, handing each element of one array to `body` as soon as it
    /// is parsed; see ``read(_:source:streamingArray:forEachElement:)``.
    ///
    /// The file is read into memory whole (as bytes, which are far smaller than the tree).
    ///
    /// - Parameters:
    ///   - path: The file's path; error messages name the file by it.
    ///   - key: The member of the top-level object whose array to stream; `nil` to stream a
    ///     top-level array.
    ///   - body: Called with each element, in order.
    /// - Returns: The document without the streamed elements.
    /// - Throws: ``JSONError`` if the file cannot be read or is not valid JSON, or what `body`
    ///   throws.
    public static func read(
        contentsOfFile path: String, streamingArray key: String?, forEachElement body: (JSONNode) throws -> Void
    ) throws -> JSONValue {
        try read(JSONError.reading(path), source: path, streamingArray: key, forEachElement: body)
    }
}
