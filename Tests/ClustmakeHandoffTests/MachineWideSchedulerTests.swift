import Testing

/// The suites that use this machine's cron, atd and root's crontab (CronHandOffTests, AtHandOffTests,
/// SchedulerDaemonsTests), run one after another: each reads the whole crontab or the at queue and compares it
/// with what it expects, and one suite's block installed between another's edit and its check (or a lost update:
/// `crontab` has no lock) would fail the other. Serialized here, across the three suites, and not in each only.
@Suite(.serialized) enum MachineWideSchedulerTests {}
