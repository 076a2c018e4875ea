import ClustmakeJSON
import ClustmakeModel

/// Every attempt of a run in one of four formats (`clustmake results`; docs/collector.md has the columns): JSON,
/// TSV, GNU parallel's `--joblog` and Nextflow's trace.
public struct AttemptListing: Sendable {
    /// The output formats.
    public enum OutputFormat: String, Sendable, CaseIterable {
        /// One JSON document with every field of every attempt.
        case json
        /// Tab-separated values with a header: every field of every attempt, one attempt a line.
        case tsv
        /// GNU parallel's `--joblog`: `Seq Host Starttime JobRuntime Send Receive Exitval Signal Command`.
        case joblog
        /// Nextflow's trace file, the columns that apply.
        case trace
    }

    /// The format name of `clustmake results --format json`.
    public static let jsonFormat = "clustmake-results/1"
    /// GNU parallel's joblog header.
    public static let joblogHeader = [
        "Seq", "Host", "Starttime", "JobRuntime", "Send", "Receive", "Exitval", "Signal", "Command",
    ]
    /// The trace columns written, in Nextflow's names.
    public static let traceColumns = [
        "task_id", "name", "status", "exit", "submit", "start", "complete", "duration", "realtime", "%cpu", "peak_rss",
        "hostname",
    ]
    /// The TSV columns.
    public static let tsvColumns = [
        "job", "attempt", "state", "counted", "host", "lane", "nodename", "started", "ended", "wall_time", "user_cpu",
        "system_cpu", "max_rss", "exit_status", "signal", "timed_out", "stdout_bytes", "stderr_bytes", "queue_delay",
        "reason",
    ]

    let history: RunHistory
    let lanes: Lanes
    let timings: AttemptTimings

    /// A listing of the attempts of `history`.
    public init(_ history: RunHistory) {
        self.history = history
        lanes = Lanes(history)
        timings = AttemptTimings(history)
    }

