import ClustmakeModel

/// Reads the fields of one object of an input document, with messages that say where and how to fix.
struct ObjectReader<Node: DocumentNode> {
    let node: Node
    let file: String
    /// What messages name the object by, made only for a message (a graph of a million jobs reads without one).
    private let naming: Naming

    /// How the object is named in messages.
    enum Naming {
        /// "host 'n1'", … or nil at the top level.
        case subject(String?)
        /// A job: "job 'ID'" by its id, escaped, when it has one, else "job #POSITION" (counted from 1).
        case job(id: String?, position: Int)
    }

    /// "job 'a'", "host 'n1'", … or nil at the top level.
    var subject: String? {
        switch naming {
        case .subject(let text): text
        case .job(let id, let position): id.map { "job '\(Format.escaped($0, limit: 60))'" } ?? "job #\(position + 1)"
        }
    }

    /// Checks that `node` is an object whose keys are all in `known`.
    /// - Parameter what: What the object is, for messages ("a job", "the cluster file").
    init(_ node: Node, file: String, subject: String?, what: String, known: [String]) throws(InputError) {
        try self.init(node, file: file, naming: .subject(subject), what: what, known: known)
    }

    /// Checks that `node` is an object whose keys are all in `known`.
    /// - Parameter what: What the object is, for messages ("a job", "the cluster file").
    init(_ node: Node, file: String, naming: Naming, what: String, known: [String]) throws(InputError) {
        self.node = node
        self.file = file
        self.naming = naming
        guard node.kind == .object else {
            throw error(
                .wrongType, "\(what) must be an object, not \(node.kind.phrase).",
                fix: "Write \(what) as an object of key: value pairs (see docs/job-graph.md and docs/cluster.md).",
                at: node)
        }
        for key in node.keys where !known.contains(key) {
            let hint = nearest(key, in: known).map { "Did you mean '\($0)'? " } ?? ""
            let location = node.keyLocation(key) ?? node.location
            throw InputError(
                .unknownKey, "unknown key '\(key)'.", fix: hint + "Known keys are: \(known.joined(separator: ", ")).",
                file: file, line: location?.line, column: location?.column, subject: subject)
        }
    }

    func error(_ code: InputError.Code, _ message: String, fix: String? = nil, at place: Node? = nil) -> InputError {
        let location = (place ?? node).location
        return InputError(
            code, message, fix: fix, file: file, line: location?.line, column: location?.column, subject: subject)
    }

    func required(_ key: String, example: String) throws(InputError) -> Node {
        guard let value = node.member(key), value.kind != .null else {
            throw error(.missingKey, "the key '\(key)' is missing.", fix: "Add it, for example \(example).")
        }
        return value
    }

    /// The string at `key`, refused when it holds a control character that `kind` does not allow
    /// (``FieldText``).
    func string(_ key: String, example: String, kind: FieldText.Kind = .line) throws(InputError) -> String? {
        guard let value = node.member(key), value.kind != .null else { return nil }
        guard let text = value.string else {
            throw error(
                .wrongType, "'\(key)' must be a string, not \(value.kind.phrase).", fix: "Write it as \(example).",
                at: value)
        }
        try checkText(text, key, kind: kind, at: value)
        return text
    }

    /// Refuses `text`, the value of `key`, when it holds a control character that `kind` does not allow.
    func checkText(_ text: String, _ key: String, kind: FieldText.Kind, at place: Node) throws(InputError) {
        if let problem = FieldText.problem(with: text, kind) {
            throw error(
                .invalidValue, "'\(key)' \(problem): '\(Format.escaped(text, limit: 60))'.",
                fix: kind == .line
                    ? "Remove the control characters; this value reaches a path, a command line or a script."
                    : "Remove the control characters (tab and newline are allowed).",
                at: place)
        }
    }

    func nonEmptyString(_ key: String, example: String) throws(InputError) -> String? {
        guard let text = try string(key, example: example) else { return nil }
        if text.isEmpty {
            throw error(.invalidValue, "'\(key)' is empty.", fix: "Write it as \(example).", at: node.member(key))
        }
        return text
    }

    func number(_ key: String, in range: ClosedRange<Double>, unit: String = "") throws(InputError) -> Double? {
        guard let value = node.member(key), value.kind != .null else { return nil }
        guard let number = value.double else {
            throw error(
                .wrongType, "'\(key)' must be a number, not \(value.kind.phrase).",
                fix: "Write it as a plain number\(unit), for example \(key): \(format(range.lowerBound + 1)).",
                at: value)
        }
        guard number.isFinite, range.contains(number) else {
            throw error(
                .invalidValue,
                "'\(key)' is \(format(number)), outside \(format(range.lowerBound))…\(format(range.upperBound)).",
                fix: "Use a value in that range.", at: value)
        }
        return number
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(InputError) -> Int? {
        guard let value = node.member(key), value.kind != .null else { return nil }
        guard let number = value.integer else {
            throw error(
                .wrongType,
                "'\(key)' must be a whole number, not \(value.double.map { format($0) } ?? value.kind.phrase).",
                fix: "Write a whole number from \(range.lowerBound) to \(range.upperBound).", at: value)
        }
        guard range.contains(number) else {
            throw error(
                .invalidValue, "'\(key)' is \(number), outside \(range.lowerBound)…\(range.upperBound).",
                fix: "Use a whole number from \(range.lowerBound) to \(range.upperBound).", at: value)
        }
        return number
    }

    func bool(_ key: String) throws(InputError) -> Bool? {
        guard let value = node.member(key), value.kind != .null else { return nil }
        guard let flag = value.bool else {
            throw error(
                .wrongType, "'\(key)' must be true or false, not \(value.kind.phrase).", fix: "Write \(key): true.",
                at: value)
        }
        return flag
    }

    func strings(_ key: String, example: String, kind: FieldText.Kind = .line) throws(InputError) -> [String]? {
        guard let value = node.member(key), value.kind != .null else { return nil }
        guard value.kind == .array else {
            throw error(
                .wrongType, "'\(key)' must be a list of strings, not \(value.kind.phrase).",
                fix: "Write it as \(example).", at: value)
        }
        var result = [String]()
        result.reserveCapacity(4)
        for element in value.elements {
            guard let text = element.string else {
                throw error(
                    .wrongType, "'\(key)' must hold only strings, but one entry is \(element.kind.phrase).",
                    fix: "Write it as \(example).", at: element)
            }
            try checkText(text, key, kind: kind, at: element)
            result.append(text)
        }
        return result
    }
}

/// A number as people write it: `3` rather than `3.0`.
func format(_ number: Double) -> String {
    if number.isFinite, number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
    return String(number)
}
