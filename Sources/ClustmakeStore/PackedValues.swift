/// Values packed into one redis string, the form of an attempt's summary and of a job's definition copy
/// (docs/redis-schema.md, "Attempt summaries" and "Definition copies"): `1|`, then for each value `~` when it is
/// absent, or its length in bytes, `:` and its bytes. Readers of many records read one string a record instead of a
/// hash's fields.
///
/// Read in place: a value is a span of the bytes, decoded when asked for (a number without building a string).
struct PackedValues {
    let bytes: [UInt8]
    /// Where each value starts in `bytes` and how long it is, two entries per value; a start of -1 for one that is
    /// absent.
    private let spans: [Int32]

    /// The `count` values packed in `bytes`; `nil` when they are not exactly `count` values of this form.
    init?(_ bytes: [UInt8], count: Int) {
        guard bytes.count >= 2, bytes.count < Int(Int32.max), bytes[0] == UInt8(ascii: "1"),
            bytes[1] == UInt8(ascii: "|")
        else { return nil }
        var spans: [Int32] = []
        spans.reserveCapacity(2 * count)
        var position = 2
        while spans.count < 2 * count {
            guard position < bytes.count else { return nil }
            if bytes[position] == UInt8(ascii: "~") {
                spans.append(-1)
                spans.append(0)
                position += 1
                continue
            }
            var length = 0
            var digits = 0
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                guard digits < 9 else { return nil }
                length = length * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                digits += 1
                position += 1
            }
            guard digits > 0, position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
            position += 1
            guard length <= bytes.count - position else { return nil }
            spans.append(Int32(position))
            spans.append(Int32(length))
            position += length
        }
        guard position == bytes.count else { return nil }
        self.bytes = bytes
        self.spans = spans
    }

    /// The bytes of value `index`; `nil` when it is absent.
    func value(_ index: Int) -> ArraySlice<UInt8>? {
        let start = Int(spans[2 * index])
        guard start >= 0 else { return nil }
        return bytes[start..<(start + Int(spans[2 * index + 1]))]
    }

    /// Value `index` as UTF-8 text; `nil` when it is absent.
    func string(_ index: Int) -> String? { value(index).map { String(decoding: $0, as: UTF8.self) } }

    /// `values` packed in this form.
    static func pack(_ values: [String?]) -> [UInt8] {
        var packed: [UInt8] = [UInt8(ascii: "1"), UInt8(ascii: "|")]
        packed.reserveCapacity(values.reduce(2) { $0 + 8 + ($1?.utf8.count ?? 0) })
        for value in values {
            guard let value else {
                packed.append(UInt8(ascii: "~"))
                continue
            }
            packed.append(contentsOf: String(value.utf8.count).utf8)
            packed.append(UInt8(ascii: ":"))
            packed.append(contentsOf: value.utf8)
        }
        return packed
    }
}