    /// Writes the listing in pieces to `sink`.
    /// - Parameters:
    ///   - format: The format.
    ///   - raw: For `trace`: numbers as Nextflow's `trace.raw` writes them (milliseconds, bytes).
    ///   - sink: Receives the bytes, in order.
    public func write<Failure: Error>(
        _ format: OutputFormat, raw: Bool = false, to sink: ([UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        switch format {
        case .json: try writeJSON(to: sink)
        case .tsv, .joblog, .trace: try writeLines(format, raw: raw, to: sink)
        }
    }

    private func writeLines<Failure: Error>(
        _ format: OutputFormat, raw: Bool, to sink: ([UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 16)
        func line(_ cells: [String]) throws(Failure) {
            var first = true
            for cell in cells {
                if !first { buffer.append(UInt8(ascii: "\t")) }
                first = false
                buffer.append(contentsOf: cell.utf8)
            }
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 1 << 20 {
                try sink(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        switch format {
        case .tsv: try line(Self.tsvColumns)
        case .joblog: try line(Self.joblogHeader)
        case .trace: try line(Self.traceColumns)
        case .json: break
        }
        for (index, attempt) in history.attempts.enumerated() {
            switch format {
            case .tsv: try line(tsvRow(index, attempt))
            case .joblog: if attempt.outcome != .running { try line(joblogRow(attempt)) }
            case .trace: try line(traceRow(index, attempt, raw: raw))
            case .json: break
            }
        }
        try sink(buffer)
    }

    // MARK: - TSV

    private func tsvRow(_ index: Int, _ attempt: Attempt) -> [String] {
        func number(_ value: Double?) -> String { value.map { Format.fixed($0, 6) } ?? "" }
        func whole(_ value: Int?) -> String { value.map(String.init) ?? "" }
        return [
            history.jobs[attempt.job].id, String(attempt.number), attempt.outcome.rawValue, attempt.counted ? "1" : "0",
            attempt.host, Lanes.label(host: attempt.host, lane: lanes.lane[index]), Self.cell(attempt.nodename ?? ""),
            Format.iso8601(attempt.start),
            attempt.ended.map(Format.iso8601) ?? "", number(attempt.wallTime),
            number(attempt.userCPU), number(attempt.systemCPU), attempt.maxRSS.map(String.init) ?? "",
            whole(attempt.exitStatus), whole(attempt.signal), attempt.timedOut ? "1" : "0", whole(attempt.stdoutBytes),
            whole(attempt.stderrBytes), number(timings.queueDelay(index, in: history)), Self.cell(attempt.reason ?? ""),
        ]
    }

    /// A value made safe for one TSV cell: tabs, newlines and carriage returns become spaces.
    static func cell(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }

    // MARK: - Joblog

    /// Exitval and Signal as GNU parallel records them: the exit status and 0 for a command that exited; 0 and
    /// the signal for one a signal ended; -1 and the signal (or 0) for one stopped at its timeout; -1 and 0 when
    /// there is neither (lost, or never started). A line counts as done for `--resume-failed` only when both are 0.
    public static func joblogExit(_ attempt: Attempt) -> (exit: Int, signal: Int) {
        if attempt.timedOut { return (-1, attempt.signal ?? 0) }
        if attempt.outcome == .lost { return (-1, 0) }
        if let signal = attempt.signal { return (attempt.exitStatus ?? 0, signal) }
        if let status = attempt.exitStatus {
            // An interrupted attempt whose command still exited 0 did not complete: it must not read as done.
            if status == 0 && attempt.outcome != .succeeded { return (-1, 0) }
            return (status, 0)
        }
        return (-1, 0)
    }

    private func joblogRow(_ attempt: Attempt) -> [String] {
        let (exit, signal) = Self.joblogExit(attempt)
        let runtime = Format.padLeft(
            Format.fixed(attempt.duration(now: history.now), 3), 10)
        let received = (attempt.stdoutBytes ?? 0) + (attempt.stderrBytes ?? 0)
        // parallel writes newlines of a command as NUL so that every job is one line.
        let command = String(history.jobs[attempt.job].command.map { $0 == "\n" ? "\0" : $0 })
        return [
            String(attempt.job + 1), attempt.host, Format.epoch(attempt.start), runtime, "0",
            String(received), String(exit), String(signal), command,
        ]
    }

    // MARK: - Trace

    private func traceRow(_ index: Int, _ attempt: Attempt, raw: Bool) -> [String] {
        let status: String
        switch attempt.outcome {
        case .succeeded: status = "COMPLETED"
        case .failed: status = "FAILED"
        case .interrupted, .lost: status = "ABORTED"
        case .running: status = "RUNNING"
        }
        let exit = attempt.exitStatus.map(String.init) ?? attempt.signal.map { String(128 + $0) } ?? "-"
        let submit = timings.ready[index]
        let complete = attempt.outcome == .running ? nil : attempt.ended
        let realtime = attempt.outcome == .running ? nil : attempt.duration(now: history.now)
        let cpu = realtime.flatMap { time in attempt.cpu.map { time > 0 ? $0 / time * 100 : 0 } }
        func date(_ value: Double?) -> String {
            guard let value else { return "-" }
            return raw ? (value * 1000).roundedInt64.map { String($0) } ?? "-" : Self.traceDate(value)
        }
        func time(_ value: Double?) -> String {
            guard let value else { return "-" }
            let millis = (max(0, value) * 1000).roundedInt64 ?? 0
            return raw ? String(millis) : Self.traceDuration(milliseconds: millis)
        }
        let memory = attempt.maxRSS.map { raw ? String($0) : Self.traceMemory($0) } ?? "-"
        let percent = cpu.map { raw ? Format.fixed($0, 1) : Format.fixed($0, 1) + "%" }
        return [
            String(index + 1), history.jobs[attempt.job].id, status, exit, date(submit), date(attempt.start),
            date(complete), time(complete.map { $0 - submit }), time(realtime), percent ?? "-", memory, attempt.host,
        ]
    }

    /// Nextflow's trace timestamps, `2025-03-01 12:00:05.250`, in UTC.
    static func traceDate(_ seconds: Double) -> String {
        let iso = Format.iso8601(seconds)
        return String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(12))
    }

    /// Nextflow's durations: `850ms`, `4.2s`, `1m 3s`, `2h 5m`, `1d 3h 2s`.
    static func traceDuration(milliseconds: Int64) -> String {
        if milliseconds < 1000 { return "\(milliseconds)ms" }
        if milliseconds < 60_000 {
            let tenths = (milliseconds + 50) / 100
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        var seconds = (milliseconds + 500) / 1000
        var parts: [String] = []
        let days = seconds / 86400
        seconds %= 86400
        let hours = seconds / 3600
        seconds %= 3600
        let minutes = seconds / 60
        seconds %= 60
        if days > 0 { parts.append("\(days)d") }
        if hours > 0 { parts.append("\(hours)h") }
        if minutes > 0 { parts.append("\(minutes)m") }
        if seconds > 0 { parts.append("\(seconds)s") }
        return parts.joined(separator: " ")
    }

    /// Nextflow's memory sizes: `0`, `512 B`, `4 MB`, `3.5 GB` (powers of 1024, at most one decimal).
    static func traceMemory(_ bytes: UInt64) -> String {
        guard bytes > 0 else { return "0" }
        let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        var text = Format.fixed(value, 1)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text + " " + units[unit]
    }

    // MARK: - JSON

    private func writeJSON<Failure: Error>(to sink: ([UInt8]) throws(Failure) -> Void) throws(Failure) {
        var writer = JSONWriter(reservingCapacity: 1 << 16)
        writer.beginObject()
        writer.member("format", Self.jsonFormat)
        writer.member("namespace", history.namespace)
        writer.member("read_at", time: history.now)
        writer.key("attempts")
        writer.beginArray()
        for (index, attempt) in history.attempts.enumerated() {
            let job = history.jobs[attempt.job]
            writer.beginObject()
            writer.member("seq", attempt.job + 1)
            writer.member("job", job.id)
            writer.member("attempt", attempt.number)
            writer.member("state", attempt.outcome.rawValue)
            writer.member("counted", attempt.counted)
            writer.member("host", attempt.host)
            writer.member("lane", Lanes.label(host: attempt.host, lane: lanes.lane[index]))
            writer.member("nodename", attempt.nodename)
            writer.member("ready", time: timings.ready[index])
            writer.member("started", time: attempt.start)
            writer.member("ended", time: attempt.ended)
            writer.member("wall_time", seconds: attempt.wallTime)
            writer.member("user_cpu", seconds: attempt.userCPU)
            writer.member("system_cpu", seconds: attempt.systemCPU)
            writer.member("max_rss", attempt.maxRSS)
            writer.member("exit_status", attempt.exitStatus)
            writer.member("signal", attempt.signal)
            writer.member("timed_out", attempt.timedOut)
            writer.member("stdout_bytes", attempt.stdoutBytes)
            writer.member("stderr_bytes", attempt.stderrBytes)
            writer.member("queue_delay", seconds: timings.queueDelay(index, in: history))
            writer.member("reason", attempt.reason)
            writer.member("command", job.command)
            writer.endObject()
            if writer.bytes.count >= 1 << 20 { try sink(writer.takeBytes()) }
        }
        writer.endArray()
        writer.endObject()
        try sink(writer.takeBytes() + [UInt8(ascii: "\n")])
    }
}
