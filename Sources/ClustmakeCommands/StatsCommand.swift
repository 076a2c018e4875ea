import ArgumentParser
import ClustmakeCollector
import ClustmakeModel
import ClustmakeStore

/// `clustmake stats`: a run's statistics, read back from redis.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show a run's statistics: time, CPU, badput, hosts, jobs, the critical path, plan against actual.",
        discussion: """
            For the run: wall time, cumulative job wall time and CPU time, badput (time in attempts that failed, \
            were interrupted or lost), attempts and retries. Per host: jobs, attempts, busy time, utilisation, \
            failures. Per job: queue delay, runtime, CPU, peak RSS; the slowest jobs; figures per tag. The critical \
            path actually taken, and the planned one, the planned makespan and its lower bound (the plan `clustmake run` \
            kept in redis, or --plan DIR). \
            Everything is read from redis. See docs/collector.md.
            """)

    @OptionGroup(title: "Run") var options: CollectorOptions

    @Option(
        help: ArgumentHelp(
            "The run's plan directory (it holds plan.json), to compare the plan with what happened (default: the plan "
                + "clustmake run kept in redis).",
            valueName: "dir"))
    var plan: String?

    @Flag(help: "List every job and every step of the critical path, however many (the text lists 30 at most).")
    var jobs = false

    @Flag(help: "Print JSON for programs (format clustmake-stats/1) instead of text.")
    var json = false

    func run() async throws {
        // The history is made where the snapshot is read, so that the snapshot is freed before the statistics are
        // computed, as `report` does; the plan is decoded meanwhile.
        let (history, planning) = try await options.withStore { [plan] store throws(StoreError) in
            let planning = try PlannedRunFile.decoding(plan, from: store)
            return (CollectorOptions.history(try CollectorOptions.snapshot(store)), planning)
        }
        let statistics = await RunStatistics(history, plan: try await planning.value)
        let output = OutputFile.standardOutput()
        if json {
            try statistics.writeJSON(history) { bytes in try output.write(bytes) }
        } else {
            try output.write(statistics.text(history, allJobs: jobs))
        }
        try output.close()
    }
}
