import ClustmakeJSON
import ClustmakeModel

extension RunStatus {
    /// The format name of `clustmake status --json`.
    public static let jsonFormat = "clustmake-status/1"

    /// The status for people (`clustmake status`).
    /// - Parameter limit: At most this many rows per list; the rest are counted.
    public func text(limit: Int = 20) -> String {
        var text = "clustmake status: namespace \(namespace), \(Format.iso8601(now))\n"
        let counts = JobState.allCases.map { "\($0.rawValue) \(states[$0] ?? 0)" }.joined(separator: "  ")
        text += "  jobs \(jobs):  \(counts)\n"
        let width = 40
        let filled = Int((doneRatio * Double(width)).rounded(.down))
        text += "  [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
        text += "\(Format.percent(doneRatio)) done\n"
        func more(_ count: Int) -> String {
            count > limit ? "  … and \(count - limit) more (all of them: --limit 0, or --json)\n" : ""
        }
        let shown = limit > 0 ? limit : Int.max
        if !running.isEmpty {
            var table = TextTable(["job", "attempt>", "host", "lane", "started", "elapsed>"])
            for entry in running.prefix(shown) {
                table.append([
                    entry.job, String(entry.attempt), entry.host, entry.lane, Format.iso8601(entry.started),
                    Format.duration(entry.elapsed),
                ])
            }
            text += "\nrunning (\(running.count))\n" + table.render() + (limit > 0 ? more(running.count) : "")
        }
        if !failed.isEmpty {
            var table = TextTable(["job", "state", "attempt>", "host", "reason", "last stderr line"])
            for entry in failed.prefix(shown) {
                table.append([
                    entry.job, entry.state.rawValue, entry.attempt.map(String.init) ?? "-", entry.host ?? "-",
                    entry.reason ?? "-", entry.lastStderrLine ?? "-",
                ])
            }
            text += "\nfailed (\(failed.count))\n" + table.render() + (limit > 0 ? more(failed.count) : "")
        }
        if !blocked.isEmpty {
            var table = TextTable(["job", "blocked by", "root cause"])
            for entry in blocked.prefix(shown) {
                table.append([entry.job, entry.blockedBy ?? "-", entry.rootCause ?? "-"])
            }
            text += "\nblocked (\(blocked.count))\n" + table.render() + (limit > 0 ? more(blocked.count) : "")
        }
        return text
    }

    /// The status as one JSON document (`clustmake status --json`; schema in docs/collector.md).
    public func json(pretty: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty)
        writer.beginObject()
        writer.member("format", Self.jsonFormat)
        writer.member("namespace", namespace)
        writer.member("read_at", time: now)
        writer.member("jobs", jobs)
        writer.member("states", counts: JobState.allCases.map { ($0.rawValue, states[$0] ?? 0) })
        writer.member("done_ratio", ratio: doneRatio)
        writer.member("running", objects: running) { writer, entry in
            writer.member("job", entry.job)
            writer.member("attempt", entry.attempt)
            writer.member("host", entry.host)
            writer.member("lane", entry.lane)
            writer.member("started", time: entry.started)
            writer.member("elapsed", seconds: entry.elapsed)
        }
        writer.member("failed", objects: failed) { writer, entry in
            writer.member("job", entry.job)
            writer.member("state", entry.state.rawValue)
            writer.member("attempt", entry.attempt)
            writer.member("host", entry.host)
            writer.member("reason", entry.reason)
            writer.member("exit_status", entry.exitStatus)
            writer.member("signal", entry.signal)
            writer.member("timed_out", entry.timedOut)
            writer.member("last_stderr_line", entry.lastStderrLine)
        }
        writer.member("blocked", objects: blocked) { writer, entry in
            writer.member("job", entry.job)
            writer.member("blocked_by", entry.blockedBy)
            writer.member("root_cause", entry.rootCause)
            writer.member("reason", entry.reason)
        }
        writeHandOff(&writer)
        writer.endObject()
        return writer.takeBytes() + [UInt8(ascii: "\n")]
    }
}
