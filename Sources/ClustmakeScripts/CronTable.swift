public import ClustmakeModel

/// `crontab.txt` of a plan made with `--target cron`: one crontab entry that runs `run-all.sh` on the schedule.
///
/// One entry for the whole plan rather than one per host script: the host scripts of a plan are meant to start
/// together (a job waits for dependencies planned on other hosts), `run-all.sh` already starts them together and
/// reports which failed, and one entry means one lock and one log. The entry
/// is the schedule and a ``GuardedRun`` logging to `cron.log`: `PATH` set for that command only (a `PATH=`
/// line of its own would change every entry after it in the user's crontab), absolute paths, `flock -n` on the
/// plan's lock, all output appended to the log (nothing is mailed). A `%` (which cron turns into a newline) is
/// written `\%`.
public struct CronTable: Sendable, Hashable {
    /// The file's name in the plan directory.
    public static let fileName = "crontab.txt"
    /// The log file's name in the plan directory.
    public static let logName = "cron.log"

    /// When the plan runs.
    public let schedule: CronSchedule
    /// What runs.
    public let run: GuardedRun

    /// Checks the values of the entry.
    /// - Parameters:
    ///   - schedule: When it runs.
    ///   - planDirectory: The absolute path the plan directory will have.
    ///   - programDirectories: Absolute directories to search before ``GuardedRun/systemPath`` (clustmake's, the
    ///     worker's).
    /// - Throws: ``ScriptError`` (``ScriptError/Code/unsafeValue``) for a relative path, a control character, or
    ///   a `:` in a directory of `PATH`.
    public init(schedule: CronSchedule, planDirectory: String, programDirectories: [String]) throws(ScriptError) {
        self.schedule = schedule
        self.run = try GuardedRun(planDirectory: planDirectory, programDirectories: programDirectories)
    }

    /// The shell command of the entry, as `/bin/sh -c` runs it (before cron's `%` escaping).
    public var command: String { run.command(log: Self.logName) }

    /// The entry: the schedule and ``command`` with every `%` written `\%`.
    public var entry: String {
        schedule.description + " " + command.replacing("%", with: "\\%")
    }

    /// The file: a comment saying what it is and how to install it, then ``entry``.
    public func text(namespace: String) -> String {
        """
        # clustmake plan of namespace \(namespace): run-all.sh at "\(schedule)", one run at a time.
        # Install: clustmake submit \(ShellQuote.quote(run.planDirectory)) --to cron (between marker lines naming the
        # namespace; clustmake cancel --namespace \(namespace) removes them). Output goes to \(Self.logName).
        \(entry)

        """
    }
}
