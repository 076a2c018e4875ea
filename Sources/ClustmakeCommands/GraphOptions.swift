import ArgumentParser
import ClustmakeInput
import ClustmakeModel

/// Where the job graph comes from.
struct GraphOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "The job graph: clustmake JSON or YAML, or a WfCommons instance ('-' reads standard input).",
            valueName: "jobs"))
    var jobs: String

    @Option(
        help: ArgumentHelp(
            "Run a WfCommons instance as sleeps of each task's runtime times this factor.", valueName: "factor"))
    var timeScale: Double?

    @Option(help: "The namespace of the run in redis (default: the graph's, else the graph file's name).")
    var namespace: String?

    func validate() throws {
        if let timeScale, !(timeScale > 0 && timeScale.isFinite) {
            throw ValidationError("--time-scale must be a positive number, such as 0.01.")
        }
        if let namespace, let problem = JobID.problem(with: namespace) {
            throw ValidationError(
                "--namespace '\(namespace)' is not valid: \(problem). Use only \(JobID.allowedDescription).")
        }
    }

    /// Loads and validates the graph.
    func load() throws(InputError) -> JobGraph {
        try JobGraphLoader(timeScale: timeScale).load(path: jobs)
    }

    /// Loads and validates the graph, and says how the file was read (its format; a WfCommons instance's
    /// WfFormat version) for `-v`.
    func loadDescribed() throws(InputError) -> (graph: JobGraph, source: String) {
        try JobGraphLoader(timeScale: timeScale).loadDescribed(path: jobs)
    }

    /// The namespace to use: the option, the graph's own, the graph file's name, or "default".
    func namespace(for graph: JobGraph) -> String {
        if let namespace { return namespace }
        if let declared = graph.namespace { return declared }
        var stem = Substring(jobs.split(separator: "/").last ?? "")
        if let dot = stem.firstIndex(of: ".") { stem = stem[..<dot] }
        let cleaned = String(stem.map { JobID.problem(with: String($0)) == nil ? $0 : "-" })
        return jobs == "-" || JobID.problem(with: cleaned) != nil ? "default" : cleaned
    }
}

/// Which machines to use.
struct ClusterOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The cluster file (compmake's cluster.yaml format; see docs/cluster.md). Default: this machine, one slot per core, no ssh.",
            valueName: "file"))
    var cluster: String?

    /// Loads the cluster file, or the embedded default.
    /// - Parameter slurm: Whether a SLURM partition (a `slurm:` section) is accepted: by `plan` and `submit`, which
    ///   hand it a batch job, and `run`, which runs inside an allocation of it; `hosts` needs ssh hosts and refuses
    ///   it.
    func load(slurm: Bool = false) throws(InputError) -> Cluster {
        if let cluster {
            let loaded = try ClusterLoader().load(path: cluster)
            if loaded.slurm != nil && !slurm {
                throw InputError(
                    .invalidValue, "the cluster file describes a SLURM partition (a 'slurm:' section), not ssh hosts.",
                    fix: "Plan it with clustmake plan --target slurm and hand it to SLURM with clustmake submit "
                        + "(docs/handoff.md).", file: cluster)
            }
            return loaded
        }
        return Cluster.embeddedDefault(cores: ProcessInfoLite.activeProcessorCount, worker: WorkerLocation.local())
    }
}
