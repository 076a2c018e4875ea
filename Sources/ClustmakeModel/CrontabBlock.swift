/// A block of lines in a crontab between two marker comments, `# BEGIN LABEL` and `# END LABEL`: how clustmake
/// (and its tests) keep their entries in a user's crontab without touching anyone else's.
///
/// Editing is pure text in, text out; every line outside the block is kept byte for byte. A crontab whose markers
/// of this label are unbalanced (a begin without its end, an end without a begin, one block inside another) or
/// that holds the block twice is refused: something edited it by hand, and guessing which lines belong to the
/// block could delete someone's entry.
public struct CrontabBlock: Sendable, Hashable {
    /// The line that opens the block.
    public let begin: String
    /// The line that closes the block.
    public let end: String

    /// - Parameter label: What follows `# BEGIN ` and `# END ` (`clustmake NS`); no line break.
    public init(label: String) {
        begin = "# BEGIN " + label
        end = "# END " + label
    }

    /// Why a crontab's block cannot be edited.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// The 1-based line of the marker that is out of place.
        public var line: Int
        /// What is wrong with it, as a phrase.
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The lines between the markers, or `nil` when the crontab has no such block.
    /// - Throws: ``Problem`` for unbalanced or duplicated markers.
    public func lines(in crontab: String) throws(Problem) -> [String]? {
        try split(crontab).block
    }

    /// The crontab with the block's lines (markers included) removed; unchanged when it has no block.
    /// - Throws: ``Problem`` for unbalanced or duplicated markers.
    public func removing(from crontab: String) throws(Problem) -> String {
        let parts = try split(crontab)
        guard parts.block != nil else { return crontab }
        return parts.before.joined(separator: "\n") + (parts.before.isEmpty ? "" : "\n")
            + parts.after.joined(separator: "\n")
    }

    /// The crontab with the block holding `lines`: in place of the old block, or appended at the end.
    /// - Throws: ``Problem`` for unbalanced or duplicated markers.
    public func replacing(in crontab: String, with lines: [String]) throws(Problem) -> String {
        let parts = try split(crontab)
        let block = [begin] + lines + [end]
        guard parts.block != nil else {
            let kept = crontab.isEmpty || crontab.hasSuffix("\n") ? crontab : crontab + "\n"
            return kept + block.joined(separator: "\n") + "\n"
        }
        return (parts.before + block + parts.after).joined(separator: "\n")
    }

    /// The lines before the block, the block's own lines (`nil` when there is none) and the lines after it
    /// (`after` ends with an empty string when the text ends with a newline).
    private func split(_ crontab: String) throws(Problem) -> (before: [String], block: [String]?, after: [String]) {
        var before: [String] = []
        var block: [String]?
        var after: [String] = []
        var opened: Int?
        for (index, line) in crontab.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = String(line)
            if text == begin {
                if let opened {
                    throw Problem(line: index + 1, message: "'\(begin)' inside the block opened on line \(opened)")
                }
                guard block == nil else {
                    throw Problem(line: index + 1, message: "a second block '\(begin)' (the crontab holds it twice)")
                }
                opened = index + 1
                block = []
            } else if text == end {
                guard opened != nil else {
                    throw Problem(line: index + 1, message: "'\(end)' without '\(begin)' before it")
                }
                opened = nil
            } else if opened != nil {
                block?.append(text)
            } else if block == nil {
                before.append(text)
            } else {
                after.append(text)
            }
        }
        if let opened { throw Problem(line: opened, message: "'\(begin)' without '\(end)' after it") }
        return (before, block, after)
    }
}
