import ClustmakeJSON
public import ClustmakeModel

/// Job definitions as the hashes `compmake:{NS}:job:ID` hold them, and back.
///
/// Plain text where redis-cli shows it readably (`shell`, `cwd`, numbers), JSON for lists and maps (`argv`,
/// `deps`, `dependents`, `env`, `tags`). Optional settings that are not set have no field.
enum JobCodec {
    /// The fields of a job's hash, in the order written.
    /// - Parameters:
    ///   - job: The job.
    ///   - index: Its position in the pushed graph.
    ///   - dependents: The ids of the jobs that depend on it directly.
    static func fields(of job: Job, index: Int, dependents: [String]) -> [(String, String)] {
        var fields: [(String, String)] = [("id", job.id), ("index", String(index))]
        switch job.command {
        case .shell(let line): fields.append(("shell", line))
        case .argv(let words): fields.append(("argv", json(words)))
        }
        fields.append(("deps", json(job.deps)))
        fields.append(("dependents", json(dependents)))
        if let cwd = job.cwd { fields.append(("cwd", cwd)) }
        // Written directly, not through a jansson tree: the same bytes (JSONWriterTests), a push of a million
        // jobs writes three or four of these per job.
        var env = JSONWriter()
        env.beginObject()
        for variable in job.env {
            env.key(variable.name)
            env.string(variable.value)
        }
        env.endObject()
        fields.append(("env", env.string))
        if let nice = job.nice { fields.append(("nice", String(nice))) }
        fields.append(("cost", format(job.cost)))
        fields.append(("cores", String(job.cores)))
        if let memory = job.memory { fields.append(("memory", String(memory))) }
        fields.append(("retries", String(job.retries)))
        if let timeout = job.timeout { fields.append(("timeout", format(timeout))) }
        fields.append(("tags", json(job.tags)))
        fields.append(("digest", digest(of: job)))
        return fields
    }

    /// A SHA-256 over what decides a job's result: its command, working directory, environment and the set of its
    /// dependencies. A job whose digest changes is no longer up to date.
    static func digest(of job: Job) -> String {
        var hash = SHA256()
        switch job.command {
        case .shell(let line):
            hash.field("shell")
            hash.field(line)
        case .argv(let words):
            hash.field("argv")
            hash.field(UInt64(words.count))
            for word in words { hash.field(word) }
        }
        hash.field(job.cwd.map { "cwd:" + $0 } ?? "")
        hash.field(UInt64(job.env.count))
        for variable in job.env.sorted(by: { $0.name < $1.name }) {
            hash.field(variable.name)
            hash.field(variable.value)
        }
        let deps = job.deps.sorted()
        hash.field(UInt64(deps.count))
        for dep in deps { hash.field(dep) }
        return hash.finalizeHex()
    }

    /// The error for a job definition at `key` whose `field` is wrong.
    static func corrupt(_ key: String, _ field: String, _ problem: String) -> StoreError {
        StoreError(
            .corruptRecord,
            "the job definition at \(key) has a bad '\(field)' field: \(problem). Push the graph again "
                + "(clustmake push) to rewrite it.")
    }

    /// Decodes a job's hash.
    /// - Parameters:
    ///   - fields: The hash's fields (`HGETALL`).
    ///   - key: The key, for messages.
    /// - Returns: The job, its index in the graph, and its dependents.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/corruptRecord`` naming the key and field.
    static func decode(_ fields: [String: String], key: String) throws(StoreError) -> StoredJob {
        func corrupt(_ field: String, _ problem: String) -> StoreError { Self.corrupt(key, field, problem) }
        func required(_ field: String) throws(StoreError) -> String {
            guard let value = fields[field] else { throw corrupt(field, "it is missing") }
            return value
        }
        func integer(_ field: String) throws(StoreError) -> Int? {
            guard let text = fields[field] else { return nil }
            guard let value = Int(text) else {
                throw corrupt(field, "'\(Format.escaped(text, limit: 40))' is not a whole number")
            }
            return value
        }
        func number(_ field: String) throws(StoreError) -> Double? {
            guard let text = fields[field] else { return nil }
            guard let value = Double(text), value.isFinite else {
                throw corrupt(field, "'\(Format.escaped(text, limit: 40))' is not a finite number")
            }
            return value
        }
        func strings(_ field: String) throws(StoreError) -> [String] {
            let text = try required(field)
            guard let value = try? JSONValue.parse(text), let array = value.arrayValue else {
                throw corrupt(field, "it is not a JSON array")
            }
            var result: [String] = []
            result.reserveCapacity(array.count)
            for element in array {
                guard let string = element.stringValue else { throw corrupt(field, "it holds a non-string") }
                result.append(string)
            }
            return result
        }
        let id = try required("id")
        let command: Job.Command
        if let line = fields["shell"] {
            command = .shell(line)
        } else if fields["argv"] != nil {
            command = .argv(try strings("argv"))
        } else {
            throw corrupt("shell", "the job has neither 'shell' nor 'argv'")
        }
        var env: [Job.EnvironmentVariable] = []
        if let text = fields["env"] {
            guard let value = try? JSONValue.parse(text), let object = value.objectValue else {
                throw corrupt("env", "it is not a JSON object")
            }
            for (name, value) in object {
                guard let string = value.stringValue else { throw corrupt("env", "'\(name)' is not a string") }
                env.append(Job.EnvironmentVariable(name: name, value: string))
            }
        }
        var memory: UInt64?
        if let text = fields["memory"] {
            guard let value = UInt64(text) else {
                throw corrupt("memory", "'\(Format.escaped(text, limit: 40))' is not a byte count")
            }
            memory = value
        }
        let job = Job(
            id: id, command: command, deps: try strings("deps"), cost: try number("cost") ?? Job.defaultCost,
            cwd: fields["cwd"], env: env, nice: try integer("nice"), cores: try integer("cores") ?? 1,
            memory: memory, retries: try integer("retries") ?? 0, timeout: try number("timeout"),
            tags: fields["tags"] == nil ? [] : try strings("tags"))
        // The same bounds and text rule as a graph's (Job.limitProblem): a value no graph could hold, written into
        // redis by hand or by another program, never reaches a command, a timer or a conversion.
        if let problem = JobID.problem(with: id) {
            throw corrupt("id", "'\(Format.escaped(id))' is not a valid id: \(problem)")
        }
        if let (field, problem) = job.limitProblem() { throw corrupt(field, problem) }
        return StoredJob(
            job: job, index: try integer("index") ?? 0,
            dependents: fields["dependents"] == nil ? [] : try strings("dependents"),
            digest: fields["digest"] ?? digest(of: job))
    }

    static func json(_ strings: [String]) -> String {
        var writer = JSONWriter()
        writer.beginArray()
        for string in strings { writer.string(string) }
        writer.endArray()
        return writer.string
    }

    /// A number as redis and people read it: `30`, `0.5`, `1e-05`.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15, let whole = value.roundedInt64 { return String(whole) }
        return value.description
    }
}

/// A job definition read back from redis.
public struct StoredJob: Sendable, Hashable {
    /// The job.
    public var job: Job
    /// Its position in the pushed graph.
    public var index: Int
    /// The ids of the jobs that depend on it directly.
    public var dependents: [String]
    /// ``JobCodec/digest(of:)`` when it was pushed.
    public var digest: String
}
