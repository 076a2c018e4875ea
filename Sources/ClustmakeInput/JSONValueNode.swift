import ClustmakeJSON

/// A parsed JSON value seen through ``DocumentNode`` (the small part of a graph file around its streamed jobs,
/// and whole WfCommons instances).
struct JSONValueNode: DocumentNode {
    let value: JSONValue

    var kind: NodeKind { NodeKind(value.kind) }

    var location: (line: Int, column: Int)? { nil }
    func keyLocation(_ key: String) -> (line: Int, column: Int)? { nil }
    func member(_ key: String) -> JSONValueNode? { value[key].map(JSONValueNode.init) }
    var keys: [String] { value.objectValue?.keys ?? [] }
    var elements: [JSONValueNode] { value.arrayValue?.map(JSONValueNode.init) ?? [] }
    var string: String? { value.stringValue }
    var double: Double? { value.doubleValue }
    var integer: Int? { NodeKind.wholeNumber(integer: value.intValue, real: value.doubleValue) }
    var bool: Bool? { value.boolValue }
}
