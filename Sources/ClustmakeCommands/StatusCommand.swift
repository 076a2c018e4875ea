import ArgumentParser
import ClustmakeCollector
import ClustmakeHosts
import ClustmakeModel
import ClustmakeStore
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// `clustmake status`: where a run stands, read back from redis.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show where a run stands: jobs by state, what runs where, what failed and why.",
        discussion: """
            Lists the jobs by state; the running jobs with their host, lane and elapsed time; the failed, lost and \
            interrupted jobs with the reason and the last line of their stderr; the blocked jobs with the failed job \
            that blocks them. With --watch it refreshes in place whenever the run's event stream moves (and every \
            --interval seconds), until interrupted; never sooner than four times as long as the last refresh took \
            (a quarter of a second at least), so that it spends at most a fifth of its time reading. Without \
            --namespace: the last run started in this directory, else the only namespace in redis. With --all, \
            lists every namespace instead (clustmake runs). See docs/collector.md.
            """)

    @OptionGroup(title: "Run") var options: CollectorOptions

    @Flag(help: "Refresh in place (on a terminal) as the run goes on, until interrupted.")
    var watch = false

    @Option(
        help: ArgumentHelp(
            "With --watch, refresh at least this often, in seconds (or four times as long as a refresh takes).",
            valueName: "seconds"))
    var interval = 2.0

    @Option(help: ArgumentHelp("With --watch, stop after this many refreshes.", valueName: "n"))
    var count: Int?

    @Option(help: ArgumentHelp("List at most this many jobs per section of the text (0: all).", valueName: "n"))
    var limit = 20

    @Flag(
        help: "Print JSON for programs (format clustmake-status/1) instead of text; one line per refresh with --watch.")
    var json = false

    @Flag(help: "List every namespace in redis with its state, as clustmake runs does (format clustmake-runs/1).")
    var all = false

    func validate() throws {
        guard interval >= 0.1 && interval <= 3600 else {
            throw ValidationError("--interval must be between 0.1 and 3600 seconds, not \(interval).")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1.") }
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or more.") }
        if !watch && count != nil { throw ValidationError("--count goes with --watch.") }
        if all && (watch || options.namespace != nil) {
            throw ValidationError("--all lists every namespace once: leave out --namespace and --watch.")
        }
    }

    /// How many bytes of stderr are read to find a failed attempt's last line.
    static let stderrTailBytes = 1024

    func run() async throws {
        if all {
            try await RunsCommand.list(endpoint: try await options.endpoint(), json: json)
            return
        }
        let json = json
        let limit = json || limit == 0 ? Int.max : limit
        if !watch {
            let output = OutputFile.standardOutput()
            var (status, handOff, blocked) = try await options.withStore { store throws(StoreError) in
                let handOff = try store.handOff()
                let snapshot = try CollectorOptions.snapshot(store, Self.detail(handOff))
                return (
                    try Self.status(of: RunHistory(snapshot), in: store, stderrLines: limit), handOff,
                    Self.blockedByFailure(snapshot, handOff)
                )
            }
            var report: HandOffReport?
            if let handOff {
                report = try await Self.handOffReport(handOff, namespace: status.namespace, blocked: blocked)
            }
            status.handOff = report?.state
            try output.write(json ? status.json() : Array(status.text(limit: self.limit).utf8))
            if !json, let report { try output.write(report.text) }
            try output.close()
            return
        }
        let interval = Duration.milliseconds(Int64(self.interval * 1000))
        let refreshes = count ?? Int.max
        let textLimit = self.limit
        let end = try await options.withStore(commandTimeout: interval + .seconds(30)) {
            store throws(StoreError) -> WatchEnd in
            // The output belongs to this thread from here on.
            let output = OutputFile.standardOutput()
            let terminal = OutputFile.standardOutputIsTerminal
            var lastEvent = try store.lastEventID()
            do {
                for refresh in 0..<refreshes {
                    let started = ContinuousClock.now
                    // The hand-off from the same connection; the queue asked once per refresh.
                    let handOff = try store.handOff()
                    let snapshot = try CollectorOptions.snapshot(store, Self.detail(handOff))
                    var status = try Self.status(of: RunHistory(snapshot), in: store, stderrLines: limit)
                    var handOffText = ""
                    if let handOff {
                        let namespace = status.namespace
                        let blocked = Self.blockedByFailure(snapshot, handOff)
                        // Without a thread to block (none could be made), the queue cannot be asked: say so.
                        let report = try DedicatedThread.awaiting(
                            { () async -> Result<HandOffReport, any Error> in
                                do {
                                    return .success(
                                        try await Self.handOffReport(handOff, namespace: namespace, blocked: blocked))
                                } catch {
                                    return .failure(error)
                                }
                            }, onTask: { .failure(DedicatedThread.Failure(code: EAGAIN)) }
                        ).get()
                        status.handOff = report.state
                        handOffText = report.text
                    }
                    if json {
                        try output.write(status.json())
                    } else {
                        // Home and clear on a terminal; a blank line between refreshes otherwise.
                        try output.write(terminal ? "\u{1B}[H\u{1B}[2J" : (refresh > 0 ? "\n" : ""))
                        try output.write(status.text(limit: textLimit))
                        try output.write(handOffText)
                    }
                    try output.flush()
                    if refresh == refreshes - 1 { break }
                    // Events come every few milliseconds while a run goes on: the refreshes are spaced so that
                    // watching spends at most a fifth of its time reading (and making redis read) the namespace.
                    let ended = ContinuousClock.now
                    let gap = Self.refreshGap(took: ended - started)
                    let events = try store.waitForEvents(after: lastEvent, timeout: interval)
                    if let last = events.last { lastEvent = last.id }
                    let waited = ContinuousClock.now - ended
                    if waited < gap { blockingSleep(gap - waited) }
                }
                try output.close()
            } catch let error as StoreError {
                return .storeFailed(error)
            } catch let error as CommandFailure {
                return .outputFailed(status: error.status, message: error.message)
            } catch let error as ExitCode {
                return .outputFailed(status: error.rawValue, message: nil)
            } catch {
                return .outputFailed(status: 1, message: "\(error)")
            }
            return .finished
        }
        switch end {
        case .finished: return
        case .storeFailed(let error): throw CollectorOptions.failure(error)
        case .outputFailed(let status, let message):
            if let message { throw CommandFailure(status: status, message) }
            throw ExitCode(status)
        }
    }

    /// What `status` shows of a hand-off: the state for the JSON (`"handoff"`) and the text (`handed off: …`).
    struct HandOffReport: Sendable {
        var state: RunStatus.HandOffState
        var text: String
    }

    /// The shortest time between the end of a `--watch` refresh that took `took` and the start of the next: four
    /// times as long as it took, and a quarter of a second at least, however fast the run's events come.
    static func refreshGap(took: Duration) -> Duration {
        max(.milliseconds(250), took * 4)
    }

    /// How much of the namespace status reads: what it shows (``JobStore/SnapshotDetail/unsettledJobs``), except
    /// for a per-job SLURM hand-off, whose jobs waiting on a failed parent are found from every job's dependencies.
    static func detail(_ handOff: HandOff?) -> JobStore.SnapshotDetail {
        handOff?.target == .slurmJobs ? .everything : .unsettledJobs
    }

    /// The jobs of a per-job SLURM hand-off that wait on a failed parent: SLURM removed them from the queue
    /// (`--kill-on-invalid-dep`), so they never run and redis cannot say they are blocked. Empty for other targets.
    static func blockedByFailure(_ snapshot: NamespaceSnapshot, _ handOff: HandOff?) -> [String] {
        guard handOff?.target == .slurmJobs else { return [] }
        return HandOff.waitingOnFailure(snapshot.jobs)
    }

    /// Reads what `status` shows of a hand-off: where the plan went, when, and whether it is still there: for SLURM
    /// one `squeue -j` call, for at `atq`, for cron the crontab block; `blocked` are the jobs of a per-job SLURM
    /// hand-off that wait on a failed parent (``blockedByFailure(_:_:)``).
    static func handOffReport(_ handOff: HandOff, namespace: String, blocked: [String] = []) async throws
        -> HandOffReport
    {
        var state = RunStatus.HandOffState(record: handOff)
        var line =
            "handed off: \(handOff.target.rawValue), \(SubmitCommand.describe(handOff)), plan \(handOff.planDirectory)"
        switch handOff.target {
        case .at:
            for number in handOff.ids {
                if let queued = try await AtHandOff.queued(number) {
                    line += "\n  atq: " + queued
                } else {
                    line += "\n  at job \(number) is no longer queued: it ran (see the jobs above) or was removed"
                }
            }
        case .slurm, .slurmJobs:
            var entries: [SlurmQueue.Entry]?
            do {
                entries = try await SlurmQueue().entries(ids: handOff.ids)
            } catch {
                state.queueError = "\(error)"
            }
            state.queue = entries?.map { ($0.id, $0.state, $0.reason, $0.nodes) }
            let lines =
                handOff.target == .slurmJobs
                ? HandOff.slurmJobsQueueLines(handOff, entries: entries, error: state.queueError, blocked: blocked)
                : HandOff.queueLines(handOff, entries: entries, error: state.queueError)
            line += "\n" + lines.joined(separator: "\n")
        case .cron:
            if let entries = try await CronHandOff.entries(namespace: namespace) {
                line += "\n  in the crontab: " + entries.joined(separator: "\n  in the crontab: ")
            } else {
                line += "\n  the crontab holds no block of this namespace any more (removed by hand?)"
            }
        }
        return HandOffReport(state: state, text: line + "\n")
    }

    /// How a --watch loop ended.
    enum WatchEnd: Sendable {
        case finished
        case storeFailed(StoreError)
        case outputFailed(status: Int32, message: String?)
    }

    /// The status of a history read already, with the last stderr line of up to `stderrLines` failed jobs.
    static func status(of history: RunHistory, in store: JobStore, stderrLines: Int) throws(StoreError) -> RunStatus {
        var status = RunStatus(history)
        let wanted = Array(status.stderrToRead.prefix(stderrLines))
        let tails = try store.outputTails(
            of: wanted.map { ($0.job, $0.attempt) }, .stderr, lastBytes: stderrTailBytes)
        for (entry, tail) in zip(wanted, tails) {
            status.failed[entry.index].lastStderrLine = Format.lastLine(of: tail)
        }
        return status
    }
}
