public import ClustmakeModel

/// `crontab.txt` of a plan made with `--target cron`: one crontab entry that runs `run-all.sh` on the schedule.
///
/// One entry for the whole plan rather than one per host script: the host scripts of a plan are meant to start
/// together (a job waits for dependencies planned on other hosts), `run-all.sh` already starts them together and
/// reports which failed, and one entry means one lock and one log. The entry
///
/// ```
/// 30 2 * * * PATH=/opt/clustmake/bin:/usr/local/bin:/usr/bin:/bin /usr/bin/flock -n -E 75 /p/plan/cron.lock /bin/sh /p/plan/run-all.sh >>/p/plan/cron.log 2>&1 || [ $? -ne 75 ] || echo "…" >>/p/plan/cron.log
/// ```
///
/// sets `PATH` for that command only (a `PATH=` line of its own would change every entry after it in the user's
/// crontab), names everything by absolute path (cron starts commands in the home directory), holds `flock -n` on a
/// lock in the plan directory for the whole run (a firing while a run still goes on is not started, and says so
/// in the log; the kernel drops the lock when the run ends, so no stale lock is left), and appends all output to
/// a log in the plan directory (nothing is mailed). Paths are quoted as in the host scripts, and a `%` (which cron
/// turns into a newline) is written `\%`.
public struct CronTable: Sendable, Hashable {
    /// The file's name in the plan directory.
    public static let fileName = "crontab.txt"
    /// The lock file's name in the plan directory.
    public static let lockName = "cron.lock"
    /// The log file's name in the plan directory.
    public static let logName = "cron.log"
    /// flock's exit status when the lock is held (`-E`): not one `run-all.sh` uses (0, 1, 130, 143).
    public static let lockedStatus = 75
    /// What every entry's `PATH` ends with: where `flock`, `sh` and the usual tools are.
    public static let systemPath = ["/usr/local/bin", "/usr/bin", "/bin"]

    /// When the plan runs.
    public let schedule: CronSchedule
    /// The plan directory, absolute.
    public let planDirectory: String
    /// The entry's `PATH`: the directories of `clustmake` and the workers, then ``systemPath``.
    public let searchPath: [String]

    /// Checks the values of the entry.
    /// - Parameters:
    ///   - schedule: When it runs.
    ///   - planDirectory: The absolute path the plan directory will have.
    ///   - programDirectories: Absolute directories to search before ``systemPath`` (clustmake's, the worker's);
    ///     duplicates are dropped.
    /// - Throws: ``ScriptError`` (``ScriptError/Code/unsafeValue``) for a relative path, a control character, or
    ///   a `:` in a directory of `PATH`.
    public init(schedule: CronSchedule, planDirectory: String, programDirectories: [String]) throws(ScriptError) {
        var search: [String] = []
        for directory in programDirectories + Self.systemPath where !search.contains(directory) {
            guard !directory.contains(":") else {
                throw ScriptError(
                    .unsafeValue, "the directory '\(directory)' cannot be part of PATH: it holds a ':'.",
                    fix: "Install clustmake and the worker in a directory whose path has no ':'.")
            }
            search.append(directory)
        }
        for path in [planDirectory] + search {
            guard path.hasPrefix("/") else {
                throw ScriptError(
                    .unsafeValue, "the crontab entry needs absolute paths, and '\(path)' is relative.",
                    fix: "Give the plan directory as an absolute path.")
            }
            guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw ScriptError(
                    .unsafeValue,
                    "the path \(path.debugDescription) holds a control character, so it cannot be "
                        + "written into a crontab line.", fix: "Use a directory without control characters.")
            }
        }
        self.schedule = schedule
        self.planDirectory = planDirectory
        self.searchPath = search
    }

    /// `DIRECTORY/name`.
    public func path(_ name: String) -> String { planDirectory + "/" + name }

    /// The shell command of the entry, as `/bin/sh -c` runs it (before cron's `%` escaping).
    public var command: String {
        let log = ShellQuote.quote(path(Self.logName))
        let run =
            "PATH=" + ShellQuote.quote(searchPath.joined(separator: ":")) + " "
            + ShellQuote.join([
                "/usr/bin/flock", "-n", "-E", String(Self.lockedStatus), path(Self.lockName), "/bin/sh",
                path("run-all.sh"),
            ])
        return run + " >>\(log) 2>&1 || [ $? -ne \(Self.lockedStatus) ] || echo "
            + "'clustmake: not started: the run started earlier still goes on' >>\(log)"
    }

    /// The entry: the schedule and ``command`` with every `%` written `\%`.
    public var entry: String {
        schedule.description + " " + command.replacing("%", with: "\\%")
    }

    /// The file: a comment saying what it is and how to install it, then ``entry``.
    public func text(namespace: String) -> String {
        """
        # clustmake plan of namespace \(namespace): run-all.sh at "\(schedule)", one run at a time.
        # Install: add the entry below to your crontab (crontab -e). Output goes to \(Self.logName).
        \(entry)

        """
    }
}
