import ClustmakeModel
import ClustmakePlanner

/// The files of a plan for SLURM, one job per job (`--target slurm-jobs`, docs/handoff.md "SLURM, one job per
/// job"): `slurm/jobs/NNNN-ID.sbatch` for every job and `slurm/submit.sh`, which submits them parents first.
extension ScriptWriter {
    /// The file name in `slurm/jobs/` of the job at `position` (from 0) of the order `submit.sh` submits the jobs
    /// in, the graph's topological order (parents first; a job's position from 1 is its number): its number, padded
    /// to the width of the largest, a `-`, and its id with `:`, `@` and `%` replaced by `_` (`%` would be a
    /// pattern in sbatch's `--output`). The number alone makes names unique, even where the ids differ only in
    /// those characters or in case.
    public func slurmJobFileName(position: Int) -> String {
        let id = plan.graph.jobs[Int(plan.graph.topologicalOrder[position])].id
        let number = String(position + 1)
        let width = String(plan.graph.count).count
        let safe = String(id.map { ":@%".contains($0) ? "_" : $0 })
        return String(repeating: "0", count: width - number.count) + number + "-" + safe + ".sbatch"
    }

    /// The batch script of the job at `position` of the submission order (`slurm/jobs/NAME.sbatch`): the cluster
    /// file's `#SBATCH` lines, one task of `cores` CPUs, `--mem` from the job's `memory` (else the cluster
    /// file's), `--time` from its `timeout` rounded up to whole minutes (else the cluster file's `time`), `--nice`
    /// from its own `nice` when 0 or more (a negative `--nice` needs a SLURM operator: the worker's `nice -n` is
    /// all it gets; the cluster's default nice only reaches the worker), then the job's worker line, run on the
    /// node, reaching redis as the cluster file says.
    /// - Returns: The script's bytes (empty for a plan that is not for SLURM).
    public func slurmJobScript(position: Int) -> [UInt8] {
        guard let slurm = plan.cluster.slurm else { return [] }
        let index = Int(plan.graph.topologicalOrder[position])
        let job = plan.graph.jobs[index]
        let host = plan.cluster.hosts[0]
        let memory = job.memory.map { "\(($0 + (1 << 20) - 1) >> 20)M" } ?? slurm.memory
        let time = job.timeout.map { Int(($0 / 60).rounded(.up)) * 60 } ?? slurm.timeLimit
        let nice = job.nice ?? host.nice
        var context: [String: Any] = [
            "jobName": slurmJobName, "cores": max(1, job.cores), "job": job.id,
            "sbatchLines": sbatchOptions(
                slurm, timeLimit: time, memory: memory, nice: job.nice.flatMap { $0 >= 0 ? $0 : nil }
            ).map { ["line": $0] },
            "parentsText": job.deps.isEmpty ? "none" : job.deps.joined(separator: " "),
            "outputFile": String(slurmJobFileName(position: position).dropLast(".sbatch".count)) + ".out",
            "redis": workerSettings(tunnelOffset: position).redis.description,
            "command": slurmJobCommand(job, nice: nice, host: host, position: position),
        ]
        if let nice = job.nice, nice < 0 {
            context["niceNote"] =
                "\(nice) for the worker (nice -n); not given to SLURM, where a negative --nice needs an operator"
        }
        if case .tunnel(let loginHost, _) = slurm.redis {
            context["redis"] = "\(settings.redis.description), through a tunnel to \(loginHost)"
        }
        context.merge(tunnelContext(offset: position, notRun: "job \(job.id) was not run")) { first, _ in first }
        return Array(
            templates.render(ScriptTemplates.jobSbatchFile, context.merging(commonContext) { first, _ in first }).utf8)
    }

    /// The worker's line of `job`, as in a host script, but naming the node SLURM runs it on
    /// (`--hostname="${SLURMD_NODENAME:-$(uname -n)}"`) rather than a planned host.
    private func slurmJobCommand(_ job: Job, nice: Int, host: Host, position: Int) -> String {
        let settings = workerSettings(tunnelOffset: position)
        let line = JobLine(
            jobIDs: [job.id], nice: nice, host: host, instance: 0, settings: settings,
            passwordOnStdin: settings.passwordFile != nil)
        let words = line.argv.map { word in
            word.hasPrefix("--hostname=") ? "--hostname=\"${SLURMD_NODENAME:-$(uname -n)}\"" : ShellQuote.quote(word)
        }
        return words.joined(separator: " ")
            + String(decoding: JobPattern.commandSuffix(settings: settings), as: UTF8.self)
    }

    /// `slurm/submit.sh` of a per-job plan: one `sbatch --parsable` per job, parents first, each depending on its
    /// parents' SLURM ids; a state file leaves out what is done or queued already (docs/handoff.md).
    public func slurmJobsSubmitScript() -> [UInt8] {
        let positions = plan.graph.topologicalPositions()
        let jobs: [[String: Any]] = plan.graph.topologicalOrder.enumerated().map { position, index in
            [
                "number": position + 1, "jobWord": ShellQuote.quote(plan.graph.jobs[Int(index)].id),
                "fileWord": ShellQuote.quote(slurmJobFileName(position: position)),
                "parents": plan.graph.predecessors[Int(index)].map { ["parent": Int(positions[Int($0)]) + 1] },
            ]
        }
        let context: [String: Any] = ["jobs": jobs, "jobCount": plan.graph.count]
        return Array(
            templates.render(ScriptTemplates.submitJobsFile, context.merging(commonContext) { first, _ in first }).utf8)
    }

    /// Refuses a per-job plan whose tunnel ports (`tunnel_port` + the job's position) go past 65535.
    static func checkSlurmJobPorts(_ plan: Plan, target: PlanTarget) throws(ScriptError) {
        guard target == .slurmJobs, case .tunnel(_, let base)? = plan.cluster.slurm?.redis else { return }
        let last = base + plan.graph.count - 1
        guard last <= 65_535 else {
            throw ScriptError(
                .unsafeValue,
                "in per-job mode each job opens its own redis tunnel, on ports \(base)…\(last), past 65535.",
                fix: "Lower the slurm: redis: tunnel_port to \(max(1024, 65_536 - plan.graph.count)) or less, or let "
                    + "the nodes reach redis directly (from_nodes).", subject: "slurm")
        }
    }
}
