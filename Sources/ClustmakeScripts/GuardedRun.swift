public import ClustmakeModel

/// The shell command that runs a plan's `run-all.sh` unattended, for cron (``CronTable``) and at: absolute paths,
/// its own `PATH`, one run at a time, output appended to a log in the plan directory.
///
/// ```
/// PATH=/opt/clustmake/bin:/usr/local/bin:/usr/bin:/bin /usr/bin/flock -n -E 75 /p/plan/run.lock /bin/sh /p/plan/run-all.sh >>/p/plan/cron.log 2>&1 || [ $? -ne 75 ] || echo '…' >>/p/plan/cron.log
/// ```
///
/// `PATH` is set for this command only; everything is named by absolute path (cron and at start commands with a
/// bare environment); `flock -n` holds a lock in the plan directory for the whole run, so a run started while
/// another still goes on (a later firing of cron, an at job) is not started, and says so in the log; the kernel
/// drops the lock when the run ends, so no stale lock is left. Paths are quoted as in the host scripts.
public struct GuardedRun: Sendable, Hashable {
    /// The lock file's name in the plan directory, shared by every runner of the plan.
    public static let lockName = "run.lock"
    /// flock's exit status when the lock is held (`-E`): not one `run-all.sh` uses (0, 1, 130, 143).
    public static let lockedStatus = 75
    /// What every command's `PATH` ends with: where `flock`, `sh` and the usual tools are.
    public static let systemPath = ["/usr/local/bin", "/usr/bin", "/bin"]
    /// The line the log gets when a run is not started because another goes on.
    public static let notStarted = "clustmake: not started: the run started earlier still goes on"

    /// The plan directory, absolute.
    public let planDirectory: String
    /// The command's `PATH`: the directories of `clustmake` and the workers, then ``systemPath``.
    public let searchPath: [String]

    /// Checks the values of the command.
    /// - Parameters:
    ///   - planDirectory: The absolute path of the plan directory.
    ///   - programDirectories: Absolute directories to search before ``systemPath`` (clustmake's, the worker's);
    ///     duplicates are dropped.
    /// - Throws: ``ScriptError`` (``ScriptError/Code/unsafeValue``) for a relative path, a control character, or
    ///   a `:` in a directory of `PATH`.
    public init(planDirectory: String, programDirectories: [String]) throws(ScriptError) {
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
                    .unsafeValue, "a plan run by cron or at needs absolute paths, and '\(path)' is relative.",
                    fix: "Give the plan directory as an absolute path.")
            }
            guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw ScriptError(
                    .unsafeValue,
                    "the path \(path.debugDescription) holds a control character, so it cannot be written into a "
                        + "command line.", fix: "Use a directory without control characters.")
            }
        }
        self.planDirectory = planDirectory
        self.searchPath = search
    }

    /// `DIRECTORY/name`.
    public func path(_ name: String) -> String { planDirectory + "/" + name }

    /// The lock file of the plan in `planDirectory`, which `flock` holds while a run goes on.
    public static func lockPath(planDirectory: String) -> String { planDirectory + "/" + lockName }

    /// The run that `flock` starts holding the lock: exactly this argument vector (what `cancel` looks for).
    public static func runArguments(planDirectory: String) -> [String] { ["/bin/sh", runAll(planDirectory)] }

    /// The plan's `run-all.sh`, which the guarded run starts.
    public static func runAll(_ planDirectory: String) -> String { planDirectory + "/run-all.sh" }

    /// The command, as `/bin/sh -c` runs it, appending its output to `DIRECTORY/log`.
    public func command(log name: String) -> String {
        let log = ShellQuote.quote(path(name))
        let run =
            "PATH=" + ShellQuote.quote(searchPath.joined(separator: ":")) + " "
            + ShellQuote.join(
                [
                    "/usr/bin/flock", "-n", "-E", String(Self.lockedStatus),
                    Self.lockPath(planDirectory: planDirectory),
                ] + Self.runArguments(planDirectory: planDirectory))
        return run + " >>\(log) 2>&1 || [ $? -ne \(Self.lockedStatus) ] || echo "
            + "\(ShellQuote.quote(Self.notStarted)) >>\(log)"
    }
}
