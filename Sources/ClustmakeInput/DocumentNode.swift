import ClustmakeJSON

/// The kinds of value a JSON or YAML document holds.
enum NodeKind: Sendable {
    case null, bool, number, string, array, object

    /// The kind of a JSON value (integers and reals are both numbers here).
    init(_ kind: JSONKind) {
        self =
            switch kind {
            case .null: .null
            case .bool: .bool
            case .int, .double: .number
            case .string: .string
            case .array: .array
            case .object: .object
            }
    }

    /// "a string", "an object", … for messages.
    var phrase: String {
        switch self {
        case .null: "null"
        case .bool: "true or false"
        case .number: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}

/// A node of a parsed input document, JSON or YAML, so that one decoder reads both formats.
///
/// YAML nodes know their line and column; JSON nodes do not (jansson keeps no positions), so errors about JSON
/// values name the job or host instead.
protocol DocumentNode {
    var kind: NodeKind { get }
    /// 1-based line and column, when the format keeps them.
    var location: (line: Int, column: Int)? { get }
    /// Where `key` itself is written in an object, when the format keeps positions.
    func keyLocation(_ key: String) -> (line: Int, column: Int)?
    /// The value of `key` in an object.
    func member(_ key: String) -> Self?
    /// Every key of an object, in document order.
    var keys: [String] { get }
    /// The elements of an array.
    var elements: [Self] { get }
    var string: String? { get }
    var double: Double? { get }
    var integer: Int? { get }
    var bool: Bool? { get }
}

extension NodeKind {
    /// A JSON integer as a whole number, or a JSON real that is one (`3.0`, `1e3`): both formats' nodes take
    /// numbers by this one rule.
    static func wholeNumber(integer: Int64?, real: Double?) -> Int? {
        if let integer { return Int(exactly: integer) }
        if let real, real == real.rounded(), abs(real) < 1e15 { return Int(real) }
        return nil
    }
}
