public import ClustmakeModel

/// The five time fields of a crontab entry, `MIN HOUR DOM MON DOW`, checked as crontab(5) defines them, so that
/// `crontab` never refuses a plan's entry and the entry never runs at a time the user did not mean.
///
/// Each field is `*` or a comma-separated list of values and ranges (`1,15`, `8-18`), each optionally with a step
/// (`*/5`, `8-18/2`). Values are numbers within the field's range (minute 0-59, hour 0-23, day of month 1-31,
/// month 1-12, day of week 0-7 with 0 and 7 both Sunday); month and day of week also take three-letter English
/// names (`jan`, `mon`, any case), which crontab(5) allows only alone, not in ranges or lists.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The five fields as given.
    public let fields: [String]

    /// The fields separated by single spaces, as written into the crontab.
    public var description: String { fields.joined(separator: " ") }

    /// One field of the five: its name for messages, its range, and its names.
    struct Field: Sendable {
        let name: String
        let range: ClosedRange<Int>
        let names: [String]
    }

    static let layout: [Field] = [
        Field(name: "minute", range: 0...59, names: []),
        Field(name: "hour", range: 0...23, names: []),
        Field(name: "day of month", range: 1...31, names: []),
        Field(
            name: "month", range: 1...12,
            names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
        Field(name: "day of week", range: 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
    ]

    /// Checks `text`.
    /// - Parameters:
    ///   - text: Five fields separated by spaces or tabs (`"*/10 8-18 * * mon"`).
    ///   - subject: What the messages name as the source (`--schedule`).
    /// - Throws: ``InputError`` (``InputError/Code/invalidValue``) naming the field, what is wrong and how to fix it.
    public init(parsing text: String, subject: String = "--schedule") throws(InputError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == Self.layout.count else {
            throw InputError(
                .invalidValue,
                "the schedule '\(text)' has \(Format.count(fields.count, "field")); a crontab schedule "
                    + "has five: minute, hour, day of month, month, day of week.",
                fix: "Give five fields, e.g. --schedule \"30 2 * * *\" for every day at 02:30.", subject: subject)
        }
        for (field, layout) in zip(fields, Self.layout) {
            if let problem = Self.problem(with: field, layout) {
                throw InputError(
                    .invalidValue, "the \(layout.name) field '\(field)' of the schedule '\(text)' \(problem).",
                    fix: "Write \(layout.name) as *, a value \(layout.range.lowerBound)-\(layout.range.upperBound)"
                        + (layout.names.isEmpty ? "" : " or a name (\(layout.names[0]))")
                        + ", a range (a-b), a list (a,b) or a step (*/n, a-b/n), as in crontab(5).",
                    subject: subject)
            }
        }
        self.fields = fields
    }

    /// What is wrong with one field, or `nil`.
    static func problem(with field: String, _ layout: Field) -> String? {
        if layout.names.contains(field.lowercased()) { return nil }
        for item in field.split(separator: ",", omittingEmptySubsequences: false) {
            if let problem = problem(withItem: item, layout) { return problem }
        }
        return nil
    }

    private static func problem(withItem item: Substring, _ layout: Field) -> String? {
        guard !item.isEmpty else { return "has an empty list item" }
        let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let base = parts[0]
        var span = layout.range
        if base != "*" {
            let bounds = base.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            var values: [Int] = []
            for bound in bounds {
                if layout.names.contains(bound.lowercased()) {
                    return "uses the name '\(bound)' in a range or list, which crontab does not allow"
                }
                guard let value = number(bound) else { return "has '\(bound)', which is not a number" }
                guard layout.range.contains(value) else {
                    return "has \(value), outside \(layout.range.lowerBound)-\(layout.range.upperBound)"
                }
                values.append(value)
            }
            if values.count == 2 {
                guard values[0] <= values[1] else { return "has the range \(base), which runs backwards" }
            } else if parts.count == 2 {
                return "steps from a single value (\(item)); crontab steps only * or a range"
            }
            span = values[0]...values[values.count - 1]
        }
        if parts.count == 2 {
            guard let step = number(parts[1]), step >= 1 else {
                return "has the step '\(parts[1])', which must be a whole number of 1 or more"
            }
            guard step <= span.count else {
                return "has the step \(step), larger than the \(span.count) values it steps through"
            }
        }
        return nil
    }

    /// A number made of ASCII digits only (no sign, no spaces), or `nil`.
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 4, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
