import ClustmakeModel

/// Decodes a WfCommons workflow instance (WfFormat 1.4 and later: `workflow.specification` and
/// `workflow.execution`; earlier instances with `workflow.tasks` too).
///
/// Task ids become job ids, `parents` the dependencies, `runtimeInSeconds` the cost, `command.program` and
/// `command.arguments` the command, `coreCount` the cores and the task name a tag. With a time scale, every
/// command becomes a `sleep` of the task's runtime times the scale, so the workflow's shape can run for real
/// without its programs.
struct WfCommonsDecoder<Node: DocumentNode> {
    let file: String
    /// When set, commands become `sleep runtime×scale` and costs runtime×scale.
    let timeScale: Double?

    static func looksLikeWfCommons(_ root: Node) -> Bool {
        root.kind == .object && root.member("workflow")?.kind == .object
    }

    func decode(_ root: Node) throws(InputError) -> (namespace: String?, jobs: [Job]) {
        let workflow = root.member("workflow")!
        let specification = workflow.member("specification")
        let taskList: Node
        var execution = [String: Node]()
        if let specification, let tasks = specification.member("tasks") {
            taskList = tasks
            if let executed = workflow.member("execution")?.member("tasks"), executed.kind == .array {
                for task in executed.elements {
                    if let id = task.member("id")?.string { execution[id] = task }
                }
            }
        } else if let tasks = workflow.member("tasks") {
            taskList = tasks
        } else {
            throw InputError(
                .missingKey, "this WfCommons instance has neither workflow.specification.tasks nor workflow.tasks.",
                fix: "Check that the file is a complete WfFormat instance.", file: file)
        }
        guard taskList.kind == .array else {
            throw InputError(.wrongType, "workflow tasks must be a list, not \(taskList.kind.phrase).", file: file)
        }
        var jobs = [Job]()
        jobs.reserveCapacity(taskList.elements.count)
        for (position, task) in taskList.elements.enumerated() {
            jobs.append(try decodeTask(task, position: position, execution: execution))
        }
        return (nil, jobs)
    }

    private func decodeTask(_ task: Node, position: Int, execution: [String: Node]) throws(InputError) -> Job {
        let subject = task.member("id")?.string.map { "task '\($0)'" } ?? "task #\(position + 1)"
        func failure(_ code: InputError.Code, _ message: String, fix: String? = nil) -> InputError {
            InputError(code, message, fix: fix, file: file, subject: subject)
        }
        guard task.kind == .object else {
            throw failure(.wrongType, "a task must be an object, not \(task.kind.phrase).")
        }
        guard let id = task.member("id")?.string ?? task.member("name")?.string else {
            throw failure(.missingKey, "the task has no 'id'.", fix: "Every WfCommons task needs an id.")
        }
        let name = task.member("name")?.string
        let record = execution[id] ?? task
        let runtime = record.member("runtimeInSeconds")?.double ?? record.member("runtime")?.double
        if let runtime, !(runtime >= 0 && runtime.isFinite) {
            throw failure(.invalidValue, "runtimeInSeconds is \(runtime).", fix: "Use a number of seconds >= 0.")
        }
        var parents = [String]()
        if let list = task.member("parents") {
            guard list.kind == .array else {
                throw failure(.wrongType, "'parents' must be a list of task ids, not \(list.kind.phrase).")
            }
            for parent in list.elements {
                guard let parentID = parent.string else {
                    throw failure(.wrongType, "'parents' must hold task ids, but one entry is \(parent.kind.phrase).")
                }
                parents.append(parentID)
            }
        }
        let command: Job.Command
        var cost = runtime ?? Job.defaultCost
        if let timeScale {
            cost = (runtime ?? 0) * timeScale
            command = .argv(["sleep", Self.seconds(cost)])
        } else if let program = (record.member("command") ?? task.member("command"))?.member("program")?.string,
            !program.isEmpty
        {
            let arguments =
                (record.member("command") ?? task.member("command"))?.member("arguments")?.elements
                .compactMap(\.string) ?? []
            command = .argv([program] + arguments)
        } else {
            throw failure(
                .missingKey, "the task has no command.program, so there is nothing to run.",
                fix: "Run the workflow's shape as sleeps with --time-scale F (for example --time-scale 0.001).")
        }
        var job = Job(id: id, command: command, deps: parents, cost: cost)
        if let cores = record.member("coreCount")?.integer ?? record.member("cores")?.integer, cores >= 1 {
            job.cores = cores
        }
        if let name { job.tags = [name] }
        return job
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
