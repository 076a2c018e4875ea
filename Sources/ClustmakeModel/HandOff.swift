/// A namespace's plan handed to a site's own tooling (SLURM, cron, at) by `clustmake submit`: what `status` shows
/// and what `cancel` undoes. Kept in redis (docs/redis-schema.md, `compmake:{NS}:handoff`).
public struct HandOff: Sendable, Equatable {
    /// Where the plan went.
    public enum Target: String, Sendable, CaseIterable {
        /// One SLURM allocation running the host scripts (`plan --target slurm`).
        case slurm
        /// One SLURM job per job (`plan --target slurm-jobs`).
        case slurmJobs = "slurm-jobs"
        /// A block of the user's crontab (`plan --target cron`).
        case cron
        /// One at job running `run-all.sh`.
        case at
    }

    /// Where the plan went.
    public var target: Target
    /// When it was handed off.
    public var submitted: UTCTime
    /// The plan directory, absolute.
    public var planDirectory: String
    /// The SLURM job ids, or the at job number; empty for cron.
    public var ids: [String]
    /// The name of the crontab block (in its marker lines), for cron only.
    public var cronBlock: String?

    public init(target: Target, submitted: UTCTime, planDirectory: String, ids: [String], cronBlock: String? = nil) {
        self.target = target
        self.submitted = submitted
        self.planDirectory = planDirectory
        self.ids = ids
        self.cronBlock = cronBlock
    }
}
