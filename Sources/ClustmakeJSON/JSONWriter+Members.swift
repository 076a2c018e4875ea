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

    /// A member whose value is an array of strings.
    public mutating func member(_ name: String, strings elements: some Sequence<String>) {
        key(name)
        beginArray()
        for element in elements { string(element) }
        endArray()
    }

    /// A member whose value is an array of integers.
    public mutating func member(_ name: String, ints elements: some Sequence<Int>) {
        key(name)
        beginArray()
        for element in elements { int(element) }
        endArray()
    }

    /// A member whose value is an array of reals.
    public mutating func member(_ name: String, doubles elements: some Sequence<Double>) {
        key(name)
        beginArray()
        for element in elements { double(element) }
        endArray()
    }
}
