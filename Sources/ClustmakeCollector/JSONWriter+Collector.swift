import ClustmakeJSON
import ClustmakeModel

extension JSONWriter {
    /// A member whose value is a string.
    mutating func member(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    /// A member whose value is a string or `null`.
    mutating func member(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    /// A member whose value is an integer.
    mutating func member(_ name: String, _ value: Int) {
        key(name)
        int(value)
    }

    /// A member whose value is an integer or `null`.
    mutating func member(_ name: String, _ value: Int?) {
        key(name)
        if let value { int(value) } else { null() }
    }

    /// A member whose value is a byte count or `null`.
    mutating func member(_ name: String, _ value: UInt64?) {
        key(name)
        if let value { int(Int64(clamping: value)) } else { null() }
    }

    /// A member whose value is a number rounded to microseconds (as the store records durations), or `null`.
    mutating func member(_ name: String, seconds value: Double?) {
        key(name)
        if let value, value.isFinite { double((value * 1_000_000).rounded() / 1_000_000) } else { null() }
    }

    /// A member whose value is a ratio rounded to 4 decimals, or `null`.
    mutating func member(_ name: String, ratio value: Double?) {
        key(name)
        if let value, value.isFinite { double((value * 10_000).rounded() / 10_000) } else { null() }
    }

    /// A member whose value is an instant (seconds since 1970) as ISO 8601 UTC with milliseconds, or `null`.
    mutating func member(_ name: String, time value: Double?) {
        key(name)
        if let value { string(Format.iso8601(value)) } else { null() }
    }

    /// A member whose value is `true` or `false`.
    mutating func member(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// A member whose value is an object of counts by name, in the given order, zeros included.
    mutating func member(_ name: String, counts: [(String, Int)]) {
        key(name)
        beginObject()
        for (label, count) in counts { member(label, count) }
        endObject()
    }
}

extension JSONWriter {
    /// A member whose value is an array of one object per element of `elements`, each written by `body` between
    /// its braces.
    mutating func member<Elements: Sequence>(
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
}

extension JSONWriter {
    /// A member whose value is an array of strings.
    mutating func member(_ name: String, strings elements: some Sequence<String>) {
        key(name)
        beginArray()
        for element in elements { string(element) }
        endArray()
    }

    /// A member whose value is an array of integers.
    mutating func member(_ name: String, ints elements: some Sequence<Int>) {
        key(name)
        beginArray()
        for element in elements { int(element) }
        endArray()
    }

    /// A member whose value is an array of reals.
    mutating func member(_ name: String, doubles elements: some Sequence<Double>) {
        key(name)
        beginArray()
        for element in elements { double(element) }
        endArray()
    }
}
