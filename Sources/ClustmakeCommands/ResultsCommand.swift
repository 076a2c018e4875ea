import ArgumentParser
import ClustmakeCollector
import ClustmakeStore

/// `clustmake results`: every attempt of a run, for programs and other tools.
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "List every attempt of a run as JSON, TSV, a GNU parallel joblog or a Nextflow trace.",
        discussion: """
            One line (or JSON object) per attempt, in the order they started. joblog has GNU parallel's --joblog \
            columns (Seq Host Starttime JobRuntime Send Receive Exitval Signal Command), Seq being the job's \
            position in the pushed graph, so 'parallel --joblog FILE --resume' (or --resume-failed) over the job \
            list in graph order skips the jobs done; attempts still running are left out of it. trace has the \
            columns of Nextflow's trace file that apply. See docs/collector.md for every column.
            """)

    @OptionGroup(title: "Run") var options: CollectorOptions

    @Option(help: "The output format.")
    var format: AttemptListing.OutputFormat = .tsv

    @Flag(help: "The same as --format json.")
    var json = false

    @Flag(help: "With --format trace: numbers as Nextflow's trace.raw writes them (milliseconds, bytes).")
    var raw = false

    func validate() throws {
        if json && format != .tsv && format != .json {
            throw ValidationError("--json and --format \(format.rawValue) contradict each other; give one of them.")
        }
    }

    func run() async throws {
        let snapshot = try await options.withStore { store throws(StoreError) in
            try CollectorOptions.snapshot(store, commands: true)
        }
        let listing = AttemptListing(RunHistory(snapshot))
        let output = OutputFile.standardOutput()
        try listing.write(json ? .json : format, raw: raw) { bytes in try output.write(bytes) }
        try output.close()
    }
}

extension AttemptListing.OutputFormat: ExpressibleByArgument {}
