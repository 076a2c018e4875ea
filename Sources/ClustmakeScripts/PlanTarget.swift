/// What a plan directory is written for (`clustmake plan --target`), recorded in plan.json as `"target"` unless
/// it is ``local``.
public enum PlanTarget: String, Sendable, CaseIterable {
    /// Host scripts and run-all.sh, run by hand, by `clustmake run --plan`, by cron or at (today's plans).
    case local
    /// One SLURM job of the cluster's `slurm:` nodes (`slurm/run.sbatch`, `slurm/submit.sh`), one host script
    /// per node.
    case slurm
}
