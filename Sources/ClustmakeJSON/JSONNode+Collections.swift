internal import CJansson

extension JSONNode {
    /// The elements of an array, in order; empty for other kinds.
    public var elements: Elements { Elements(array: cjansson_is_array(pointer) ? self : nil) }

    /// The members of an object, in document order; empty for other kinds.
    public var members: Members { Members(object: cjansson_is_object(pointer) ? self : nil) }

    /// The keys of an object, in document order; empty for other kinds.
    public var keys: [String] { members.map(\.key) }

    /// The elements of an array node, as a random-access collection of nodes.
    public struct Elements: RandomAccessCollection, Sendable {
        private let array: JSONNode?
        public let endIndex: Int

        init(array: JSONNode?) {
            self.array = array
            endIndex = array.map { json_array_size($0.pointer) } ?? 0
        }

        /// A collection with no elements, for `node["list"]?.elements ?? .empty`.
        public static var empty: Elements { Elements(array: nil) }

        public var startIndex: Int { 0 }

        public subscript(position: Int) -> JSONNode {
            precondition(position >= 0 && position < endIndex, "JSONNode.Elements index out of range")
            // In range, so `array` is set and json_array_get returns non-NULL.
            let array = array.unsafelyUnwrapped
            return JSONNode(
                document: array.document, pointer: json_array_get(array.pointer, position).unsafelyUnwrapped)
        }
    }

    /// The members of an object node, as `(key, value)` pairs in document order.
    public struct Members: Sequence, Sendable {
        private let object: JSONNode?

        init(object: JSONNode?) { self.object = object }

        /// The number of members.
        public var count: Int { object.map { json_object_size($0.pointer) } ?? 0 }

        public var underestimatedCount: Int { count }

        public func makeIterator() -> Iterator { Iterator(object: object) }

        /// Walks jansson's member list (which keeps insertion order).
        public struct Iterator: IteratorProtocol {
            private let object: JSONNode?
            private var position: UnsafeMutableRawPointer?

            init(object: JSONNode?) {
                self.object = object
                position = object.flatMap { json_object_iter($0.pointer) }
            }

            public mutating func next() -> (key: String, value: JSONNode)? {
                guard let object, let current = position else { return nil }
                position = json_object_iter_next(object.pointer, current)
                let key = JanssonText.string(json_object_iter_key(current), count: json_object_iter_key_len(current))
                return (key, JSONNode(document: object.document, pointer: json_object_iter_value(current)))
            }
        }
    }
}
