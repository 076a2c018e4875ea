import ClustmakeJSON

/// A node of a jansson document seen through ``DocumentNode``.
struct JSONInputNode: DocumentNode {
    let node: JSONNode

    var kind: NodeKind { NodeKind(node.kind) }

    var location: (line: Int, column: Int)? { nil }

    func keyLocation(_ key: String) -> (line: Int, column: Int)? { nil }

    func member(_ key: String) -> JSONInputNode? {
        node[key].map(JSONInputNode.init)
    }

    var keys: [String] {
        node.keys
    }

    var elements: [JSONInputNode] {
        node.elements.map(JSONInputNode.init)
    }

    var string: String? { node.string }
    var double: Double? { node.double }
    var integer: Int? { NodeKind.wholeNumber(integer: node.int, real: node.double) }
    var bool: Bool? { node.bool }
}
