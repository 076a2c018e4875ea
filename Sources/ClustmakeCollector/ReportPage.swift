import ClustmakeJSON
import ClustmakeModel

/// `clustmake report`: one self-contained HTML page (no network fetches; its content security policy forbids
/// them) with a summary, a timeline with one row per host lane and one bar per attempt coloured by outcome, the
/// critical path actually taken, the planned schedule against the actual one, per-host utilisation and the
/// failures.
///
/// The data goes into the page as one JSON document; the page's script draws the timelines on canvases (one
/// `fillRect` per bar, no DOM node per attempt), so it stays usable at 100,000 attempts. The page's markup, style
/// and script are ``ReportTemplate``.
public struct ReportPage: Sendable {
    /// A failed job for the failures table.
    public struct Failure: Sendable, Hashable {
        public var job: String
        public var state: String
        public var attempt: Int?
        public var host: String?
        public var reason: String?
        public var lastStderrLine: String?

        public init(
            job: String, state: String, attempt: Int?, host: String?, reason: String?, lastStderrLine: String?
        ) {
            self.job = job
            self.state = state
            self.attempt = attempt
            self.host = host
            self.reason = reason
            self.lastStderrLine = lastStderrLine
        }
    }

    /// How many failures the table lists; the rest are counted.
    public static let failureLimit = 500

    let history: RunHistory
    let statistics: RunStatistics
    let plan: PlannedRun?
    let failures: [Failure]

    /// A report of `history`.
    /// - Parameters:
    ///   - history: The run.
    ///   - statistics: Its statistics (computed with `plan`).
    ///   - plan: The plan it ran, for planned against actual.
    ///   - failures: The failed jobs to list (``RunStatus/failed``, with their last stderr lines).
    public init(history: RunHistory, statistics: RunStatistics, plan: PlannedRun?, failures: [Failure]) {
        self.history = history
        self.statistics = statistics
        self.plan = plan
        self.failures = failures
    }

    /// The page, in pieces, to `sink`.
    public func write<Failure: Error>(to sink: ([UInt8]) throws(Failure) -> Void) throws(Failure) {
        let title = "clustmake report: \(history.namespace)"
        try sink(Array(ReportTemplate.head(title: Self.escapeHTML(title)).utf8))
        var data = dataJSON()
        // The data sits in a <script> element: no "<" may appear in it ("</script>", "<!--"). In JSON a "<" can only
        // be inside a string, where "\u003c" means the same.
        var escaped: [UInt8] = []
        escaped.reserveCapacity(data.count + 64)
        for byte in data {
            if byte == UInt8(ascii: "<") {
                escaped.append(contentsOf: Array("\\u003c".utf8))
            } else {
                escaped.append(byte)
            }
        }
        data = []
        try sink(escaped)
        try sink(Array(ReportTemplate.tail.utf8))
    }

    /// The whole page as bytes.
    public func bytes() -> [UInt8] {
        var result: [UInt8] = []
        write { result += $0 }
        return result
    }

    /// Outcome codes of the page's script, in the order of its colours.
    static let outcomeNames = ["succeeded", "failed", "interrupted", "lost", "running", "did not count"]

    static func outcomeCode(_ attempt: Attempt) -> Int {
        switch attempt.outcome {
        case .succeeded: attempt.counted ? 0 : 5
        case .failed: 1
        case .interrupted: 2
        case .lost: 3
        case .running: 4
        }
    }

    /// Seconds rounded to milliseconds, as the page reads times.
    static func millis(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }

