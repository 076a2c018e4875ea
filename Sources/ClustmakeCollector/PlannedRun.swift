public import ClustmakeJSON
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

    /// Reads a parsed `plan.json`.
    /// - Parameters:
    ///   - json: The document.
    ///   - file: Its path, for messages.
    /// - Throws: ``ClustmakeModel/InputError`` naming the file and the member that is missing or wrong.
    public init(json: JSONValue, file: String) throws(InputError) {
        func bad(_ what: String) -> InputError {
            InputError(
                .invalidValue, "this is not a clustmake plan.json: \(what).",
                fix: "Pass the plan directory written by `clustmake plan` (it holds plan.json).", file: file)
        }
        guard json.objectValue != nil else { throw bad("it is not a JSON object") }
        guard let format = json["format"]?.stringValue else { throw bad("it has no \"format\"") }
        guard format == Self.format else {
            throw InputError(
                .unknownFormat, "plan.json has the format \"\(format)\"; this clustmake reads \"\(Self.format)\".",
                fix: "Plan again with this clustmake.", file: file)
        }
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
        guard let hostList = json["hosts"]?.arrayValue, let jobList = json["jobs"]?.arrayValue,
            let path = json["critical_path"]?.arrayValue
        else { throw bad("\"hosts\", \"jobs\" or \"critical_path\" is not a list") }
        var hosts: [Host] = []
        for (position, host) in hostList.enumerated() {
            let name = try string(host["name"], "hosts[\(position)].name")
            guard let slots = host["slots"]?.intValue, slots >= 0 else { throw bad("hosts[\(position)].slots") }
            hosts.append(
                Host(name: name, slots: Int(slots), speed: try number(host["speed"], "hosts[\(position)].speed")))
        }
        var jobs: [Job] = []
        jobs.reserveCapacity(jobList.count)
        for (position, job) in jobList.enumerated() {
            guard let slot = job["slot"]?.intValue else { throw bad("jobs[\(position)].slot is not a number") }
            jobs.append(
                Job(
                    id: try string(job["id"], "jobs[\(position)].id"),
                    host: try string(job["host"], "jobs[\(position)].host"), slot: Int(slot),
                    start: try number(job["est_start"], "jobs[\(position)].est_start"),
                    end: try number(job["est_end"], "jobs[\(position)].est_end"),
                    cost: job["cost"]?.doubleValue ?? 0))
        }
        var critical: [String] = []
        for (position, id) in path.enumerated() { critical.append(try string(id, "critical_path[\(position)]")) }
        self.hosts = hosts
        self.jobs = jobs
        self.criticalPath = critical
    }
}
