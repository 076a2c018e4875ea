import ClustmakeModel

/// Decodes a WfCommons workflow instance in any published WfFormat version, 1.0 to 1.6 (see
/// ``WfFormatVersion`` for the three shapes and docs/job-graph.md for what each field becomes).
///
/// Tasks become jobs and their `parents` the dependencies, linked as WfCommons' own loaders link them: by task
/// `name` in 1.0–1.4, by task `id` in 1.5–1.6. The runtime becomes the cost, `command.program` and
/// `command.arguments` one shell line (WfCommons' translators join them with spaces and run the line with a
/// shell, so an argument may hold several words or a redirection), the cores and memory what the job needs. With
/// a time scale, every command becomes a `sleep` of the task's runtime times the scale, so the workflow's shape
/// can run for real without its programs.
struct WfCommonsDecoder<Node: DocumentNode> {
    let file: String
    /// When set, commands become `sleep runtime×scale` and costs runtime×scale.
    let timeScale: Double?

    /// WfFormat 1.0–1.4 give memory in KB; WfCommons' migration tool turns it into bytes by this factor.
    static var bytesPerKB: Double { 1000 }

    static func looksLikeWfCommons(_ root: Node) -> Bool {
        root.kind == .object && root.member("workflow")?.kind == .object
    }

    /// Reads the instance's tasks as jobs.
    /// - Returns: The jobs in the file's order, and the version the file was read as.
    /// - Throws: ``InputError`` naming the task: no tasks, a task with no name or id, two tasks with one name or
    ///   id, a parent that names no task, a negative runtime, no command (without a time scale).
    func decode(_ root: Node) throws(InputError) -> (namespace: String?, jobs: [Job], version: WfFormatVersion) {
        let workflow = root.member("workflow")!
        let version = WfFormatVersion(declared: Self.declaredVersion(root), shape: try shape(of: workflow))
        let taskList: Node
        var execution = [String: Node]()
        var fileSizes = [String: UInt64]()
        switch version.shape {
        case .specification:
            taskList = workflow.member("specification")!.member("tasks")!
            for file in workflow.member("specification")?.member("files")?.elements ?? [] {
                if let id = file.member("id")?.string { fileSizes[id] = Self.bytes(file.member("sizeInBytes")) }
            }
            if let executed = workflow.member("execution")?.member("tasks"), executed.kind == .array {
                for task in executed.elements {
                    if let id = task.member("id")?.string { execution[id] = task }
                }
            }
        case .tasks: taskList = workflow.member("tasks")!
        case .jobs: taskList = workflow.member("jobs")!
        }
        guard taskList.kind == .array else {
            throw InputError(.wrongType, "workflow tasks must be a list, not \(taskList.kind.phrase).", file: file)
        }
        var jobs = [Job]()
        jobs.reserveCapacity(taskList.elements.count)
        for (position, task) in taskList.elements.enumerated() {
            var job = try decodeTask(task, position: position, shape: version.shape, execution: execution)
            job.files = Self.files(of: task, shape: version.shape, sizes: fileSizes)
            jobs.append(job)
        }
        try checkLinks(jobs, tasks: taskList.elements, version: version)
        return (nil, jobs, version)
    }

    /// `schemaVersion` as written ("1.4"), also when a YAML file gives it as a number.
    static func declaredVersion(_ root: Node) -> String? {
        guard let value = root.member("schemaVersion") else { return nil }
        if let text = value.string { return text }
        return value.double.map { String($0) }
    }

    private func shape(of workflow: Node) throws(InputError) -> WfFormatVersion.Shape {
        if workflow.member("specification")?.member("tasks") != nil { return .specification }
        if workflow.member("tasks") != nil { return .tasks }
        if workflow.member("jobs") != nil { return .jobs }
        throw InputError(
            .missingKey,
            "this WfCommons instance has none of workflow.specification.tasks (WfFormat 1.5–1.6), "
                + "workflow.tasks (1.3–1.4) and workflow.jobs (1.0–1.2).",
            fix: "Check that the file is a complete WfFormat instance.", file: file)
    }

