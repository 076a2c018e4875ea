/// The members of a JSON object: keys in insertion order, each mapped to a ``JSONValue``.
///
/// Lookup by key is O(1) (small objects are scanned, larger ones are indexed); iteration yields
/// `(key, value)` pairs in insertion order, which is also the order in which parsing found them
/// and the order in which serialization writes them.
///
/// Keys are compared **byte for byte** (their UTF-8), as jansson and the JSON text do, not by
/// Swift's Unicode canonical equivalence: `"é"` written precomposed and decomposed are two keys.
///
/// Equality ignores order, as JSON does: two objects are equal when they have the same keys with
/// equal values. Compare ``keys`` to compare orders.
public struct JSONObject: Sendable {
    /// Keys, in order.
    public private(set) var keys: [String]
    /// Values, in the order of ``keys``.
    public private(set) var values: [JSONValue]
    /// Positions by key; built only once the object is larger than ``indexThreshold``.
    private var positions: [ByteKey: Int]

    /// Objects with at most this many members are searched linearly (cheaper than hashing).
    private static var indexThreshold: Int { 8 }

    /// Creates an empty object.
    public init() {
        keys = []
        values = []
        positions = [:]
    }

    /// Creates an empty object with room for `capacity` members.
    public init(minimumCapacity capacity: Int) {
        self.init()
        reserveCapacity(capacity)
    }

    /// Creates an object with the given members, in order.
    ///
    /// - Precondition: The keys are distinct.
    public init(uniqueKeysWithValues members: some Sequence<(String, JSONValue)>) {
        self.init()
        for (key, value) in members {
            precondition(index(forKey: key) == nil, "duplicate key \"\(key)\" in a JSONObject")
            appendNew(key: key, value: value)
        }
    }

    /// Reserves room for `capacity` members.
    public mutating func reserveCapacity(_ capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        if capacity > Self.indexThreshold { positions.reserveCapacity(capacity) }
    }

    /// The value of the member `key`; `nil` if there is none.
    ///
    /// Setting a value replaces the member in place (it keeps its position) or appends a new
    /// member. Setting `nil` removes the member. To store JSON `null`, set `.null`.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let position = index(forKey: key) else { return nil }
            return values[position]
        }
        set {
            if let newValue {
                if let position = index(forKey: key) {
                    values[position] = newValue
                } else {
                    appendNew(key: key, value: newValue)
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// The position of the member `key` in iteration order, or `nil`.
    public func index(forKey key: String) -> Int? {
        if keys.count <= Self.indexThreshold {
            return keys.firstIndex { ByteKey.bytesEqual($0, key) }
        }
        return positions[ByteKey(key)]
    }

    /// Removes the member `key` and returns its value; O(n) because later members move up.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = index(forKey: key) else { return nil }
        keys.remove(at: position)
        let removed = values.remove(at: position)
        rebuildIndex()
        return removed
    }

    /// Appends a member whose key is known to be absent.
    mutating func appendNew(key: String, value: JSONValue) {
        keys.append(key)
        values.append(value)
        if keys.count > Self.indexThreshold {
            if positions.isEmpty {
                rebuildIndex()
            } else {
                positions[ByteKey(key)] = keys.count - 1
            }
        }
    }

    private mutating func rebuildIndex() {
        positions.removeAll(keepingCapacity: true)
        guard keys.count > Self.indexThreshold else { return }
        for (position, key) in keys.enumerated() {
            positions[ByteKey(key)] = position
        }
    }
}

extension JSONObject {
    /// A key that hashes and compares by its UTF-8 bytes.
    struct ByteKey: Hashable {
        let string: String

        init(_ string: String) { self.string = string }

        static func bytesEqual(_ lhs: String, _ rhs: String) -> Bool {
            lhs.utf8.count == rhs.utf8.count && lhs.utf8.elementsEqual(rhs.utf8)
        }

        static func == (lhs: ByteKey, rhs: ByteKey) -> Bool { bytesEqual(lhs.string, rhs.string) }

        func hash(into hasher: inout Hasher) {
            var string = string
            string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }
}

extension JSONObject: RandomAccessCollection {
    public typealias Element = (key: String, value: JSONValue)
    public typealias Index = Int
    public typealias Indices = Range<Int>

    public var startIndex: Int { 0 }
    public var endIndex: Int { keys.count }

    /// The member at `position` in insertion order.
    public subscript(position: Int) -> Element { (keys[position], values[position]) }
}

extension JSONObject: Hashable {
    /// Whether both objects have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, like Dictionary: combine each member's own hash commutatively.
        var combined = 0
        for (key, value) in self {
            var memberHasher = Hasher()
            memberHasher.combine(ByteKey(key))
            memberHasher.combine(value)
            combined ^= memberHasher.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public typealias Key = String
    public typealias Value = JSONValue

    /// Creates an object with the members in the order written.
    ///
    /// - Precondition: The keys are distinct.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(uniqueKeysWithValues: elements)
    }
}

extension JSONObject: CustomStringConvertible {
    /// The object as compact JSON text.
    public var description: String { JSONValue.object(self).serialized() }
}
