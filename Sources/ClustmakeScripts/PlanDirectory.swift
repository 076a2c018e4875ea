public import ClustmakeModel
import ClustmakePlanner

/// A plan directory, all or nothing:
///
/// ```
/// plan/
///   hosts/<host>.sh   one script per host of the cluster (mode 0755)
///   run-all.sh        starts every host script and waits for them (mode 0755; not in a SLURM plan)
///   crontab.txt       with --target cron: the crontab entry that runs run-all.sh (``CronTable``)
///   slurm/run.sbatch  a SLURM plan's batch job, one host script per node (mode 0755)
///   slurm/submit.sh   submits it and prints the job id (mode 0755)
///   slurm/jobs/*.sbatch  a per-job SLURM plan's batch scripts, one per job, instead of hosts/ (mode 0644)
///   plan.json         the plan for programs
///   summary.txt       the plan for people
///   .clustmake-plan   marks the directory as one clustmake may replace
/// ```
///
/// Rendering is pure: ``files(of:)`` gives the directory as a value, the list of its files (relative path, mode,
/// bytes). Writing is an edge: `write(_:)` (ClustmakeCommands) hands the files to ClustmakeSystem's
/// `AtomicDirectory`, which writes everything into a new temporary sibling directory (`.plan.tmp-XXXXXX`), fsyncs
/// every file and directory, and only then renames the directory into place. An existing plan directory is
/// swapped out in the same step (Linux `renameat2(RENAME_EXCHANGE)`, else two renames) and then removed. When
/// anything fails the temporary directory is removed and an existing directory is left as it was. A path that
/// exists but is not a plan directory (no `.clustmake-plan` inside, and not empty) is never replaced.
public struct PlanDirectory: Sendable {
    /// The directory written when none is given.
    public static let defaultPath = "plan"
    /// The name of the file that marks a plan directory.
    public static let markerName = ".clustmake-plan"

    /// The directory to write.
    public var path: String

    /// - Parameter path: The directory to write (`plan` by default); its parent must exist.
    public init(path: String = PlanDirectory.defaultPath) {
        self.path = path
    }

    /// What `write(_:)` wrote.
    public typealias Written = WrittenDirectory

    /// The files of `writer`'s plan directory, in the order they are listed in ``Written/files``: one script per
    /// host (`hosts/<host>.sh`, mode 0755), `run-all.sh` (0755), `crontab.txt` for a plan for cron, `plan.json`, `summary.txt` and the marker (0644).
    /// Each file's bytes are rendered when it is written, `plan.json` in chunks (a million jobs never sit in
    /// memory as one document).
    /// - Parameter writer: The rendered plan.
    /// - Returns: The files; a file's contents throw the ``ScriptError`` of a template that cannot render it.
    public static func files(of writer: ScriptWriter) -> [DirectoryFile] {
        var files: [DirectoryFile] = []
        for host in writer.plan.cluster.hosts.indices where writer.target != .slurmJobs {
            files.append(
                DirectoryFile(path: "hosts/" + writer.hostScriptName(host), mode: 0o755) { emit in
                    try emit(try writer.hostScript(host))
                })
        }
        switch writer.target {
        case .local:
            files.append(DirectoryFile(path: "run-all.sh", mode: 0o755) { emit in try emit(writer.runAllScript()) })
        case .slurm:
            // A SLURM plan runs on the nodes: no run-all.sh, which would run every node's jobs here.
            files.append(
                DirectoryFile(path: "slurm/run.sbatch", mode: 0o755) { emit in try emit(writer.runSbatchScript()) })
            files.append(
                DirectoryFile(path: "slurm/submit.sh", mode: 0o755) { emit in try emit(writer.submitScript()) })
        case .slurmJobs:
            // One batch script per job instead of host scripts: the jobs run wherever SLURM puts them.
            for position in writer.plan.graph.topologicalOrder.indices {
                files.append(
                    DirectoryFile(path: "slurm/jobs/" + writer.slurmJobFileName(position: position), mode: 0o644) {
                        emit in try emit(writer.slurmJobScript(position: position))
                    })
            }
            files.append(
                DirectoryFile(path: "slurm/submit.sh", mode: 0o755) { emit in try emit(writer.slurmJobsSubmitScript()) }
            )
        case .cron:
            files.append(DirectoryFile(path: "run-all.sh", mode: 0o755) { emit in try emit(writer.runAllScript()) })
            if let crontab = writer.crontab() {
                files.append(DirectoryFile(path: CronTable.fileName, mode: 0o644, bytes: crontab))
            }
        }
        files.append(
            DirectoryFile(path: "plan.json", mode: 0o644) { emit in
                try PlanJSON.write(writer) { (chunk) throws(any Error) in try emit(chunk) }
            })
        files.append(
            DirectoryFile(path: "summary.txt", mode: 0o644) { emit in
                var summary = PlanSummary(plan: writer.plan, namespace: writer.settings.namespace)
                summary.dynamicDispatch = writer.executor != nil
                try emit(Array(summary.text.utf8))
            })
        files.append(DirectoryFile(path: markerName, mode: 0o644, bytes: Array("\(PlanJSON.format)\n".utf8)))
        return files
    }
}
