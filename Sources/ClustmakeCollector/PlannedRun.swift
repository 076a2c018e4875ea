import ClustmakeJSON
public import ClustmakeModel

/// The parts of a plan (`plan.json`, format `clustmake-plan/1`, docs/plan-directory.md) that the collector compares
/// a run with.
public struct PlannedRun: Sendable, Hashable {
    /// One host of the plan.
    public struct Host: Sendable, Hashable {
        public var name: String
        public var slots: Int
        public var speed: Double
    }

    /// One job of the plan: where and when it was planned to run.
    public struct Job: Sendable, Hashable {
        public var id: String
        public var host: String
        public var slot: Int
        /// Planned start and end, in seconds from the start of the run.
        public var start: Double
        public var end: Double
        /// The cost it was planned with, in seconds at speed 1.
        public var cost: Double
    }

    /// The namespace the plan's job lines use.
    public var namespace: String
    /// The hosts, in cluster-file order.
    public var hosts: [Host]
    /// The jobs, in the graph's order.
    public var jobs: [Job]
    /// The planned makespan in seconds.
    public var makespan: Double
    /// No plan could be shorter than this.
    public var lowerBound: Double
    /// The planned critical path (longest chain by cost), first to last.
    public var criticalPath: [String]
}

extension PlannedRun {
    /// The format this reader understands.
    public static let format = "clustmake-plan/1"

    /// Reads the text of a `plan.json`, its jobs one at a time (``ClustmakeJSON/JSONStream``): the plan of 100,000
    /// jobs is some 16 MB, whose whole tree took 1.1 s and 175 MB more than the six values of each job kept here.
    /// - Parameters:
    ///   - bytes: The document.
    ///   - file: Its path (or redis key), for messages.
    /// - Throws: ``ClustmakeModel/InputError`` naming the file: where the text is not JSON, or the member that is
    ///   missing or wrong (the format first: a plan of another format is said to be one, whatever its jobs hold).
    public init(document bytes: some Collection<UInt8>, file: String) throws(InputError) {
        func bad(_ what: String) -> InputError {
            InputError(
                .invalidValue, "this is not a clustmake plan.json: \(what).",
                fix: "Pass the plan directory written by `clustmake plan` (it holds plan.json).", file: file)
        }
        var jobs: [Job] = []
        // The first job that cannot be read: thrown once the format is known to be this one.
        var badJob: InputError?
        let json: JSONValue
        do {
            json = try JSONStream.read(bytes, source: file, streamingArray: "jobs") { node in
                guard badJob == nil else { return }
                do throws(InputError) { jobs.append(try Self.job(node, at: jobs.count, bad)) } catch { badJob = error }
            }
        } catch let error as JSONError {
            throw InputError(
                .unreadable, "the plan is not valid JSON: \(error.message)",
                fix: "Pass the plan directory `clustmake plan` wrote for this run (it holds plan.json).", file: file,
                line: error.line, column: error.column)
        } catch {
            throw InputError(.unreadable, "the plan is not valid JSON: \(error)", file: file)
        }
        guard json.objectValue != nil else { throw bad("it is not a JSON object") }
        guard let format = json["format"]?.stringValue else { throw bad("it has no \"format\"") }
        guard format == Self.format else {
            throw InputError(
                .unknownFormat, "plan.json has the format \"\(format)\"; this clustmake reads \"\(Self.format)\".",
                fix: "Plan again with this clustmake.", file: file)
        }
        if let badJob { throw badJob }
        func number(_ value: JSONValue?, _ what: String) throws(InputError) -> Double {
            guard let number = value?.doubleValue, number.isFinite else { throw bad("\(what) is not a number") }
            return number
        }
        func string(_ value: JSONValue?, _ what: String) throws(InputError) -> String {
            guard let text = value?.stringValue else { throw bad("\(what) is not a string") }
            return text
        }
        namespace = try string(json["namespace"], "\"namespace\"")
        makespan = try number(json["makespan"], "\"makespan\"")
        lowerBound = try number(json["lower_bound"], "\"lower_bound\"")
        // Streamed, the jobs stand as `[]` in what is left; a missing or wrong "jobs" leaves the document whole.
        guard let hostList = json["hosts"]?.arrayValue, json["jobs"]?.arrayValue?.isEmpty == true,
            let path = json["critical_path"]?.arrayValue
        else { throw bad("\"hosts\", \"jobs\" or \"critical_path\" is not a list") }
        var hosts: [Host] = []
        for (position, host) in hostList.enumerated() {
            let name = try string(host["name"], "hosts[\(position)].name")
            guard let slots = host["slots"]?.intValue, slots >= 0 else {
                throw bad("hosts[\(position)].slots is not a whole number >= 0")
            }
            hosts.append(
                Host(name: name, slots: Int(slots), speed: try number(host["speed"], "hosts[\(position)].speed")))
        }
        var critical: [String] = []
        for (position, id) in path.enumerated() { critical.append(try string(id, "critical_path[\(position)]")) }
        self.hosts = hosts
        self.jobs = jobs
        self.criticalPath = critical
    }

    /// One entry of the plan's `jobs`, the `position`th.
    private static func job(
        _ node: JSONNode, at position: Int, _ bad: (String) -> InputError
    ) throws(InputError) -> Job {
        func number(_ key: String) throws(InputError) -> Double {
            guard let value = node[key]?.double, value.isFinite else {
                throw bad("jobs[\(position)].\(key) is not a number")
            }
            return value
        }
        func string(_ key: String) throws(InputError) -> String {
            guard let text = node[key]?.string else { throw bad("jobs[\(position)].\(key) is not a string") }
            return text
        }
        guard let slot = node["slot"]?.int.flatMap({ Int(exactly: $0) }) else {
            throw bad("jobs[\(position)].slot is not a number")
        }
        return Job(
            id: try string("id"), host: try string("host"), slot: slot, start: try number("est_start"),
            end: try number("est_end"), cost: node["cost"]?.double ?? 0)
    }
}
