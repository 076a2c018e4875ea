/// What a plan directory is written for: which scripts it holds besides the host scripts, and what
/// `clustmake submit` hands it to. plan.json records it as `"target"` when it is not ``local``.
public enum PlanTarget: String, Sendable, Hashable, CaseIterable {
    /// Host scripts and run-all.sh, run by hand (`sh run-all.sh`), by `clustmake run --plan`, or by any tool the
    /// user points at the scripts.
    case local
    /// One SLURM job of the cluster's `slurm:` nodes (`slurm/run.sbatch`, `slurm/submit.sh`), one host script
    /// per node.
    case slurm
    /// One SLURM job per job (`slurm/jobs/*.sbatch`, `slurm/submit.sh`), each depending on its parents' SLURM
    /// jobs.
    case slurmJobs = "slurm-jobs"
    /// Run by cron: `crontab.txt` (``CronTable``), installed by `clustmake submit --to cron`.
    case cron
}

extension PlanTarget {
    /// Whether the plan runs on the nodes of a cluster file's `slurm:` section (``slurm`` or ``slurmJobs``).
    public var isSlurm: Bool { self == .slurm || self == .slurmJobs }
}

/// How a SLURM plan's allocation places the jobs on its nodes (`plan --dispatch`, docs/handoff.md).
public enum SlurmDispatch: String, Sendable, Hashable, CaseIterable {
    /// As planned: `slurm/run.sbatch` starts each node's host script on its node (the default, the form a person
    /// can review).
    case `static`
    /// At run time: `slurm/run.sbatch` runs `clustmake run` of the pushed graph on the allocation's first node,
    /// which starts each job on a node with `srun` as it becomes ready (for costs that are poorly known).
    case dynamic
}