    func dataJSON() -> [UInt8] {
        let attempts = history.attempts
        let run = statistics.run
        let origin = run.start ?? history.now
        var writer = JSONWriter(reservingCapacity: 64 + attempts.count * 48)
        writer.beginObject()
        writer.member("namespace", history.namespace)
        writer.member("generated", time: history.now)
        writer.member("start", time: run.start)
        writer.key("summary")
        writer.beginArray()
        for (label, value) in summary() {
            writer.beginArray()
            writer.string(label)
            writer.string(value)
            writer.endArray()
        }
        writer.endArray()
        writer.member("outcomes", array: Self.outcomeNames)

        // The actual timeline.
        let (labels, firstRow) = statistics.lanes.rows()
        writer.member("rows", array: labels)
        writer.member("jobs", array: history.jobs.lazy.map(\.id))
        writer.key("attempts")
        writer.beginObject()
        writer.member("job", array: attempts.lazy.map(\.job))
        writer.member("number", array: attempts.lazy.map(\.number))
        writer.key("row")
        writer.beginArray()
        for (index, attempt) in attempts.enumerated() {
            writer.int((firstRow[attempt.host] ?? 0) + statistics.lanes.lane[index])
        }
        writer.endArray()
        writer.member("start", array: attempts.lazy.map { attempt in Self.millis(attempt.start - origin) })
        writer.member(
            "end", array: attempts.lazy.map { attempt in Self.millis(attempt.end(now: history.now) - origin) })
        writer.member("outcome", array: attempts.lazy.map { attempt in Self.outcomeCode(attempt) })
        writer.key("reasons")
        writer.beginObject()
        for (index, attempt) in attempts.enumerated() {
            if let reason = attempt.reason, attempt.isBad { writer.member(String(index), reason) }
        }
        writer.endObject()
        writer.endObject()
        writer.member("critical", array: statistics.criticalPath.lazy.map(\.attempt))

        // The planned timeline.
        writer.key("planned")
        if let plan {
            var rows: [String] = []
            var rowOf: [String: Int] = [:]
            for host in plan.hosts where host.slots > 0 {
                rowOf[host.name] = rows.count
                for slot in 0..<host.slots { rows.append(Lanes.label(host: host.name, lane: slot)) }
            }
            let placed = plan.jobs.filter { rowOf[$0.host] != nil }
            var indexByID: [String: Int] = [:]
            for (index, job) in placed.enumerated() { indexByID[job.id] = index }
            writer.beginObject()
            writer.member("makespan", seconds: plan.makespan)
            writer.member("lowerBound", seconds: plan.lowerBound)
            writer.member("rows", array: rows)
            writer.member("job", array: placed.lazy.map(\.id))
            writer.member("row", array: placed.lazy.map { job in rowOf[job.host]! + job.slot })
            writer.member("start", array: placed.lazy.map { job in Self.millis(job.start) })
            writer.member("end", array: placed.lazy.map { job in Self.millis(job.end) })
            writer.key("critical")
            writer.beginArray()
            for id in plan.criticalPath { if let index = indexByID[id] { writer.int(index) } }
            writer.endArray()
            writer.endObject()
        } else {
            writer.null()
        }

        writer.member("hosts", objects: statistics.hosts) { writer, host in
            writer.member("host", host.name)
            writer.member("lanes", host.lanes)
            writer.member("slots", host.plannedSlots)
            writer.member("jobs", host.jobs)
            writer.member("attempts", host.attempts)
            writer.member("failures", host.failures)
            writer.member("busy", Format.duration(host.busy))
            writer.member("utilisation", ratio: host.utilisation)
            writer.member("plannedJobs", host.plannedJobs)
            writer.member("plannedBusy", host.plannedBusy.map(Format.duration))
        }

        writer.key("slowest")
        writer.beginArray()
        for index in statistics.slowest {
            let job = statistics.jobs[index]
            writer.beginObject()
            writer.member("job", history.jobs[job.index].id)
            writer.member("host", job.host)
            writer.member("runtime", job.runtime.map(Format.duration))
            writer.member("cpu", job.cpu.map(Format.duration))
            writer.member("rss", job.peakRSS.map(Format.bytes))
            writer.member("attempts", job.attempts)
            writer.endObject()
        }
        writer.endArray()

        writer.member("failureCount", failures.count)
        writer.member("failureNote", failureNote())
        writer.member("failures", objects: failures.prefix(Self.failureLimit)) { writer, failure in
            writer.member("job", failure.job)
            writer.member("state", failure.state)
            writer.member("attempt", failure.attempt)
            writer.member("host", failure.host)
            writer.member("reason", failure.reason)
            writer.member("stderr", failure.lastStderrLine)
        }
        writer.endObject()
        return writer.takeBytes()
    }

