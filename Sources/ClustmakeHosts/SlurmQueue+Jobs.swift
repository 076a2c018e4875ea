/// Submitting a per-job plan (`--target slurm-jobs`): its `slurm/submit.sh` with a state file and a limit.
extension SlurmQueue {
    /// What one run of a per-job plan's `submit.sh` queued, and how it ended.
    public struct JobsSubmission: Sendable {
        /// The jobs it queued, in order: the job's id and its SLURM job id.
        public var submitted: [(job: String, id: String)]
        /// Why it stopped before trying every job it should have (sbatch refused one), or `nil`.
        public var failure: HostsError?
    }

    /// Runs `sh SCRIPT STATE_FILE LIMIT` and reads the `JOB SLURM_ID` lines it printed, even when it failed
    /// half-way (the jobs printed before the failure were queued).
    /// - Parameters:
    ///   - script: The absolute path of the plan's `slurm/submit.sh`.
    ///   - stateFile: The file of `done JOB`, `queued JOB ID` and `held JOB` lines the script leaves out.
    ///   - limit: At most this many jobs are queued (0: no limit).
    ///   - timeout: How long the whole script may take.
    /// - Throws: ``HostsError`` when the script cannot be started.
    public func submitJobs(
        script: String, stateFile: String, limit: Int, timeout: Duration
    ) async throws(HostsError) -> JobsSubmission {
        let result = try await ProcessRunner.run(["sh", script, stateFile, String(limit)], timeout: timeout)
        var submitted: [(job: String, id: String)] = []
        for line in result.stdout.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 2, !words[1].isEmpty, words[1].allSatisfy({ $0.isASCII && $0.isNumber }) else {
                continue
            }
            submitted.append((String(words[0]), String(words[1])))
        }
        let failure =
            result.status == 0 && !result.timedOut
            ? nil
            : HostsError(
                .process, "sbatch did not queue every job" + Self.describe(result),
                fix: "Check the slurm: settings of the cluster file against the site's partitions (sinfo) and "
                    + "limits (sacctmgr show qos).")
        return JobsSubmission(submitted: submitted, failure: failure)
    }
}
