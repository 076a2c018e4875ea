import ClustmakeJSON
import ClustmakeModel

/// The collector's members: durations, ratios and instants rounded as the store records them, and counts by name
/// (the plain ones are ClustmakeJSON's).
extension JSONWriter {
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

    /// A member whose value is an object of counts by name, in the given order, zeros included.
    mutating func member(_ name: String, counts: [(String, Int)]) {
        key(name)
        beginObject()
        for (label, count) in counts { member(label, count) }
        endObject()
    }
}
