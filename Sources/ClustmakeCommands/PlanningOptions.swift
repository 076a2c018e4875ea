import ArgumentParser
import ClustmakeInput
import ClustmakeModel

/// What the job lines tell the workers, for `plan` and `run`: `--more` and `--wait`.
struct JobLineOptions: ParsableArguments {
    @Flag(help: "Run jobs again even when they are done (make_single more=True).")
    var more = false

    @Option(
        help: ArgumentHelp(
            "How long a worker waits for dependencies that run on other hosts, e.g. 3600, 90m, 24h.",
            valueName: "duration"))
    var wait = "24h"

    func validate() throws {
        guard let seconds = Quantity.seconds(wait), seconds >= 0, seconds < 1e9 else {
            throw ValidationError("--wait must be a duration such as 3600, 90m or 24h, not '\(wait)'.")
        }
    }

    /// `--wait` in whole seconds (rounded up).
    var waitSeconds: Int { Int(Quantity.seconds(wait)!.rounded(.up)) }
}

/// Where planning learns job costs from earlier runs, for `plan` and `run`: `--costs-from` and `--no-history`.
struct HistoryOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Learn job costs from the runs recorded in this namespace: the median runtime of earlier successful "
                + "attempts (default: the graph's own namespace, when its redis answers).",
            valueName: "ns"))
    var costsFrom: String?

    @Flag(help: "Plan with the declared costs only: do not read earlier runs from redis.")
    var noHistory = false

    func validate() throws {
        if let costsFrom, let problem = JobID.problem(with: costsFrom) {
            throw ValidationError("--costs-from '\(costsFrom)' is not a valid namespace: \(problem).")
        }
        if costsFrom != nil && noHistory {
            throw ValidationError("--costs-from and --no-history contradict each other.")
        }
    }
}
