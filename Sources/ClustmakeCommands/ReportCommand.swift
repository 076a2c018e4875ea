import ArgumentParser
import ClustmakeCollector
import ClustmakeModel
import ClustmakeStore

/// `clustmake report`: one self-contained HTML page about a run.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML report of a run: summary, timeline, critical path, plan, failures.",
        discussion: """
            The page needs no network and no other file: open it in any browser, mail it, archive it. It has a \
            summary; a timeline with one row per host lane and one bar per attempt, coloured by outcome, with the \
            critical path taken marked along the top of its bars (wheel to zoom, drag to pan, hover for details); \
            the planned schedule on the same time axis (the plan clustmake run kept in redis, or --plan DIR); \
            per-host utilisation; the slowest jobs and the failures. Timelines are drawn on canvases, so 100,000 \
            attempts stay usable. See docs/collector.md.
            """)

    @OptionGroup(title: "Run") var options: CollectorOptions

    @Option(
        help: ArgumentHelp(
            "The run's plan directory (it holds plan.json), to draw the plan against what happened (default: the plan "
                + "clustmake run kept in redis).",
            valueName: "dir"))
    var plan: String?

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var output = "report.html"

    func run() async throws {
        // The plan is decoded while the snapshot is read and the history built.
        let (history, status, planning) = try await options.withStore { [plan] store throws(StoreError) in
            let planning = try PlannedRunFile.decoding(plan, from: store)
            let history = CollectorOptions.history(try CollectorOptions.snapshot(store))
            let status = try StatusCommand.status(of: history, in: store, stderrLines: ReportPage.failureLimit)
            return (history, status, planning)
        }
        let plannedRun = try await planning.value
        let statistics = await RunStatistics(history, plan: plannedRun)
        let failures = status.failed.map {
            ReportPage.Failure(
                job: $0.job, state: $0.state.rawValue, attempt: $0.attempt, host: $0.host, reason: $0.reason,
                lastStderrLine: $0.lastStderrLine)
        }
        let page = ReportPage(history: history, statistics: statistics, plan: plannedRun, failures: failures)
        let file = try OutputFile.create(output)
        do {
            try page.write { bytes in try file.write(bytes) }
            try file.close()
        } catch {
            file.discard()
            throw error
        }
        let stdout = OutputFile.standardOutput()
        try stdout.write(
            "Wrote \(output) (\(Format.bytes(UInt64(file.count)))): \(Format.count(history.jobs.count, "job")), "
                + "\(Format.count(history.attempts.count, "attempt")) "
                + "on \(Format.count(statistics.hosts.count, "host"))"
                + (plannedRun == nil ? "" : ", against the plan") + ". Open it in a browser.\n")
        try stdout.close()
    }
}
