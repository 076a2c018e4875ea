internal import CJansson

/// A parsed JSON document kept in jansson's memory, read through ``JSONNode`` views.
///
/// Use it for documents too large to copy into ``JSONValue``s (a job graph of a million jobs):
/// parsing builds jansson's tree once, and nodes are read in place, copying out only the strings
/// and numbers asked for.
///
/// ```swift
/// let document = try JSONDocument(contentsOfFile: "jobs.json")
/// for job in document.root["jobs"]?.elements ?? .empty {
///     let id = job["id"]?.string
///     let deps = job["deps"]?.elements.compactMap(\.string) ?? []
/// }
/// ```
///
/// Parsing follows the same rules, and throws the same errors, as
/// `JSONValue.parse(_:source:)`.
///
/// The document owns the tree and frees it when the document and every node taken from it are
/// gone (each node holds its document).
// @unchecked Sendable: the only stored state is the root of a jansson tree that is never mutated
// after parsing, and jansson documents read-only access to a shared tree from several threads as
// safe (doc/threadsafety.rst; reference counts are atomic since JANSSON_THREAD_SAFE_REFCOUNT is 1
// in 2.14). The root is released once, in deinit, when no node can reach it any more.
public final class JSONDocument: @unchecked Sendable {
    /// The root value: an owned reference, released in deinit.
    let rootPointer: UnsafeMutablePointer<json_t>

    /// Parses a document from UTF-8 bytes.
    ///
    /// - Parameters:
    ///   - bytes: The JSON text.
    ///   - source: A label for error messages, usually the file name.
    /// - Throws: ``JSONError`` saying what is wrong and where.
    public init(bytes: some Collection<UInt8>, source: String? = nil) throws(JSONError) {
        rootPointer = try JanssonLoader.withContiguousBytes(bytes) { (buffer) throws(JSONError) in
            try JanssonLoader.load(buffer, source: source)
        }
    }

    /// Parses a document from a string.
    ///
    /// - Parameters:
    ///   - text: The JSON text.
    ///   - source: A label for error messages, usually the file name.
    /// - Throws: ``JSONError`` saying what is wrong and where.
    public convenience init(string text: String, source: String? = nil) throws(JSONError) {
        try self.init(bytes: text.utf8, source: source)
    }

    /// Reads and parses a JSON file.
    ///
    /// The file is read into memory whole, parsed, and the bytes released before this returns.
    ///
    /// - Parameter path: The file's path; error messages name the file by it.
    /// - Throws: ``JSONError`` with code ``JSONError/Code/io`` if the file cannot be read, or a
    ///   parse error.
    public convenience init(contentsOfFile path: String) throws(JSONError) {
        try self.init(bytes: JSONError.reading(path), source: path)
    }

    /// Takes ownership of `root`, a new reference (as returned by jansson's load functions).
    init(adopting root: UnsafeMutablePointer<json_t>) {
        rootPointer = root
    }

    deinit {
        json_decref(rootPointer)
    }

    /// The top-level value.
    public var root: JSONNode { JSONNode(document: self, pointer: rootPointer) }
}
