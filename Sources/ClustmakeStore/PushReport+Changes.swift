extension PushReport {
    /// One kind of change a push made: its label and its jobs.
    public struct Change: Sendable, Hashable {
        /// What changed: `new`, `removed`, `changed command`, `changed dependencies`, `changed settings`,
        /// `no longer up to date`, `running now, pushed anyway`.
        public var kind: String
        /// The jobs, in the report's order.
        public var jobs: [String]

        public init(kind: String, jobs: [String]) {
            self.kind = kind
            self.jobs = jobs
        }

        /// `changed command (3): a, b, c`, with at most `limit` ids, then how many more.
        public func line(limit: Int = PushReport.shownJobs) -> String {
            let shown = jobs.prefix(limit).joined(separator: ", ")
            return "\(kind) (\(jobs.count)): \(shown)" + (jobs.count > limit ? ", and \(jobs.count - limit) more" : "")
        }
    }

    /// How many job ids a change line shows before it gives the count of the others.
    public static let shownJobs = 20

    /// What the push changed, one kind at a time, as `clustmake push` and `clustmake run` report it: kinds with no
    /// job are left out, and a new namespace lists no new jobs (all are).
    public var changes: [Change] {
        let kinds: [(String, [String])] = [
            ("new", createdNamespace ? [] : added), ("removed", removed), ("changed command", changedCommand),
            ("changed dependencies", changedDependencies), ("changed settings", changedSettings),
            ("no longer up to date", invalidated), ("running now, pushed anyway", running),
        ]
        return kinds.filter { !$0.1.isEmpty }.map { Change(kind: $0.0, jobs: $0.1) }
    }
}
