import ArgumentParser
import ClustmakeInput
import ClustmakeModel
import ClustmakeSystem

/// Where the job graph comes from.
struct GraphOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "The job graph: clustmake JSON or YAML, or a WfCommons instance ('-' reads standard input).",
            valueName: "jobs"))
    var jobs: String

    @OptionGroup var naming: GraphNaming

    /// `--namespace`, if given.
    var namespace: String? { naming.namespace }
    /// `--time-scale`, if given.
    var timeScale: Double? { naming.timeScale }

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
        naming.namespace(for: graph, jobs: jobs)
    }
}

/// `clustmake run`'s job graph: a file, as for ``GraphOptions``, or none, to run the graph redis already holds in
/// `--namespace` (pushed by `clustmake plan` or `push`; the run of a plan made with `--dispatch dynamic`).
struct RunGraphOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "The job graph: clustmake JSON or YAML, or a WfCommons instance ('-' reads standard input). Without it, "
                + "the run runs the graph pushed to --namespace.",
            valueName: "jobs"))
    var jobs: String?

    @OptionGroup var naming: GraphNaming

    /// `--namespace`, if given.
    var namespace: String? { naming.namespace }

    /// The namespace of the pushed graph to run: `--namespace`, which a run without JOBS needs.
    /// - Throws: ``InputError`` (exit 2) without `--namespace`, or with `--time-scale`, which scales a file.
    func pushedNamespace() throws(InputError) -> String {
        guard naming.timeScale == nil else {
            throw InputError(
                .invalidValue, "--time-scale scales the jobs of a WfCommons file; without JOBS there is none.",
                fix: "Give the file, or leave out --time-scale (the pushed graph runs as it was pushed).",
                subject: "--time-scale")
        }
        guard let namespace = naming.namespace else {
            throw InputError(
                .missingKey, "clustmake run needs a job graph: JOBS, or --namespace of a graph already in redis.",
                fix: "Give the graph file (clustmake run JOBS), or the namespace clustmake plan or push pushed it to "
                    + "(clustmake run --namespace NS).", subject: "<jobs>")
        }
        return namespace
    }

    /// Loads and validates the graph file, if one is given.
    func load() throws(InputError) -> JobGraph? {
        try jobs.map { path throws(InputError) in try JobGraphLoader(timeScale: naming.timeScale).load(path: path) }
    }

    /// The namespace to use for the graph of the file `jobs`, as ``GraphOptions/namespace(for:)``.
    func namespace(for graph: JobGraph, jobs: String) -> String {
        naming.namespace(for: graph, jobs: jobs)
    }
}

/// How a graph is named and scaled: `--namespace` and `--time-scale`.
struct GraphNaming: ParsableArguments {
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

    /// The namespace to use: the option, the graph's own, the name of the graph file `jobs`, or "default".
    func namespace(for graph: JobGraph, jobs: String) -> String {
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
