/// The bounds of a job's numbers and the rule for its text (docs/job-graph.md, "Limits"): checked when a graph is
/// built (``JobGraph/init(namespace:jobs:)``, whatever the file's format) and again when the store reads a job
/// back from redis, so a value no graph could hold never reaches the worker, the planner or the collector.
extension Job {
    /// The bounds of a job's numbers.
    public enum Limits {
        /// `cost`, in seconds: up to about 31,700 years.
        public static let cost: ClosedRange<Double> = 0...1e12
        /// `timeout`, in seconds: more than zero, up to 366 days.
        public static let maximumTimeout = 366.0 * 86_400
        /// `nice`.
        public static let nice: ClosedRange<Int> = -20...19
        /// `cores`.
        public static let cores: ClosedRange<Int> = 1...100_000
        /// `memory`, in bytes: up to 1 PiB.
        public static let memory: ClosedRange<UInt64> = 0...(1 << 50)
        /// `retries`.
        public static let retries: ClosedRange<Int> = 0...1000
    }

    /// The first field of this job that breaks ``Limits`` or ``FieldText``, and what is wrong with it.
    /// - Returns: The field's name as the graph writes it (`timeout`, `env 'HOME'`, `command word 2`) and a phrase
    ///   that completes "'FIELD' …", or `nil` when the job is within bounds.
    public func limitProblem() -> (field: String, problem: String)? {
        switch command {
        case .shell(let line):
            if let problem = FieldText.problem(with: line, .text) { return ("command", problem) }
        case .argv(let words):
            for (position, word) in words.enumerated() {
                if let problem = FieldText.problem(with: word, .text) {
                    return ("command word \(position + 1)", problem)
                }
            }
        }
        if let cwd, let problem = FieldText.problem(with: cwd, .line) { return ("cwd", problem) }
        for variable in env {
            if variable.name.isEmpty || variable.name.contains("=") {
                return ("env", "has a variable named '\(Format.escaped(variable.name))', which is not a name")
            }
            if let problem = FieldText.problem(with: variable.name, .line) { return ("env", "name \(problem)") }
            if let problem = FieldText.problem(with: variable.value, .text) {
                return ("env '\(variable.name)'", problem)
            }
        }
        for tag in tags {
            if let problem = FieldText.problem(with: tag, .line) { return ("tags", problem) }
        }
        func outside<T: Comparable>(_ value: T, _ range: ClosedRange<T>, _ text: String) -> String? {
            range.contains(value) ? nil : "is \(text), outside \(range.lowerBound)…\(range.upperBound)"
        }
        if !cost.isFinite || !Limits.cost.contains(cost) {
            return ("cost", "is \(cost), outside 0…\(Self.number(Limits.cost.upperBound)) seconds")
        }
        if let timeout, !(timeout > 0 && timeout <= Limits.maximumTimeout) {
            return ("timeout", "is \(timeout) seconds, outside (0…\(Self.number(Limits.maximumTimeout))] (366 days)")
        }
        if let nice, let problem = outside(nice, Limits.nice, String(nice)) { return ("nice", problem) }
        if let problem = outside(cores, Limits.cores, String(cores)) { return ("cores", problem) }
        if let memory, !Limits.memory.contains(memory) {
            return ("memory", "is \(memory) bytes, more than 1 PiB (\(Limits.memory.upperBound) bytes)")
        }
        if let problem = outside(retries, Limits.retries, String(retries)) { return ("retries", problem) }
        return nil
    }

    /// A bound as people read it: `1000000000000`, `31622400`.
    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
