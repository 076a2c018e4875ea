public import ArgumentParser
import ClustmakeModel

/// `clustmake`: plan a job graph onto a cluster and write reviewable per-host launch scripts.
public struct ClustmakeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "clustmake",
        abstract: "Plan a job graph onto a cluster and write per-host launch scripts to review and run.",
        version: ClustmakeVersion.current,
        subcommands: [
            PlanCommand.self, PushCommand.self, RunCommand.self, SubmitCommand.self, CancelCommand.self,
            RunsCommand.self,
            StatusCommand.self,
            StatsCommand.self, ResultsCommand.self, LogsCommand.self, ReportCommand.self, HostsCommand.self,
            RedisCommand.self,
        ])

    public init() {}
}
