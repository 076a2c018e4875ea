import ClustmakeModel
import ClustmakePlanner

/// The files of a SLURM plan (`--target slurm`, docs/handoff.md "SLURM"): `slurm/run.sbatch`, one job of the
/// cluster's nodes that starts each host script on its own node, and `slurm/submit.sh`, which submits it.
extension ScriptWriter {
    /// What the workers of host `host` are told: ``settings``, except that on a SLURM node that reaches redis
    /// through a tunnel the address is the node's own end of it (`localhost:PORT`, PORT = `tunnel_port` + the
    /// node's index).
    public func workerSettings(host: Int) -> WorkerSettings {
        workerSettings(tunnelOffset: host)
    }

    /// ``settings`` with, through a tunnel, the port `tunnel_port + offset`: a node's index in allocation mode, a
    /// job's position in per-job mode (each job its own port, as several may share a node).
    func workerSettings(tunnelOffset offset: Int) -> WorkerSettings {
        guard case .tunnel(_, let base)? = plan.cluster.slurm?.redis else { return settings }
        var nodeSettings = settings
        nodeSettings.redis = .tcp(host: "localhost", port: base + offset, database: settings.redis.database)
        return nodeSettings
    }

    /// The variables of the `open-tunnel.sh` partial for the tunnel a SLURM node opens to the login host, on port
    /// `tunnel_port + offset` (`tunnel` is false without one); `notRun` completes its failure message.
    func tunnelContext(offset: Int, notRun: String) -> [String: Any] {
        guard case .tunnel(let loginHost, let base)? = plan.cluster.slurm?.redis else { return ["tunnel": false] }
        return [
            "tunnel": true, "loginHost": loginHost, "loginHostWord": ShellQuote.quote(loginHost),
            "tunnelPort": base + offset, "tunnelTarget": settings.redis.tunnelTarget,
            "tunnelTargetWord": ShellQuote.quote(settings.redis.tunnelTarget), "notRun": notRun,
        ]
    }

    /// The `#SBATCH` options the cluster file's `slurm:` section gives every SLURM job of a plan, with the time
    /// limit and memory given (the section's own in allocation mode, a job's in per-job mode).
    func sbatchOptions(_ slurm: Cluster.Slurm, timeLimit: Int?, memory: String?, nice: Int? = nil) -> [String] {
        var lines: [String] = []
        if let partition = slurm.partition { lines.append("--partition=\(partition)") }
        if let account = slurm.account { lines.append("--account=\(account)") }
        if let qos = slurm.qos { lines.append("--qos=\(qos)") }
        if let time = timeLimit { lines.append("--time=\(Cluster.Slurm.timeText(seconds: time))") }
        if let memory { lines.append("--mem=\(memory)") }
        if let constraint = slurm.constraint { lines.append("--constraint=\(constraint)") }
        if let nice { lines.append("--nice=\(nice)") }
        return lines + slurm.sbatch
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
        let lines = sbatchOptions(slurm, timeLimit: slurm.timeLimit, memory: slurm.memory)
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
