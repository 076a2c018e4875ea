/// Why a plan's scripts or plan directory could not be written.
///
/// Every error names what it is about (the template file and line, the host, the directory), says what is wrong
/// and how to fix it, and carries the underlying cause (an `errno` description, a template parser message) when
/// there is one. No password or redis credential ever appears in one.
public struct ScriptError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem, for programs and tests.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A template file is not valid mustache.
        public static let templateSyntax = Code("template-syntax")
        /// A template file or directory could not be read.
        public static let templateUnreadable = Code("template-unreadable")
        /// A template leaves out something the scripts cannot do without (a slot's job lines).
        public static let templateIncomplete = Code("template-incomplete")
        /// A host setting or the namespace holds a character that cannot appear in a reviewed script line.
        public static let unsafeValue = Code("unsafe-value")
        /// A host nickname cannot name a script file, or two hosts share one.
        public static let invalidHostName = Code("invalid-host-name")
        /// The redis address cannot be written into a job line.
        public static let invalidRedis = Code("invalid-redis")
        /// A writer option is out of range.
        public static let invalidOption = Code("invalid-option")
        /// The plan is inconsistent (slots, sequences and placements disagree): a planner bug.
        public static let invalidPlan = Code("invalid-plan")
        /// The output path exists and is not a plan directory, so it is not replaced.
        public static let outputInUse = Code("output-in-use")
        /// Creating, writing, syncing or renaming a file failed.
        public static let io = Code("io")
    }

    public var code: Code
    /// What is wrong, as a sentence.
    public var message: String
    /// How to fix it, as a sentence.
    public var fix: String?
    /// The file involved, as the user named it.
    public var file: String?
    /// 1-based line in ``file``, when known.
    public var line: Int?
    /// 1-based column in ``file``, when known.
    public var column: Int?
    /// The host or job the problem is about, as "host 'x'" or "job 'y'".
    public var subject: String?
    /// The underlying cause: a system error (`Permission denied (errno 13)`) or a parser's own message.
    public var cause: String?

    public init(
        _ code: Code, _ message: String, fix: String? = nil, file: String? = nil, line: Int? = nil,
        column: Int? = nil, subject: String? = nil, cause: String? = nil
    ) {
        self.code = code
        self.message = message
        self.fix = fix
        self.file = file
        self.line = line
        self.column = column
        self.subject = subject
        self.cause = cause
    }

    /// `file:line:column: subject: message (cause) Fix: fix`, leaving out the parts that are unknown.
    public var description: String {
        var text = ""
        if let file {
            text = file
            if let line {
                text += ":\(line)"
                if let column { text += ":\(column)" }
            }
            text += ": "
        }
        if let subject { text += "\(subject): " }
        text += message
        if let cause { text += " (\(cause))" }
        if let fix { text += " Fix: " + fix }
        return text
    }
}
