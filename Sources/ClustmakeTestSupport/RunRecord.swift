public import ClustmakeModel
public import ClustmakeStore

/// What redis says about a namespace after a run: each job's state, its attempts, and the order of starts and
/// completions; and the checks every end-to-end scenario makes with it (every job done once, after its
/// dependencies), as lists of problems (empty when the run was right).
public struct RunRecord: Sendable {
    public let graph: JobGraph
    public let states: [String: JobState]
    public let attempts: [String: [AttemptRecord]]
    public let statuses: [String: JobStatus]

    /// Reads the namespace of `store`.
    public init(store: JobStore) throws {
        graph = try store.graph()
        states = try store.states()
        var attempts: [String: [AttemptRecord]] = [:]
        var statuses: [String: JobStatus] = [:]
        for job in graph.jobs {
            attempts[job.id] = try store.attempts(of: job.id)
            statuses[job.id] = try store.status(of: job.id)
        }
        self.attempts = attempts
        self.statuses = statuses
    }

    /// Jobs not done by exactly one counted success, or with another attempt that is neither lost, interrupted nor
    /// `superseded` (never a second success). A superseded attempt's late outcome, success or not, did not change
    /// the job's state (a worker thawed after its job ran elsewhere), so it is no second success.
    public func doneOnceProblems() -> [String] {
        var problems: [String] = []
        for job in graph.jobs {
            if states[job.id] != .done { problems.append("\(job.id) is \(states[job.id].map(\.rawValue) ?? "?")") }
            let all = attempts[job.id, default: []]
            let counted = all.filter { $0.state == .succeeded && $0.superseded == nil }
            if counted.count != 1 {
                problems.append("\(job.id) succeeded \(counted.count) times: \(Self.describe(all))")
            }
            let others = all.filter { !($0.state == .succeeded && $0.superseded == nil) }
            if !others.allSatisfy({ $0.state == .lost || $0.state == .interrupted || $0.superseded != nil }) {
                problems.append("\(job.id): \(Self.describe(all))")
            }
        }
        return problems
    }

    /// `attempt 1 on h4 succeeded (superseded), attempt 2 on h1 succeeded`, for problems.
    static func describe(_ attempts: [AttemptRecord]) -> String {
        attempts.map { "attempt \($0.number) on \($0.host) \($0.state)\($0.superseded == nil ? "" : " (superseded)")" }
            .joined(separator: ", ")
    }

    /// Attempts that started before every dependency's done attempt ended (by redis's own sequence numbers); with
    /// `number`, only that attempt of each job is checked (the rounds before it ran before the dependencies' last).
    public func dependencyOrderProblems(ofAttempt number: Int? = nil) -> [String] {
        var problems: [String] = []
        for job in graph.jobs {
            for attempt in attempts[job.id, default: []] where number == nil || attempt.number == number {
                guard let start = attempt.fields["start_seq"].flatMap(Int.init) else { continue }
                for dep in job.deps {
                    let done = statuses[dep]?.fields["done_seq"].flatMap(Int.init)
                    if done == nil || done! >= start {
                        problems.append(
                            "\(job.id) attempt \(attempt.number) started (seq \(start)) before \(dep) was done "
                                + "(\(done.map(String.init) ?? "never"))")
                    }
                }
            }
        }
        return problems
    }

    /// The hosts that ran succeeded attempts.
    public var hostsUsed: Set<String> {
        Set(attempts.values.flatMap { $0.filter { $0.state == .succeeded }.map(\.host) })
    }
}
