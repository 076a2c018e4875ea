/// A problem with something the user gave clustmake: a job graph, a cluster file, a template, an option, an output
/// path.
///
/// Every input error names where the problem is (file, line and column when known, the job or host involved),
/// what is wrong and how to fix it. Commands print it as one message and exit with status 2, except for the code
/// ``Code/io`` (the system failed to read or write a file the input was fine for), which exits with status 1.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem, for programs and tests.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let syntax = Code("syntax")
        public static let encoding = Code("encoding")
        public static let unreadable = Code("unreadable")
        public static let wrongType = Code("wrong-type")
        public static let missingKey = Code("missing-key")
        public static let unknownKey = Code("unknown-key")
        public static let invalidValue = Code("invalid-value")
        public static let invalidID = Code("invalid-id")
        public static let duplicateID = Code("duplicate-id")
        public static let unknownDependency = Code("unknown-dependency")
        public static let cycle = Code("cycle")
        public static let emptyGraph = Code("empty-graph")
        public static let unknownFormat = Code("unknown-format")
        /// Reading or writing a file failed for a reason that is not the input's (a full disk, an I/O error).
        public static let io = Code("io")
    }

    public var code: Code
    /// The file involved, as the user named it.
    public var file: String?
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// The job (or host, for cluster files) the problem is about, as "job 'x'" or "host 'y'".
    public var subject: String?
    /// What is wrong, as a sentence.
    public var message: String
    /// How to fix it, as a sentence.
    public var fix: String?
    /// The underlying cause, when there is one: a system error (`Permission denied (errno 13)`) or a parser's own
    /// message.
    public var cause: String?

    public init(
        _ code: Code, _ message: String, fix: String? = nil, file: String? = nil, line: Int? = nil,
        column: Int? = nil, subject: String? = nil, cause: String? = nil
    ) {
        self.code = code
        self.cause = cause
        self.message = message
        self.fix = fix
        self.file = file
        self.line = line
        self.column = column
        self.subject = subject
    }

    /// The same error, placed in `file` unless it already names one.
    public func inFile(_ file: String) -> InputError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }

    public var description: String {
        var location = ""
        if let file {
            location = file
            if let line {
                location += ":\(line)"
                if let column { location += ":\(column)" }
            }
            location += ": "
        }
        var text = location
        if let subject { text += "\(subject): " }
        text += message
        if let cause { text += " (\(cause))" }
        if let fix { text += " Fix: " + fix }
        return text
    }
}
