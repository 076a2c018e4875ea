/// Byte counts as people write them (``ClustmakeModel/Format/bytes(_:)`` writes them).
public enum ByteCount {
    /// Reads `500M`, `1G`, `2.5GiB`, `10k`, `1024` (bytes): a number and an optional binary unit K, M, G, T or P
    /// (powers of 1024), with or without `i`, `B` or `iB`, in any case.
    /// - Returns: The number of bytes, or `nil` for anything else or a negative number.
    public static func parse(_ text: String) -> Int64? {
        var body = Substring(text.trimmingCharacters(in: " ").lowercased())
        if body.hasSuffix("b") { body = body.dropLast() }
        if body.hasSuffix("i") { body = body.dropLast() }
        var multiplier = 1.0
        if let unit = body.last, let power = ["k", "m", "g", "t", "p"].firstIndex(of: unit) {
            multiplier = (0...power).reduce(1.0) { value, _ in value * 1024 }
            body = body.dropLast()
        }
        guard let value = Double(body.trimmingCharacters(in: " ")), value >= 0, value.isFinite,
            value * multiplier < 9e18
        else { return nil }
        return Int64((value * multiplier).rounded())
    }
}

extension StringProtocol {
    /// The text without leading and trailing `character`s.
    func trimmingCharacters(in character: Character) -> String {
        var slice = self[...]
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}
