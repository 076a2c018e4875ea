/// The SLURM commands clustmake runs on the submit host, each once per use: `sbatch` (through a plan's
/// `slurm/submit.sh`), `srun` for the probe before submitting, `squeue` for `status` (one call per refresh) and
/// `scancel` for `cancel` (one call for every id). Never `sacct`, and never a poll to learn an outcome: the workers
/// record outcomes in redis.
///
/// The commands are found in `PATH` and read `SLURM_CONF` like any SLURM client run by the user.
public struct SlurmQueue: Sendable {
    /// A job as `squeue` lists it.
    public struct Entry: Sendable, Hashable {
        /// The job id.
        public var id: String
        /// `PENDING`, `RUNNING`, `COMPLETING`, …
        public var state: String
        /// Why it is pending (`Priority`, `Resources`, `Dependency`), or `None`.
        public var reason: String
        /// The nodes it runs on, when it runs.
        public var nodes: String
    }

    /// How long a SLURM client command may take.
    public var timeout: Duration

    public init(timeout: Duration = .seconds(60)) {
        self.timeout = timeout
    }

    /// Runs a plan's `slurm/submit.sh` and returns the job id it printed (`sbatch --parsable`, the cluster part of
    /// `ID;CLUSTER` already dropped by the script).
    /// - Parameter script: The absolute path of `submit.sh`.
    /// - Throws: ``HostsError`` (``HostsError/Code/process``) with sbatch's message when it fails or prints no id.
    public func submit(script: String) async throws(HostsError) -> String {
        let result = try await ProcessRunner.run(["sh", script], timeout: timeout)
        let id = result.stdout.split(separator: "\n").last.map { String($0.split(separator: ";")[0]) } ?? ""
        guard result.status == 0, !id.isEmpty, id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw HostsError(
                .process, "sbatch did not queue the job" + Self.describe(result),
                fix: "Check the slurm: settings of the cluster file against the site's partitions (sinfo).")
        }
        return id
    }

    /// Runs `command` on one node with `srun` and returns its exit status and output.
    /// - Parameters:
    ///   - options: `srun` options before the command (partition, account, …).
    ///   - command: The command to run on the node.
    /// - Throws: ``HostsError`` when `srun` cannot be started.
    public func probe(options: [String], command: [String]) async throws(HostsError) -> (status: Int32?, output: String)
    {
        let result = try await ProcessRunner.run(
            ["srun", "--nodes=1", "--ntasks=1"] + options + command, timeout: timeout)
        return (result.timedOut ? nil : result.status, (result.stdout + result.stderr).trimmingSpaces)
    }

    /// The queue's entries for `ids`, in one `squeue` call; ids that left the queue are absent.
    /// - Throws: ``HostsError`` with squeue's message when it fails.
    public func entries(ids: [String]) async throws(HostsError) -> [Entry] {
        guard !ids.isEmpty else { return [] }
        let result = try await ProcessRunner.run(
            ["squeue", "--noheader", "--jobs=" + ids.joined(separator: ","), "--format=%i|%T|%r|%N"],
            timeout: timeout)
        // squeue refuses ids it no longer knows ("Invalid job id specified") when none of them is queued.
        if result.status != 0 && result.stderr.contains("Invalid job id") { return [] }
        guard result.status == 0 else { throw HostsError(.process, "squeue failed" + Self.describe(result)) }
        return result.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 else { return nil }
            return Entry(id: fields[0], state: fields[1], reason: fields[2], nodes: fields[3])
        }
    }

    /// Cancels `ids` in one `scancel` call.
    /// - Throws: ``HostsError`` with scancel's message when it fails.
    public func cancel(ids: [String]) async throws(HostsError) {
        guard !ids.isEmpty else { return }
        let result = try await ProcessRunner.run(["scancel"] + ids, timeout: timeout)
        // A job that ended meanwhile is not an error: it is gone, as cancel wants.
        let gone = result.stderr.contains("already completing or completed") || result.stderr.contains("Invalid job id")
        guard result.status == 0 || gone else { throw HostsError(.process, "scancel failed" + Self.describe(result)) }
    }

    static func describe(_ result: ProcessResult) -> String {
        if result.timedOut { return " (it did not answer in time)" }
        let text = (result.stderr + result.stdout).trimmingSpaces
        return text.isEmpty ? " (exit status \(result.status.map(String.init) ?? "none"))" : ": \(text)"
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(self.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
