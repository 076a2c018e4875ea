import ClustmakeModel
import ClustmakePlanner

/// The files of a SLURM plan (`--target slurm`, docs/handoff.md "SLURM"): `slurm/run.sbatch`, one job of the
/// cluster's nodes that starts each host script on its own node, and `slurm/submit.sh`, which submits it.
extension ScriptWriter {
    /// What the workers of host `host` are told: ``settings``, except that on a SLURM node that reaches redis
    /// through a tunnel the address is the node's own end of it (`localhost:PORT`, PORT = `tunnel_port` + the
    /// node's index).
    public func workerSettings(host: Int) -> WorkerSettings {
        guard case .tunnel(_, let base)? = plan.cluster.slurm?.redis else { return settings }
        var nodeSettings = settings
        nodeSettings.redis = .tcp(host: "localhost", port: base + host, database: settings.redis.database)
        return nodeSettings
    }

    /// The host template's variables for the tunnel a SLURM node opens to the login host (`tunnel` is false
    /// without one).
    func tunnelContext(host: Int) -> [String: Any] {
        guard case .tunnel(let loginHost, let base)? = plan.cluster.slurm?.redis else { return ["tunnel": false] }
        return [
            "tunnel": true, "loginHost": loginHost, "loginHostWord": ShellQuote.quote(loginHost),
            "tunnelPort": base + host, "tunnelTarget": settings.redis.tunnelTarget,
            "tunnelTargetWord": ShellQuote.quote(settings.redis.tunnelTarget),
        ]
    }

    /// The SLURM job's name: `clustmake-NAMESPACE`, so that `squeue --name` finds a namespace's job.
    public var slurmJobName: String {
        "clustmake-" + settings.namespace
    }

    /// `slurm/run.sbatch`: the `#SBATCH` lines of the cluster's `slurm:` section, then one
    /// `srun --nodes=1 --ntasks=1 --relative=K` per host script, in the background, and a wait for them all; with
    /// dynamic dispatch, the ``executor`` instead (`exec clustmake run …`).
    /// - Returns: The script's bytes (empty for a plan that is not for SLURM).
    public func runSbatchScript() -> [UInt8] {
        guard let slurm = plan.cluster.slurm else { return [] }
        var lines: [String] = []
        if let partition = slurm.partition { lines.append("--partition=\(partition)") }
        if let account = slurm.account { lines.append("--account=\(account)") }
        if let qos = slurm.qos { lines.append("--qos=\(qos)") }
        if let time = slurm.timeLimit { lines.append("--time=\(Cluster.Slurm.timeText(seconds: time))") }
        if let memory = slurm.memory { lines.append("--mem=\(memory)") }
        if let constraint = slurm.constraint { lines.append("--constraint=\(constraint)") }
        lines += slurm.sbatch
        let hosts: [[String: Any]] = plan.cluster.hosts.indices.map { index in
            [
                "index": index, "hostWord": ShellQuote.quote(plan.cluster.hosts[index].name),
                "scriptFile": hostScriptName(index), "scriptFileWord": ShellQuote.quote(hostScriptName(index)),
                "jobsText": Format.count(jobCount(host: index), "job"),
                "slotsText": Format.count(hostSlots[index].count, "slot"),
            ]
        }
        var context: [String: Any] = [
            "jobName": slurmJobName, "nodeCount": slurm.nodes, "processors": slurm.processors,
            "sbatchLines": lines.map { ["line": $0] }, "hosts": hosts, "hostCount": slurm.nodes,
            "jobCount": plan.graph.count,
            "redis": settings.redis.description, "dynamic": executor != nil,
            "executorLine": ShellQuote.join(executor ?? []),
        ]
        if let time = slurm.timeLimit { context["timeLimit"] = Format.duration(Double(time), style: .compact) }
        if case .tunnel(let loginHost, _) = slurm.redis {
            context["redis"] = "\(settings.redis.description), through a tunnel to \(loginHost)"
        }
        return Array(
            templates.render(ScriptTemplates.runSbatchFile, context.merging(commonContext) { first, _ in first }).utf8)
    }

    /// `slurm/submit.sh`: `sbatch --parsable` of `run.sbatch` with the plan directory, printing the job id.
    public func submitScript() -> [UInt8] {
        let context: [String: Any] = ["nodeCount": plan.cluster.slurm?.nodes ?? 0]
        return Array(
            templates.render(ScriptTemplates.submitFile, context.merging(commonContext) { first, _ in first }).utf8)
    }
}
