/// A JSON value held entirely in Swift memory.
///
/// `JSONValue` is a plain value type: parse it with `parse(_:source:)`,
/// build it with literals, inspect it with the accessors below, and write it with
/// ``serialized(pretty:sortKeys:)`` or a ``JSONWriter``.
///
/// ```swift
/// let job: JSONValue = ["id": "j1", "deps": ["j0"], "cost": 1.5, "retries": 3, "note": nil]
/// job["deps"]?[0]?.stringValue   // "j0"
/// ```
///
/// Integers and reals stay apart, as in the JSON text: `1` parses as `.int(1)` and `1.0` as
/// `.double(1.0)`, and they are not equal. ``doubleValue`` reads both.
///
/// For documents too large to copy into Swift values (hundreds of megabytes), read them through
/// ``JSONDocument`` and ``JSONNode`` instead.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A real number. A non-finite value (NaN, ±infinity) has no JSON form and is written as `null`.
    case double(Double)
    case string(String)
    case array([JSONValue])
    /// An object whose members keep their order; see ``JSONObject``.
    case object(JSONObject)
}

extension JSONValue {
    /// The kind of this value.
    public var kind: JSONKind {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string: .string
        case .array: .array
        case .object: .object
        }
    }

    /// Whether this value is `null`.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The string, or `nil` if this value is not a string.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The number as a `Double`, for integers and reals alike; `nil` for other kinds.
    ///
    /// Integers beyond ±2⁵³ are rounded to the nearest `Double`.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The integer, or `nil` if this value is not an integer (reals such as `2.0` give `nil` too).
    public var intValue: Int64? {
        if case .int(let value) = self { value } else { nil }
    }

    /// The boolean, or `nil` if this value is not `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The elements, or `nil` if this value is not an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The members, or `nil` if this value is not an object.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { value } else { nil }
    }

    /// The member named `key`, or `nil` if this value is not an object or has no such member.
    ///
    /// A member whose value is `null` gives `.null`, not `nil`.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { object[key] } else { nil }
    }

    /// The element at `index`, or `nil` if this value is not an array or `index` is out of bounds.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }
}

extension JSONValue: CustomStringConvertible {
    /// The value as compact JSON text, as ``serialized(pretty:sortKeys:)`` writes it.
    public var description: String { serialized() }
}
