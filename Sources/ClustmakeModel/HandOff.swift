/// A plan handed to a scheduler the site runs (SLURM, cron, at): what `clustmake submit` records in redis, so that
/// `clustmake status` can show where the run went and `clustmake cancel` can undo it (docs/handoff.md).
public struct HandOff: Sendable, Equatable {
    /// Where the plan was handed.
    public enum Target: String, Sendable, CaseIterable {
        /// One SLURM job of the plan's nodes (`--target slurm`).
        case slurm
        /// One SLURM job per job (`--target slurm-jobs`).
        case slurmJobs = "slurm-jobs"
        /// A block of the user's crontab.
        case cron
        /// An at job.
        case at
    }

    /// Where the plan was handed.
    public var target: Target
    /// When it was submitted.
    public var submitted: UTCTime
    /// The plan directory, absolute.
    public var planDirectory: String
    /// The SLURM job ids, or the at job number; empty for cron.
    public var ids: [String]
    /// The name of the crontab block's markers (cron only).
    public var cronBlock: String?

    public init(target: Target, submitted: UTCTime, planDirectory: String, ids: [String], cronBlock: String? = nil) {
        self.target = target
        self.submitted = submitted
        self.planDirectory = planDirectory
        self.ids = ids
        self.cronBlock = cronBlock
    }
}