    /// Every task's key (name or id) is unique and every parent is the key of a task, with messages in the
    /// instance's terms (the graph's own checks would speak of jobs and deps).
    private func checkLinks(_ jobs: [Job], tasks: [Node], version: WfFormatVersion) throws(InputError) {
        let key = version.shape == .specification ? "id" : "name"
        var position = [String: Int](minimumCapacity: jobs.count)
        for (index, job) in jobs.enumerated() {
            if let first = position.updateValue(index, forKey: job.id) {
                throw InputError(
                    .duplicateID, "task #\(first + 1) and task #\(index + 1) have the same \(key).",
                    fix: "Give every task its own \(key): WfFormat \(version.shape.versions) links parents by \(key).",
                    file: file, subject: "task '\(job.id)'")
            }
        }
        var otherKeys = [String: String]()
        if version.shape != .specification {
            // A parent written as a task's id instead of its name is the likeliest slip: say so.
            for (index, task) in tasks.enumerated() {
                if let id = task.member("id")?.string, position[id] == nil { otherKeys[id] = jobs[index].id }
            }
        }
        for job in jobs {
            for parent in job.deps where position[parent] == nil {
                var fix = "Name an existing task in 'parents', or add a task named '\(parent)'."
                if let named = otherKeys[parent] {
                    fix =
                        "'\(parent)' is the id of task '\(named)'; in WfFormat \(version.shape.versions) parents "
                        + "name tasks by their name: write '\(named)'."
                }
                throw InputError(
                    .unknownDependency, "its parent '\(parent)' is not the \(key) of any task in this instance.",
                    fix: fix, file: file, subject: "task '\(job.id)'")
            }
        }
    }

    private func decodeTask(
        _ task: Node, position: Int, shape: WfFormatVersion.Shape, execution: [String: Node]
    ) throws(InputError) -> Job {
        let keyName = shape == .specification ? "id" : "name"
        let subject =
            task.member(keyName)?.string.map { "task '\(Format.escaped($0, limit: 60))'" } ?? "task #\(position + 1)"
        func failure(_ code: InputError.Code, _ message: String, fix: String? = nil) -> InputError {
            InputError(code, message, fix: fix, file: file, subject: subject)
        }
        guard task.kind == .object else {
            throw failure(.wrongType, "a task must be an object, not \(task.kind.phrase).")
        }
        let id: String
        let record: Node
        var tags = [String]()
        switch shape {
        case .specification:
            guard let key = task.member("id")?.string ?? task.member("name")?.string else {
                throw failure(.missingKey, "the task has no 'id'.", fix: "Every WfCommons task needs an id.")
            }
            id = key
            record = execution[id] ?? task
            if let name = task.member("name")?.string { tags = [name] }
        case .tasks, .jobs:
            guard let name = task.member("name")?.string else {
                throw failure(
                    .missingKey, "the task has no 'name'.",
                    fix: "Every task needs a name: WfFormat \(shape.versions) links parents by name.")
            }
            id = name
            record = task
            tags = [task.member("category")?.string ?? Self.category(ofName: name)]
        }
        let runtime = record.member("runtimeInSeconds")?.double ?? record.member("runtime")?.double
        if let runtime, !(runtime >= 0 && runtime.isFinite) {
            throw failure(.invalidValue, "its runtime is \(runtime).", fix: "Use a number of seconds >= 0.")
        }
        let parents = try parentNames(task.member("parents"), failure: failure)
        let command: Job.Command
        var cost = runtime ?? Job.defaultCost
        if let timeScale {
            cost = (runtime ?? 0) * timeScale
            command = .argv(["sleep", Self.seconds(cost)])
        } else if let line = Self.shellLine(
            record.member("command") ?? task.member("command"), task: task, shape: shape)
        {
            command = .shell(line)
        } else {
            throw failure(
                .missingKey, "the task has no command.program, so there is nothing to run.",
                fix: "Run the workflow's shape as sleeps with --time-scale F (for example --time-scale 0.001).")
        }
        var job = Job(id: id, command: command, deps: parents, cost: cost, tags: tags)
        if let cores = (record.member("coreCount") ?? record.member("cores"))?.double, cores > 0, cores.isFinite {
            // Cores may be fractional (1.5): a job is given the whole cores it partly uses.
            job.cores = max(1, Int(min(cores.rounded(.up), Double(Int32.max))))
        }
        if let memory = Self.memoryInBytes(record) { job.memory = memory }
        return job
    }

    /// The category of a 1.0–1.1 task, which has none, as WfCommons' migration to 1.2 derives it from the name:
    /// what comes before `_ID` ("blastall_ID000002" → "blastall"), else before the first `_`.
    static func category(ofName name: String) -> String {
        if let marker = name.firstRange(of: "_ID") { return String(name[..<marker.lowerBound]) }
        return String(name.prefix { $0 != "_" })
    }

