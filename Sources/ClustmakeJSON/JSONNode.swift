internal import CJansson

/// A value inside a ``JSONDocument``, read in place.
///
/// A node is a small view (a pointer and its document); making one copies nothing. The accessors
/// copy out just what they return. A node keeps its document alive, so it stays valid as long as
/// it exists.
///
/// Accessors for the wrong kind give `nil` (or an empty collection), never a trap, so a loader
/// can check what it reads and report the problem in its own words:
///
/// ```swift
/// guard let id = job["id"]?.string else { throw … "job \(n): \"id\" must be a string" }
/// ```
// @unchecked Sendable: `pointer` is a borrowed pointer into the tree that `document` owns and
// keeps alive; that tree is immutable, and reading it from several threads is safe (see
// JSONDocument). A node offers no way to mutate it.
public struct JSONNode: @unchecked Sendable {
    /// The document that owns the tree; holding it keeps `pointer` valid.
    let document: JSONDocument
    /// A borrowed reference to this node's value (never released here).
    let pointer: UnsafeMutablePointer<json_t>

    init(document: JSONDocument, pointer: UnsafeMutablePointer<json_t>) {
        self.document = document
        self.pointer = pointer
    }

    /// The kind of this value.
    public var kind: JSONKind {
        switch cjansson_typeof(pointer) {
        case JSON_OBJECT: .object
        case JSON_ARRAY: .array
        case JSON_STRING: .string
        case JSON_INTEGER: .int
        case JSON_REAL: .double
        case JSON_TRUE, JSON_FALSE: .bool
        default: .null
        }
    }

    /// Whether this value is `null`.
    public var isNull: Bool { cjansson_is_null(pointer) }

    /// The string, or `nil` if this value is not a string.
    ///
    /// Made with a single copy from jansson's buffer (strings of up to 15 bytes are stored inline
    /// in the `String` and allocate nothing).
    public var string: String? {
        guard cjansson_is_string(pointer) else { return nil }
        return JanssonText.string(json_string_value(pointer), count: json_string_length(pointer))
    }

    /// The number as a `Double`, for integers and reals alike; `nil` for other kinds.
    public var double: Double? {
        switch cjansson_typeof(pointer) {
        case JSON_REAL: json_real_value(pointer)
        case JSON_INTEGER: Double(json_integer_value(pointer))
        default: nil
        }
    }

    /// The integer, or `nil` if this value is not an integer (reals such as `2.0` give `nil` too).
    public var int: Int64? {
        guard cjansson_is_integer(pointer) else { return nil }
        return Int64(json_integer_value(pointer))
    }

    /// The boolean, or `nil` if this value is not `true` or `false`.
    public var bool: Bool? {
        switch cjansson_typeof(pointer) {
        case JSON_TRUE: true
        case JSON_FALSE: false
        default: nil
        }
    }

    /// The number of elements of an array or members of an object; 0 for other kinds.
    public var count: Int {
        switch cjansson_typeof(pointer) {
        case JSON_ARRAY: json_array_size(pointer)
        case JSON_OBJECT: json_object_size(pointer)
        default: 0
        }
    }

    /// The member named `key` (compared byte for byte), or `nil` if this value is not an object
    /// or has no such member. A member whose value is `null` gives a node, not `nil`.
    public subscript(key: String) -> JSONNode? {
        guard cjansson_is_object(pointer) else { return nil }
        let child = JanssonText.withCString(key) { json_object_getn(pointer, $0, $1) }
        return child.map { JSONNode(document: document, pointer: $0) }
    }

    /// The element at `index`.
    ///
    /// - Precondition: This value is an array and `index` is in `0..<count`. Use ``elements``
    ///   or ``element(at:)`` where that is not known.
    public subscript(index: Int) -> JSONNode {
        guard let element = element(at: index) else {
            preconditionFailure("JSONNode index \(index) out of range: \(kind) with \(count) elements")
        }
        return element
    }

    /// The element at `index`, or `nil` if this value is not an array or `index` is out of bounds.
    public func element(at index: Int) -> JSONNode? {
        guard index >= 0, let child = json_array_get(pointer, index) else { return nil }
        return JSONNode(document: document, pointer: child)
    }

    /// A deep copy of this value as a ``JSONValue``.
    public var value: JSONValue { JSONValue(copying: pointer) }
}
