extension JSONWriter {
    /// A member whose value is a string, or `null` for `nil`.
    public mutating func member(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    /// A member whose value is an integer.
    public mutating func member(_ name: String, _ value: Int) {
        key(name)
        int(value)
    }

    /// A member whose value is an integer or `null`.
    public mutating func member(_ name: String, _ value: Int?) {
        key(name)
        if let value { int(value) } else { null() }
    }

    /// A member whose value is a byte count or `null`.
    public mutating func member(_ name: String, _ value: UInt64?) {
        key(name)
        if let value { int(Int64(clamping: value)) } else { null() }
    }

    /// A member whose value is a real in its shortest round-trip form (`null` if it is not finite).
    public mutating func member(_ name: String, _ value: Double) {
        key(name)
        double(value)
    }

    /// A member whose value is `true` or `false`.
    public mutating func member(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// A member whose value is an array of one object per element of `elements`, each written by `body` between
    /// its braces.
    public mutating func member<Elements: Sequence>(
        _ name: String, objects elements: Elements, _ body: (inout JSONWriter, Elements.Element) -> Void
    ) {
        key(name)
        beginArray()
        for element in elements {
            beginObject()
            body(&self, element)
            endObject()
        }
        endArray()
    }

    /// A member whose value is an array of strings, integers or reals.
    ///
    /// Inlinable, so that each caller's sequence is iterated without a generic call per element: the report's
    /// columns of a million attempts each (a `lazy.map` of one field) were most of its time spent writing JSON.
    @inlinable
    public mutating func member(_ name: String, array elements: some Sequence<some JSONScalar>) {
        key(name)
        beginArray()
        for element in elements { element.write(to: &self) }
        endArray()
    }
}

/// A value ``JSONWriter/member(_:array:)`` writes as an array element: a string, an integer or a real.
public protocol JSONScalar {
    /// Writes the value.
    func write(to writer: inout JSONWriter)
}

extension String: JSONScalar {
    public func write(to writer: inout JSONWriter) { writer.string(self) }
}

extension Int: JSONScalar {
    public func write(to writer: inout JSONWriter) { writer.int(self) }
}

extension Double: JSONScalar {
    public func write(to writer: inout JSONWriter) { writer.double(self) }
}
