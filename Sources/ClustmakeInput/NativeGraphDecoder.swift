import ClustmakeModel

/// Decodes clustmake's own job-graph format (docs/job-graph.md) from JSON or YAML.
struct NativeGraphDecoder<Node: DocumentNode> {
    let file: String

    static var topLevelKeys: [String] { ["namespace", "jobs"] }
    static var jobKeys: [String] { jobKeyList }

    func decode(_ root: Node) throws(InputError) -> (namespace: String?, jobs: [Job]) {
        let (namespace, list) = try decodeTop(root)
        let elements = list.elements
        var jobs = [Job]()
        jobs.reserveCapacity(elements.count)
        for (position, element) in elements.enumerated() {
            jobs.append(try decodeJob(element, position: position))
        }
        return (namespace, jobs)
    }

    /// Checks the top level of a graph document and returns its namespace and its list of jobs.
    func decodeTop(_ root: Node) throws(InputError) -> (namespace: String?, jobs: Node) {
        let top = try ObjectReader(
            root, file: file, subject: nil, what: "a job graph", known: Self.topLevelKeys)
        let namespace = try top.nonEmptyString("namespace", example: "\"namespace\": \"my-project\"")
        let list = try top.required("jobs", example: "\"jobs\": [{\"id\": \"a\", \"command\": \"echo hi\"}]")
        guard list.kind == .array else {
            throw top.error(
                .wrongType, "'jobs' must be a list of jobs, not \(list.kind.phrase).",
                fix: "Write \"jobs\": [{\"id\": \"a\", \"command\": \"echo hi\"}, …].", at: list)
        }
        return (namespace, list)
    }

    func decodeJob(_ node: Node, position: Int) throws(InputError) -> Job {
        // Name the job by its id when it has a usable one, else by its position.
        let id = node.kind == .object ? node.member("id")?.string : nil
        let reader = try ObjectReader(
            node, file: file, naming: .job(id: id, position: position), what: "a job", known: Self.jobKeys)
        guard let id = try reader.string("id", example: "\"id\": \"a\"") else {
            throw reader.error(.missingKey, "the job has no 'id'.", fix: "Add \"id\": \"a-unique-name\".")
        }
        let command = try decodeCommand(reader)
        var job = Job(id: id, command: command)
        if let deps = try reader.strings("deps", example: "\"deps\": [\"a\", \"b\"]") { job.deps = deps }
        if let cost = try reader.number("cost", in: Job.Limits.cost, unit: " of seconds") { job.cost = cost }
        job.cwd = try reader.nonEmptyString("cwd", example: "\"cwd\": \"/data/run1\"")
        job.env = try decodeEnvironment(reader)
        job.nice = try reader.integer("nice", in: Job.Limits.nice)
        job.cores = try reader.integer("cores", in: Job.Limits.cores) ?? 1
        job.memory = try decodeMemory(reader)
        job.retries = try reader.integer("retries", in: Job.Limits.retries) ?? 0
        job.timeout = try decodeTimeout(reader)
        job.tags = try reader.strings("tags", example: "\"tags\": [\"align\"]") ?? []
        return job
    }

    private func decodeCommand(_ reader: ObjectReader<Node>) throws(InputError) -> Job.Command {
        let example = "\"command\": \"echo hi\" or \"command\": [\"echo\", \"hi\"]"
        let value = try reader.required("command", example: example)
        switch value.kind {
        case .array:
            guard let words = try reader.strings("command", example: example, kind: .text), !words.isEmpty else {
                throw reader.error(.invalidValue, "'command' is an empty list.", fix: "Write \(example).", at: value)
            }
            if words[0].isEmpty {
                throw reader.error(
                    .invalidValue, "the program name (the first word of 'command') is empty.", fix: "Write \(example).",
                    at: value)
            }
            return .argv(words)
        case .object, .null:
            throw reader.error(
                .wrongType, "'command' must be a string or a list of strings, not \(value.kind.phrase).",
                fix: "Write \(example).", at: value)
        default:
            guard let line = value.string else {
                throw reader.error(
                    .wrongType, "'command' must be a string or a list of strings, not \(value.kind.phrase).",
                    fix: "Write \(example).", at: value)
            }
            guard !line.allSatisfy(\.isWhitespace) else {
                throw reader.error(.invalidValue, "'command' is empty.", fix: "Write \(example).", at: value)
            }
            try reader.checkText(line, "command", kind: .text, at: value)
            return .shell(line)
        }
    }

    private func decodeEnvironment(_ reader: ObjectReader<Node>) throws(InputError) -> [Job.EnvironmentVariable] {
        guard let value = reader.node.member("env"), value.kind != .null else { return [] }
        guard value.kind == .object else {
            throw reader.error(
                .wrongType, "'env' must be an object of NAME: value pairs, not \(value.kind.phrase).",
                fix: "Write \"env\": {\"OMP_NUM_THREADS\": \"4\"}.", at: value)
        }
        var variables = [Job.EnvironmentVariable]()
        for name in value.keys {
            guard isEnvironmentName(name) else {
                throw reader.error(
                    .invalidValue, "'\(Format.escaped(name, limit: 60))' is not a valid environment variable name.",
                    fix: "Use letters, digits and _, not starting with a digit.", at: value)
            }
            let entry = value.member(name)!
            guard entry.kind == .string || entry.kind == .number || entry.kind == .bool,
                let text = entry.string ?? entry.double.map(format)
            else {
                throw reader.error(
                    .wrongType, "env '\(name)' must be a string, not \(entry.kind.phrase).",
                    fix: "Write \"\(name)\": \"value\".", at: entry)
            }
            try reader.checkText(text, "env '\(name)'", kind: .text, at: entry)
            variables.append(Job.EnvironmentVariable(name: name, value: text))
        }
        return variables.sorted { $0.name < $1.name }
    }

    private func decodeMemory(_ reader: ObjectReader<Node>) throws(InputError) -> UInt64? {
        guard let value = reader.node.member("memory"), value.kind != .null else { return nil }
        guard value.kind == .string, let text = value.string, let bytes = Quantity.bytes(text) else {
            throw reader.error(
                .invalidValue,
                "'memory' must be a size with a unit, not "
                    + "\(value.string.map { "'\(Format.escaped($0, limit: 40))'" } ?? value.kind.phrase).",
                fix: "Write \"memory\": \"2G\" or \"512M\".", at: value)
        }
        guard Job.Limits.memory.contains(bytes) else {
            throw reader.error(
                .invalidValue, "'memory' is \(Format.bytes(bytes)), more than 1 PiB.",
                fix: "Write the memory the job needs, for example \"memory\": \"2G\".", at: value)
        }
        return bytes
    }

    private func decodeTimeout(_ reader: ObjectReader<Node>) throws(InputError) -> Double? {
        guard let value = reader.node.member("timeout"), value.kind != .null else { return nil }
        let seconds = value.kind == .number ? value.double : value.string.flatMap(Quantity.seconds)
        guard let seconds, seconds > 0, seconds <= Job.Limits.maximumTimeout else {
            throw reader.error(
                .invalidValue,
                "'timeout' must be a positive number of seconds or a duration like \"2h30m\", at most 366 days "
                    + "(\(Int(Job.Limits.maximumTimeout)) s).",
                fix: "Write \"timeout\": 3600 or \"timeout\": \"1h\".", at: value)
        }
        return seconds
    }
}

/// The keys a job may have (a global: generic types cannot have stored static properties).
let jobKeyList = [
    "id", "command", "deps", "cost", "cwd", "env", "nice", "cores", "memory", "retries", "timeout", "tags",
]

func isEnvironmentName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
    return name.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
    }
}
