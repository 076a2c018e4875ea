/// Why JSON text could not be read, and where.
///
/// ``description`` reads like a compiler diagnostic, with a fix where one is clear from the
/// error alone:
///
/// ```
/// jobs.json:3:10: invalid JSON: expected ',' or '}' after an object member, found 'x'
/// jobs.json:2:9: invalid JSON: expected ',' or '}' after an object member, found '"b"'. Fix: Add a ','
///   between the members.
/// jobs.json:9:1: invalid JSON: the input ends inside an array. Fix: Check whether the file was cut short;
///   each '[' needs a ']'.
/// ```
///
/// Locations are 1-based; ``column`` counts characters (not bytes) from the start of the line and
/// points at the first character of the offending token, or just past the last character when
/// the input ends too early. ``position`` is the 0-based byte offset of the same place.
public struct JSONError: Error, Sendable, Hashable {
    /// What went wrong, for programs; see the static members.
    public var code: Code
    /// A short phrase saying what is wrong, without the location (lower case, no final period).
    public var message: String
    /// How to fix it, when that is clear from the error alone: one or two sentences.
    public var hint: String?
    /// The file name or other label the input came from, as given to the parser.
    public var source: String?
    /// The 1-based line of the error, when it has one.
    public var line: Int?
    /// The 1-based column (in characters) of the error, when it has one.
    public var column: Int?
    /// The 0-based byte offset of the error in the input, when it has one.
    public var position: Int?
    /// The underlying error as its producer worded it: jansson's text or the operating system's.
    public var underlying: String?

    /// Creates an error.
    public init(
        code: Code, message: String, hint: String? = nil, source: String? = nil,
        line: Int? = nil, column: Int? = nil, position: Int? = nil, underlying: String? = nil
    ) {
        self.code = code
        self.message = message
        self.hint = hint
        self.source = source
        self.line = line
        self.column = column
        self.position = position
        self.underlying = underlying
    }
}

extension JSONError {
    /// The kind of a ``JSONError``. New codes may be added; switch over them with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case emptyInput, syntax, truncated, trailingContent, invalidUTF8, duplicateKey
            case numberOutOfRange, nestingTooDeep, unsupportedKey, io, outOfMemory, unknown
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input is empty or only whitespace.
        public static var emptyInput: Code { Code(.emptyInput) }
        /// The input is not JSON: a wrong or misplaced token.
        public static var syntax: Code { Code(.syntax) }
        /// The input ends in the middle of a value.
        public static var truncated: Code { Code(.truncated) }
        /// Something follows the top-level value.
        public static var trailingContent: Code { Code(.trailingContent) }
        /// The input is not valid UTF-8 (for example Latin-1 or UTF-16 text).
        public static var invalidUTF8: Code { Code(.invalidUTF8) }
        /// An object has the same key twice.
        public static var duplicateKey: Code { Code(.duplicateKey) }
        /// An integer does not fit in 64 bits, or a real does not fit in a `Double`.
        public static var numberOutOfRange: Code { Code(.numberOutOfRange) }
        /// Arrays and objects are nested deeper than the parser allows (2048 levels).
        public static var nestingTooDeep: Code { Code(.nestingTooDeep) }
        /// An object key contains `\u0000`, which jansson cannot store.
        public static var unsupportedKey: Code { Code(.unsupportedKey) }
        /// The file could not be read.
        public static var io: Code { Code(.io) }
        /// Memory ran out while parsing.
        public static var outOfMemory: Code { Code(.outOfMemory) }
        /// jansson reported an error this module does not know.
        public static var unknown: Code { Code(.unknown) }

        /// The code's name, such as `syntax` or `duplicateKey`.
        public var description: String { base.rawValue }
    }
}

extension JSONError: CustomStringConvertible {
    /// `source:line:column: message. Fix: hint`, leaving out what is unknown.
    public var description: String {
        var text = ""
        switch (source, line, column) {
        case (let source?, let line?, let column?): text = "\(source):\(line):\(column): "
        case (let source?, let line?, nil): text = "\(source):\(line): "
        case (let source?, nil, _): text = "\(source): "
        case (nil, let line?, let column?): text = "line \(line), column \(column): "
        case (nil, let line?, nil): text = "line \(line): "
        case (nil, nil, _): break
        }
        text += message
        if let hint { text += ". Fix: \(hint)" }
        return text
    }
}
