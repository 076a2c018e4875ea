/// The kind of a JSON value, as JSON distinguishes them (integers and reals apart, as jansson does).
public enum JSONKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case null
    case bool
    /// An integer number: digits without a fraction or exponent, such as `42` or `-7`.
    case int
    /// A real number: a number with a fraction or an exponent, such as `1.5`, `1.0` or `1e9`.
    case double
    case string
    case array
    case object

    /// The kind as a word for messages: "null", "a boolean", "an integer", "a number", …
    public var description: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
