/// What a plan directory is written for: which scripts it holds besides the host scripts and `run-all.sh`, and
/// what `clustmake submit` hands it to. plan.json records it as `"target"` when it is not ``local``.
public enum PlanTarget: String, Sendable, Hashable, CaseIterable {
    /// Run by hand (`sh run-all.sh`), or by any tool the user points at the scripts.
    case local
    /// Run by cron: `crontab.txt` (``CronTable``), installed by `clustmake submit --to cron`.
    case cron
}
