import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScheduler
import ClustmakeStore

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

    /// Shows one event: a line on standard error, or a JSON object on standard output.
    func event(_ event: RunEvent, elapsed: Double) {
        switch mode {
        case .json:
            Self.write(1, Self.json(event, elapsed: elapsed))
        case .plain:
            Self.write(2, Self.line(event, elapsed: elapsed))
        case .terminal:
            clearProgress()
            Self.write(2, Self.line(event, elapsed: elapsed))
            lastProgress = -1
        }
    }

    /// The event as a line for people: `clustmake: [m:ss] text` and a newline.
    static func line(_ event: RunEvent, elapsed: Double) -> String {
        "clustmake: [\(Format.clock(elapsed))] \(text(event))\n"
    }

    /// The event as one JSON object and a newline: `event`, `elapsed_ms`, then its fields.
    static func json(_ event: RunEvent, elapsed: Double) -> String {
        var object = JSONObject()
        object["event"] = .string(event.name)
        object["elapsed_ms"] = .int(Int64((elapsed * 1000).rounded()))
        for (key, value) in fields(event) { object[key] = value }
        return JSONValue.object(object).serialized() + "\n"
    }

    /// What people read about the event.
    static func text(_ event: RunEvent) -> String {
        switch event {
        case .runStarted(let namespace, let jobs, let hosts, let slots, let done, let adopted):
            "running \(Format.count(jobs, "job")) on \(Format.count(hosts, "host")) (\(Format.count(slots, "slot"))), "
                + "namespace \(namespace)" + (done > 0 ? "; \(done) done already" : "")
                + (adopted > 0 ? "; \(adopted) running elsewhere, waited for" : "")
        case .graphChanged(let kind, let jobs):
            "the graph differs from the one in redis: " + PushReport.Change(kind: kind, jobs: jobs).line()
        case .graphWritten(let jobs): "all \(Format.count(jobs, "job")) of the graph are in redis"
        case .graphNotWritten(let error, let stopped):
            stopped
                ? "the run's push stopped: \(error)"
                : "the graph could not be written to redis: \(error); the run stops"
        case .planTooLarge(let limit):
            "the plan is larger than redis keeps (\(limit >> 20) MiB); "
                + "compare with it through `clustmake plan -o DIR` and `clustmake stats --plan DIR`"
        case .planNotKept(let error): "the plan was not kept in redis: \(error)"
        case .runCancelling(let lines):
            "stopping: no more jobs start; stopping \(Format.count(lines, "running line")) (again to kill them)"
        case .runLeaseTakenOver(let host, let pid, let expiredFor):
            "took over the namespace's lease in redis from an earlier run (pid \(pid) on \(host)), "
                + (expiredFor.map { "which expired \(Format.seconds(max(0, $0))) ago" }
                    ?? "which no longer runs on this machine")
        case .runLeaseLost(let host, let pid):
            "another run (pid \(pid) on \(host)) holds the namespace's lease in redis now; this run stops"
        case .lineStarted(let jobs, let host, let slot, let ahead):
            "started \(shown(jobs)) on \(host) slot \(slot)\(ahead ? " (sent ahead)" : "")"
        case .jobsDone(let jobs, let host): "done \(shown(jobs)) on \(host)"
        case .doneElsewhere(let job, _): "done \(job) (under an earlier worker)"
        case .jobFailed(let job, let host, let reason, let retrying):
            "\(job) failed on \(host): \(reason)" + (retrying ? " (trying again)" : "")
        case .jobGivenUp(let job, let reason): "\(job) failed: \(reason)"
        case .jobRequeued(let job, let host, let reason):
            "\(job) lost its host \(host) (\(reason)); running it elsewhere"
        case .jobInterrupted(let job, let host): "\(job) interrupted on \(host)"
        case .jobElsewhere(let job): "\(job) is running under another worker; waiting for it"
        case .outcomeUnread(let jobs, let host):
            "the line of \(jobs.prefix(5).joined(separator: ", "))\(jobs.count > 5 ? ", …" : "") ended on \(host), but "
                + "redis did not answer: waiting for redis to say how \(jobs.count == 1 ? "it" : "they") ended"
        case .jobsBlocked(let jobs, let dependency, _):
            "\(Format.count(jobs.count, "job")) blocked by \(dependency): "
                + jobs.prefix(5).joined(separator: ", ") + (jobs.count > 5 ? ", …" : "")
        case .hostConnected(let host, let masters):
            "connected to \(host) (\(masters) ssh master" + (masters == 1 ? ")" : "s)")
        case .hostQuarantined(let host, let reason, let probeIn):
            "host \(host) failed (\(reason)); probing it again in " + Format.seconds(max(0, probeIn))
        case .hostRestored(let host): "host \(host) answers again"
        case .runFinished: "run over"
        }
    }

    /// The event's fields in its JSON object (after `event` and `elapsed_ms`).
    static func fields(_ event: RunEvent) -> [(String, JSONValue)] {
        switch event {
        case .runStarted(let namespace, let jobs, _, _, let done, let adopted):
            [
                ("namespace", .string(namespace)), ("jobs", .int(Int64(jobs))), ("done", .int(Int64(done))),
                ("adopted", .int(Int64(adopted))),
            ]
        case .graphChanged(let kind, let jobs):
            [("change", .string(kind)), ("jobs", .array(jobs.map(JSONValue.string)))]
        case .graphWritten(let jobs): [("jobs", .int(Int64(jobs)))]
        case .graphNotWritten(let error, let stopped): [("error", .string(error)), ("stopped", .bool(stopped))]
        case .planTooLarge, .planNotKept, .runCancelling: []
        case .runLeaseTakenOver(let host, let pid, _), .runLeaseLost(let host, let pid):
            [("host", .string(host)), ("pid", .int(Int64(pid)))]
        case .lineStarted(let jobs, let host, let slot, let ahead):
            [("jobs", .array(jobs.map(JSONValue.string))), ("host", .string(host)), ("slot", .int(Int64(slot)))]
                + (ahead ? [("ahead", .bool(true))] : [])
        case .jobsDone(let jobs, let host): [("jobs", .array(jobs.map(JSONValue.string))), ("host", .string(host))]
        case .doneElsewhere(let job, let host): [("jobs", .array([.string(job)])), ("host", .string(host))]
        case .jobFailed(let job, let host, let reason, _), .jobRequeued(let job, let host, let reason):
            [("job", .string(job)), ("host", .string(host)), ("reason", .string(reason))]
        case .jobGivenUp(let job, let reason): [("job", .string(job)), ("reason", .string(reason))]
        case .jobInterrupted(let job, let host): [("job", .string(job)), ("host", .string(host))]
        case .jobElsewhere(let job): [("job", .string(job))]
        case .outcomeUnread(let jobs, let host):
            [("jobs", .array(jobs.map(JSONValue.string))), ("host", .string(host))]
        case .jobsBlocked(let jobs, let dependency, let recorded):
            [
                ("jobs", .array(jobs.map(JSONValue.string))), ("dependency", .string(dependency)),
                ("recorded", .int(Int64(recorded))),
            ]
        case .hostConnected(let host, _), .hostRestored(let host): [("host", .string(host))]
        case .hostQuarantined(let host, let reason, _): [("host", .string(host)), ("reason", .string(reason))]
        case .runFinished(let exit, let counts, let total, let wallTime):
            [
                ("exit", .int(Int64(exit))), ("done", .int(Int64(counts.done))),
                ("failed", .int(Int64(counts.failed))), ("blocked", .int(Int64(counts.blocked))),
                ("interrupted", .int(Int64(counts.interrupted))), ("total", .int(Int64(total))),
                ("wall_time_ms", .int(Int64((wallTime * 1000).rounded()))),
            ]
        }
    }

    /// Up to three job ids, else the first and how many more.
    private static func shown(_ jobs: [String]) -> String {
        jobs.count <= 3 ? jobs.joined(separator: " ") : "\(jobs[0]) and \(jobs.count - 1) more"
    }

    /// Shows the live progress line (terminal only; at most 10 times a second, and only when it changed).
    func progress(_ scheduler: Scheduler, elapsed: Double, eta estimate: () -> Double?) {
        guard mode == .terminal, elapsed - lastProgress >= 0.1 else { return }
        lastProgress = elapsed
        let line = Self.progressLine(scheduler, elapsed: elapsed, eta: estimate())
        guard line != lastLine || !progressShown else { return }
        lastLine = line
        Self.write(2, "\r\u{1B}[K" + line)
        progressShown = true
    }

    /// The progress line: jobs done, running, sent ahead (look-ahead lines not started yet), failed and blocked;
    /// busy slots of the first six hosts (`~` still connecting, `!` out of use); elapsed time and the estimate of
    /// what is left.
    static func progressLine(_ scheduler: Scheduler, elapsed: Double, eta: Double?) -> String {
        let counts = scheduler.jobCounts
        let total = scheduler.plan.graph.count
        let queued = scheduler.queuedJobCount
        var line = "\(counts.done)/\(total) done, \(counts.running - queued + counts.elsewhere) running"
        if queued > 0 { line += ", \(queued) sent ahead" }
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
        return line
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