    /// The names (or ids) in a `parents` list.
    private func parentNames(
        _ list: Node?, failure: (InputError.Code, String, String?) -> InputError
    ) throws(InputError) -> [String] {
        guard let list else { return [] }
        guard list.kind == .array else {
            throw failure(.wrongType, "'parents' must be a list of tasks, not \(list.kind.phrase).", nil)
        }
        var parents = [String]()
        for parent in list.elements {
            guard let name = parent.string else {
                throw failure(.wrongType, "'parents' must name tasks, but one entry is \(parent.kind.phrase).", nil)
            }
            parents.append(name)
        }
        return parents
    }

    /// The command as WfCommons' translators run it: `program` and every argument joined with single spaces
    /// into one line for `sh -c`. Instances of WfFormat 1.0–1.1 have no `command`, only the task's `arguments`;
    /// their program is the task's category, as WfCommons' migration to 1.2 makes it. Nil when there is nothing
    /// to run.
    static func shellLine(_ command: Node?, task: Node, shape: WfFormatVersion.Shape) -> String? {
        var words = [String]()
        let arguments: Node?
        if let command {
            if let program = command.member("program")?.string, !program.isEmpty { words.append(program) }
            arguments = command.member("arguments")
        } else if shape == .jobs, let list = task.member("arguments"), let name = task.member("name")?.string {
            words.append(task.member("category")?.string ?? category(ofName: name))
            arguments = list
        } else {
            return nil
        }
        for argument in arguments?.elements ?? [] {
            if let text = argument.string {
                words.append(text)
            } else if let whole = argument.integer {
                words.append(String(whole))
            } else if let number = argument.double {
                words.append(String(number))
            }
        }
        let line = words.joined(separator: " ")
        return line.contains(where: { !$0.isWhitespace }) ? line : nil
    }

    /// `memoryInBytes` (1.4 and later), else `memory` in KB (1.0–1.4), as bytes; nil when absent or not
    /// positive.
    static func memoryInBytes(_ record: Node) -> UInt64? {
        var bytes: Double
        if let value = record.member("memoryInBytes")?.double {
            bytes = value
        } else if let kilobytes = record.member("memory")?.double {
            bytes = kilobytes * bytesPerKB
        } else {
            return nil
        }
        bytes.round()
        guard bytes > 0, bytes < 1.8e19 else { return nil }
        return UInt64(bytes)
    }

    /// The files a task declares: `files` entries (`name`, with `path` before it when given; `link`; `size` or
    /// `sizeInBytes`) in 1.0–1.4, `inputFiles` and `outputFiles` (ids of `specification.files`, which gives
    /// their `sizeInBytes`) in 1.5–1.6, named as WfCommons' migration to 1.5 names them. Entries without a usable
    /// name are passed over: files are informational and never decide what runs.
    static func files(of task: Node, shape: WfFormatVersion.Shape, sizes: [String: UInt64]) -> [JobFile] {
        var files = [JobFile]()
        switch shape {
        case .specification:
            for (member, link) in [("inputFiles", JobFile.Link.input), ("outputFiles", .output)] {
                for entry in task.member(member)?.elements ?? [] {
                    guard let id = entry.string, !id.isEmpty else { continue }
                    files.append(JobFile(name: id, link: link, size: sizes[id]))
                }
            }
        case .tasks, .jobs:
            for entry in task.member("files")?.elements ?? [] {
                guard let name = entry.member("name")?.string, !name.isEmpty else { continue }
                let link = entry.member("link")?.string?.lowercased() == "input" ? JobFile.Link.input : .output
                files.append(
                    JobFile(
                        name: (entry.member("path")?.string ?? "") + name, link: link,
                        size: bytes(entry.member("sizeInBytes") ?? entry.member("size"))))
            }
        }
        return files
    }

    /// A file size in bytes: a whole, finite number from 0 to 2^63; nil otherwise.
    static func bytes(_ node: Node?) -> UInt64? {
        guard let value = node?.double, value >= 0, value < 9.2e18 else { return nil }
        return UInt64(value.rounded())
    }

    /// Seconds with at most millisecond precision, as `sleep` takes them: "0.25", "12", "0.001".
    static func seconds(_ value: Double) -> String {
        let milliseconds = Int64((value * 1000).rounded())
        let whole = milliseconds / 1000
        let fraction = milliseconds % 1000
        if fraction == 0 { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
