import ClustmakeModel

/// A table for the terminal: a header row and aligned columns, two spaces apart, each line indented.
public struct TextTable: Sendable {
    /// How a column's cells line up.
    public enum Alignment: Sendable { case left, right }

    private var headers: [String]
    private var alignments: [Alignment]
    private var rows: [[String]] = []

    /// A table with these columns; a header ending in `>` is right-aligned (the `>` is not shown).
    public init(_ headers: [String]) {
        self.headers = headers.map { $0.hasSuffix(">") ? String($0.dropLast()) : $0 }
        self.alignments = headers.map { $0.hasSuffix(">") ? .right : .left }
    }

    /// Adds a row (cells made ``Format/printable(_:limit:)``).
    public mutating func append(_ cells: [String]) {
        rows.append(cells.map { Format.printable($0, limit: 120) })
    }

    /// Whether the table has no rows.
    public var isEmpty: Bool { rows.isEmpty }

    /// The table's lines, each indented by `indent` spaces and ending in a newline; trailing spaces trimmed.
    public func render(indent: Int = 2) -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        let margin = String(repeating: " ", count: indent)
        var text = ""
        for row in [headers] + rows {
            var line = margin
            for (column, cell) in row.enumerated() where column < widths.count {
                if column > 0 { line += "  " }
                let last = column == widths.count - 1
                switch alignments[column] {
                case .left: line += last ? cell : Format.padRight(cell, widths[column])
                case .right: line += Format.padLeft(cell, widths[column])
                }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}
