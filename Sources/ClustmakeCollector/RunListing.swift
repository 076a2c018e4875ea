import ClustmakeJSON
public import ClustmakeModel

/// The namespaces of one redis as `clustmake runs` (and `status --all`) lists them: each one's state, its jobs
/// done, failed and in all, and when its workers first and last wrote; the most recent first.
public struct RunListing: Sendable {
    /// Where a namespace stands, from its jobs' states.
    public enum RunState: String, Sendable, Hashable, CaseIterable {
        /// A job is in progress (its worker's lease is alive).
        case running
        /// Every job is done.
        case finished
        /// Nothing runs and a job failed, was blocked or was lost.
        case failed
        /// Nothing runs, nothing failed, and a job was interrupted (a cancelled run).
        case interrupted
        /// Nothing runs, nothing failed or was interrupted, but some jobs have not run (a run stopped early, or
        /// workers of a plan directory not started yet).
        case incomplete
        /// Pushed, and no worker ever took a job.
        case pushed
        /// The namespace has no jobs.
        case empty
        /// The namespace could not be read (another schema version, a corrupt record).
        case unreadable

        /// The state of a namespace whose jobs are in `states`.
        /// - Parameters:
        ///   - states: How many jobs are in each state.
        ///   - started: Whether a worker ever took one of its jobs.
        public init(states: [JobState: Int], started: Bool) {
            func any(_ state: JobState) -> Bool { (states[state] ?? 0) > 0 }
            let total = states.values.reduce(0, +)
            if any(.inProgress) {
                self = .running
            } else if total == 0 {
                self = .empty
            } else if states[.done] == total {
                self = .finished
            } else if any(.failed) || any(.blocked) || any(.lost) {
                self = .failed
            } else if any(.interrupted) {
                self = .interrupted
            } else {
                self = started || any(.done) ? .incomplete : .pushed
            }
        }
    }

    /// One namespace.
    public struct Row: Sendable, Hashable {
        /// The namespace.
        public var namespace: String
        /// Where it stands.
        public var state: RunState
        /// Jobs by state (empty when unreadable).
        public var states: [JobState: Int]
        /// How many jobs it has.
        public var jobs: Int
        /// When a worker first took one of its jobs.
        public var start: Double?
        /// When a worker last wrote to it; `nil` while it runs.
        public var end: Double?
        /// When its graph was last pushed with changes.
        public var pushed: Double?
        /// Why it could not be read, when unreadable.
        public var problem: String?

        /// Jobs done.
        public var done: Int { states[.done] ?? 0 }
        /// Jobs failed (blocked and lost ones are counted apart).
        public var failed: Int { states[.failed] ?? 0 }

        /// When it last changed, for the order of the listing.
        var recency: Double { end ?? (state == .running ? .infinity : (pushed ?? start ?? -.infinity)) }
    }

    /// The namespaces, the most recent first (running ones first of all), then by name.
    public let rows: [Row]

    /// The listing of `summaries` and of the namespaces that could not be read (name and why).
    public init(_ summaries: [NamespaceSummary], unreadable: [(namespace: String, problem: String)] = []) {
        var rows = summaries.map { summary in
            let state = RunState(states: summary.states, started: summary.firstSeen != nil)
            return Row(
                namespace: summary.namespace, state: state, states: summary.states, jobs: summary.jobCount,
                start: summary.firstSeen?.secondsSince1970,
                end: state == .running ? nil : summary.lastSeen?.secondsSince1970,
                pushed: (summary.metadata.pushed ?? summary.metadata.created)?.secondsSince1970, problem: nil)
        }
        rows += unreadable.map {
            Row(
                namespace: $0.namespace, state: .unreadable, states: [:], jobs: 0, start: nil, end: nil, pushed: nil,
                problem: $0.problem)
        }
        self.rows = rows.sorted { lhs, rhs in
            lhs.recency != rhs.recency ? lhs.recency > rhs.recency : lhs.namespace < rhs.namespace
        }
    }

    /// The format name of `clustmake runs --json`.
    public static let jsonFormat = "clustmake-runs/1"

    /// The listing for people: one row per namespace.
    /// - Parameter place: Where the namespaces are (`redis at ENDPOINT`), for the heading.
    public func text(place: String) -> String {
        guard !rows.isEmpty else {
            return "clustmake runs: no namespace in \(place); `clustmake run JOBS` or `clustmake push JOBS` makes one\n"
        }
        var text = "clustmake runs: \(Format.count(rows.count, "namespace")) in \(place), the most recent first\n"
        var table = TextTable(["namespace", "state", "done>", "failed>", "jobs>", "start", "end"])
        for row in rows {
            table.append([
                row.namespace, row.state.rawValue, String(row.done), String(row.failed), String(row.jobs),
                row.start.map(Format.iso8601) ?? "-", row.end.map(Format.iso8601) ?? "-",
            ])
        }
        text += table.render()
        for row in rows {
            if let problem = row.problem { text += "  \(row.namespace): \(problem)\n" }
        }
        return text
    }

    /// The listing as one JSON document (`clustmake runs --json`, docs/collector.md).
    public func json() -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("format", Self.jsonFormat)
        writer.member("runs", objects: rows) { writer, row in
            writer.member("namespace", row.namespace)
            writer.member("state", row.state.rawValue)
            writer.member("done", row.done)
            writer.member("failed", row.failed)
            writer.member("jobs", row.jobs)
            writer.member("states", counts: JobState.allCases.map { ($0.rawValue, row.states[$0] ?? 0) })
            writer.member("start", time: row.start)
            writer.member("end", time: row.end)
            writer.member("pushed", time: row.pushed)
            writer.member("problem", row.problem)
        }
        writer.endObject()
        return writer.takeBytes() + [UInt8(ascii: "\n")]
    }
}
