import ClustmakeModel
import ClustmakeScripts

extension RunCommand {
    /// A run inside a SLURM allocation: the allocation, the cluster of its nodes (one host per node, the
    /// allocation's CPUs there as slots), and redis as the nodes' workers reach it.
    struct AllocationRun {
        var allocation: SlurmAllocation
        var cluster: Cluster
        var nodeRedis: RedisAddress
    }

    /// The run of a cluster file with a `slurm:` section, inside the allocation `environment` describes.
    /// - Parameters:
    ///   - given: The cluster file's cluster.
    ///   - slurm: Its `slurm:` section.
    ///   - file: The cluster file, for messages.
    ///   - reviewed: Whether `--plan` was given.
    ///   - environment: This process's environment.
    /// - Throws: ``InputError`` outside an allocation (saying how to get one, or to hand the plan to SLURM), with
    ///   `--plan`, with `redis: {tunnel: …}`, or when SLURM's variables are malformed.
    static func allocationRun(
        _ given: Cluster, slurm: Cluster.Slurm, file: String, reviewed: Bool, environment: (String) -> String?
    ) throws(InputError) -> AllocationRun {
        let handOff =
            "or hand the plan to SLURM: clustmake plan JOBS --cluster \(file) --target slurm -o plan, then "
            + "clustmake submit plan --cluster \(file)."
        guard let allocation = try SlurmAllocation(environment: environment) else {
            throw InputError(
                .invalidValue,
                "the cluster file describes a SLURM partition (slurm:), and clustmake run is not inside a SLURM "
                    + "allocation (SLURM_JOB_ID is not set).",
                fix: "Run it inside one, e.g. salloc --nodes=\(slurm.nodes) --ntasks-per-node=\(slurm.processors) "
                    + "clustmake run JOBS --cluster \(file) "
                    + "(or from an sbatch script), " + handOff,
                file: file)
        }
        guard !reviewed else {
            throw InputError(
                .invalidValue,
                "--plan runs a reviewed plan on its planned hosts; inside SLURM allocation \(allocation.jobID) the "
                    + "hosts are the allocation's nodes.",
                fix: "Leave out --plan (the run plans for the allocation's nodes), " + handOff, subject: "--plan")
        }
        let url: String
        switch slurm.redis {
        case .fromNodes(let value): url = value
        case .tunnel(let login, _):
            throw InputError(
                .invalidValue,
                "inside a SLURM allocation the nodes' workers reach redis directly; the cluster file's slurm: redis "
                    + "is a tunnel through \(login).",
                fix: "Write slurm: redis: {from_nodes: \"redis://HOST:PORT/DB\"} with the address the nodes reach "
                    + "redis at, " + handOff,
                file: file)
        }
        let nodeRedis: RedisAddress
        do { nodeRedis = try RedisAddress(parsing: url) } catch { throw error.inFile(file) }
        let template = given.hosts.first ?? Host(name: Cluster.Slurm.nodeName(1))
        let hosts = zip(allocation.nodes, allocation.cpus).map { node, cpus in
            Host(name: node, processors: cpus, nice: template.nice, worker: template.worker, isLocal: true)
        }
        return AllocationRun(
            allocation: allocation, cluster: Cluster(hosts: hosts, redis: given.redis, slurm: slurm),
            nodeRedis: nodeRedis)
    }
}
