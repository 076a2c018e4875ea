/// Line and column arithmetic over UTF-8 text, for error messages.
enum TextLocation {
    /// The 1-based line and column of the byte at `offset` (or of the end, if `offset` is the
    /// length). Columns count characters: every byte that does not continue a UTF-8 sequence.
    /// Bytes before `textStart` (a byte order mark) do not count.
    static func lineAndColumn(of offset: Int, in input: UnsafeRawBufferPointer, textStart: Int) -> (Int, Int) {
        let end = min(max(offset, textStart), input.count)
        var line = 1
        var lineStart = textStart
        for index in textStart..<end where input[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        var column = 1
        for index in lineStart..<end where input[index] & 0xC0 != 0x80 {
            column += 1
        }
        return (line, column)
    }
}