    /// The summary's label, value pairs.
    func summary() -> [(String, String)] {
        let run = statistics.run
        var lines: [(String, String)] = []
        let states = RunStatistics.counts(JobState.allCases.map { ($0.rawValue, run.states[$0] ?? 0) })
        lines.append(("Jobs", "\(run.jobs)" + (states.isEmpty ? "" : " (\(states))")))
        let outcomes = RunStatistics.counts(AttemptState.allCases.map { ($0.rawValue, run.outcomes[$0] ?? 0) })
        lines.append(
            (
                "Attempts",
                "\(run.attempts)" + (outcomes.isEmpty ? "" : " (\(outcomes))") + ", "
                    + Format.count(run.retries, "retry", plural: "retries")
            ))
        if let start = run.start, let end = run.end {
            lines.append(
                ("Wall time", "\(Format.duration(run.wallTime)) (\(Format.iso8601(start)) to \(Format.iso8601(end)))"))
        }
        lines.append(("Cumulative wall time", Format.duration(run.cumulativeWallTime)))
        lines.append(("Cumulative CPU time", Format.duration(run.cumulativeCPU)))
        let share = run.cumulativeWallTime > 0 ? " (\(Format.percent(run.badput / run.cumulativeWallTime)))" : ""
        lines.append(("Badput", Format.duration(run.badput) + share))
        if let utilisation = run.utilisation {
            lines.append(
                (
                    "Utilisation",
                    "\(Format.percent(utilisation)) of \(Format.count(run.capacity, plan == nil ? "lane" : "slot"))"
                ))
        }
        if let comparison = statistics.plan {
            lines.append(
                (
                    "Makespan",
                    "\(Format.duration(run.wallTime)), planned \(Format.duration(comparison.makespan))"
                        + RunStatistics.ratio(run.wallTime, comparison.makespan)
                ))
            lines.append(
                (
                    "Lower bound",
                    "\(Format.duration(comparison.lowerBound)) planned, "
                        + "\(Format.duration(run.measuredLowerBound)) from measured runtimes"
                ))
            lines.append(
                (
                    "Planned critical path",
                    "\(Format.count(comparison.criticalPath.count, "job")), "
                        + "\(Format.duration(comparison.criticalPathPlanned)) planned, "
                        + (comparison.criticalPathMeasured.map { Format.duration($0) + " measured" }
                            ?? "not all measured")
                ))
            if comparison.movedJobs > 0 {
                lines.append(("Moved jobs", "\(comparison.movedJobs) ran elsewhere than planned"))
            }
        } else {
            lines.append(("Makespan", Format.duration(run.wallTime)))
            lines.append(("Lower bound", "\(Format.duration(run.measuredLowerBound)) from measured runtimes"))
            lines.append(("Plan", "not given: run clustmake report --plan DIR to compare with the plan"))
        }
        if !statistics.criticalPath.isEmpty {
            let running = statistics.criticalPath.reduce(0.0) {
                $0 + history.attempts[$1.attempt].duration(now: history.now)
            }
            let waiting = statistics.criticalPath.reduce(0.0) { $0 + $1.wait }
            lines.append(
                (
                    "Critical path taken",
                    "\(Format.count(statistics.criticalPath.count, "attempt")), \(Format.duration(running)) "
                        + "running, \(Format.duration(waiting)) waiting"
                ))
        }
        return lines
    }

    /// The sentence above the failures' table: how many jobs failed, were interrupted or were lost, and how many are
    /// listed.
    func failureNote() -> String {
        let count = failures.count
        if count == 0 { return "No job failed, was interrupted or was lost." }
        let listed = min(count, Self.failureLimit)
        return Format.count(count, "job")
            + (count == 1 ? " failed, was interrupted or was lost" : " failed, were interrupted or were lost")
            + (count > listed
                ? "; the first \(listed) are listed (all of them: clustmake status --json)." : ".")
    }

    /// `text` with `& < > " '` escaped for HTML.
    static func escapeHTML(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
