import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScheduler

#if canImport(Glibc)
    import Glibc
#endif

/// How a run reports what happens.
public enum RunOutputMode: String, Sendable, Hashable, CaseIterable {
    /// A live progress line on standard error (a terminal).
    case terminal
    /// One plain line per event on standard error.
    case plain
    /// One JSON object per event on standard output.
    case json

    /// The progress line on a terminal, plain lines otherwise.
    public static var automatic: RunOutputMode { isatty(2) != 0 ? .terminal : .plain }
}

/// Writes a run's events and progress.
final class RunOutput {
    let mode: RunOutputMode
    private var lastProgress = -1.0
    private var progressShown = false
    private var lastLine = ""

    init(mode: RunOutputMode) {
        self.mode = mode
    }

    /// One event: `text` for people, `fields` for `--json` (with `event` and `elapsed` added).
    func event(_ name: String, elapsed: Double, text: String, fields: [(String, JSONValue)] = []) {
        switch mode {
        case .json:
            var object = JSONObject()
            object["event"] = .string(name)
            object["elapsed_ms"] = .int(Int64((elapsed * 1000).rounded()))
            for (key, value) in fields { object[key] = value }
            Self.write(1, JSONValue.object(object).serialized() + "\n")
        case .plain:
            Self.write(2, "clustmake: [\(Format.clock(elapsed))] \(text)\n")
        case .terminal:
            clearProgress()
            Self.write(2, "clustmake: [\(Format.clock(elapsed))] \(text)\n")
            lastProgress = -1
        }
    }

    /// The live progress line (terminal only; at most 10 times a second unless `force`).
    func progress(_ scheduler: Scheduler, elapsed: Double, eta estimate: () -> Double?, force: Bool = false) {
        guard mode == .terminal, force || elapsed - lastProgress >= 0.1 else { return }
        let eta = estimate()
        lastProgress = elapsed
        let counts = scheduler.jobCounts
        let total = scheduler.plan.graph.count
        var line = "\(counts.done)/\(total) done, \(counts.running + counts.elsewhere) running"
        if counts.failed > 0 { line += ", \(counts.failed) failed" }
        if counts.blocked > 0 { line += ", \(counts.blocked) blocked" }
        let hosts = scheduler.plan.cluster.hosts.indices.map { index -> String in
            let state = scheduler.hosts[index]
            let mark = state.status == .up ? "" : state.status == .connecting ? "~" : "!"
            return "\(scheduler.plan.cluster.hosts[index].name)\(mark) \(state.busy)/\(state.slots.count)"
        }
        line += " | " + hosts.prefix(6).joined(separator: " ") + (hosts.count > 6 ? " …" : "")
        line += " | \(Format.clock(elapsed))"
        if let eta { line += ", ETA \(Format.clock(eta))" }
        guard line != lastLine || !progressShown else { return }
        lastLine = line
        Self.write(2, "\r\u{1B}[K" + line)
        progressShown = true
    }

    func clearProgress() {
        if progressShown {
            Self.write(2, "\r\u{1B}[K")
            progressShown = false
        }
    }

    static func write(_ descriptor: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes {
                Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset)
            }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            offset += count
        }
    }
}
