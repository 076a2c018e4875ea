import ClustmakeModel
public import ClustmakePlanner

/// Renders the scripts of a plan: `hosts/<host>.sh` for every host and `run-all.sh`, from the templates.
///
/// Pure: it only builds bytes (``PlanDirectory`` writes them). Building one checks the plan and every value that
/// reaches a script, so rendering cannot fail later on bad input. Job lines are built by ``JobLine`` once per slot
/// and nice level and then copied for each job, so a million jobs render in well under a second; the templates
/// are rendered once per host and slot, never per job.
public struct ScriptWriter: Sendable {
    /// The plan the scripts run.
    public let plan: Plan
    /// What every worker is told (namespace, redis, `more`, `wait`).
    public let settings: WorkerSettings
    /// The templates the scripts are rendered from.
    public let templates: ScriptTemplates
    /// `JobGraph.fingerprint` of the plan's graph.
    public let graphHash: String
    /// `Cluster.fingerprint` of the plan's cluster.
    public let clusterHash: String
    /// The command every host script runs before its jobs to start redis if it does not run (``ScriptOptions``).
    public let redisStart: [String]?
    /// What the plan is written for.
    public let target: PlanTarget
    /// The crontab entry of a plan for cron (`crontab.txt`), or `nil`.
    public let cron: CronTable?
    /// The command of a SLURM plan with dynamic dispatch (``ScriptOptions/executor``), or `nil`.
    public let executor: [String]?
    /// For each host, the indices in `plan.slots` of its slots, by instance.
    let hostSlots: [[Int]]

    /// Checks the plan and the options and prepares the rendering.
    /// - Parameters:
    ///   - plan: The plan to render.
    ///   - options: Namespace, redis address, `more` and `wait`; unset values come from the plan.
    ///   - templates: The templates (the built-in ones by default).
    ///   - cron: The crontab entry of a plan for cron (`--target cron`), or `nil` for any other target.
    /// - Throws: ``ScriptError``: a host nickname that cannot name a file (or is used twice), a host setting with
    ///   a control character or a leading `-` where ssh would read an option, a redis address that cannot be
    ///   used, an invalid namespace, or an inconsistent plan.
    public init(
        plan: Plan, options: ScriptOptions = ScriptOptions(), templates: ScriptTemplates = .builtIn,
        cron: CronTable? = nil
    ) throws(ScriptError) {
        let settings = try options.settings(for: plan)
        try Self.validate(plan, settings: settings)
        for word in options.redisStart ?? [] {
            try Self.checkScriptSafe(word, field: "redis start command", subject: nil)
        }
        if let slurm = plan.cluster.slurm {
            // The loader refuses these; a cluster built in code must not slip a line break into an #SBATCH line.
            let fields = [slurm.partition, slurm.account, slurm.qos, slurm.memory, slurm.constraint].compactMap { $0 }
            for value in fields + slurm.sbatch {
                try Self.checkScriptSafe(value, field: "slurm setting", subject: "slurm")
            }
            if case .tunnel(let loginHost, _) = slurm.redis {
                try Self.checkScriptSafe(loginHost, field: "tunnel login host", subject: "slurm")
            }
        }
        try Self.checkSlurmJobPorts(plan, target: options.target)
        for word in options.executor ?? [] {
            try Self.checkScriptSafe(word, field: "dynamic dispatch command", subject: nil)
        }
        self.plan = plan
        self.settings = settings
        self.executor = options.executor
        self.redisStart = options.redisStart
        self.target = options.target
        self.cron = cron
        self.templates = templates
        self.graphHash = plan.graph.fingerprint
        self.clusterHash = plan.cluster.fingerprint
        var hostSlots = [[Int]](repeating: [], count: plan.cluster.hosts.count)
        for (index, slot) in plan.slots.enumerated() { hostSlots[slot.host].append(index) }
        for host in hostSlots.indices { hostSlots[host].sort { plan.slots[$0].instance < plan.slots[$1].instance } }
        self.hostSlots = hostSlots
    }

    /// The file name of host `host`'s script in `hosts/`: `NICKNAME.sh`.
    /// - Parameter host: The host's index in the plan's cluster.
    public func hostScriptName(_ host: Int) -> String {
        plan.cluster.hosts[host].name + ".sh"
    }

    /// The number of jobs planned on host `host`.
    public func jobCount(host: Int) -> Int {
        hostSlots[host].reduce(0) { $0 + plan.sequences[$1].count }
    }

    /// The script of host `host` (`hosts/NICKNAME.sh`).
    /// - Parameter host: The host's index in the plan's cluster.
    /// - Returns: The script's bytes.
    /// - Throws: ``ScriptError`` with code ``ScriptError/Code/templateIncomplete`` when the host template leaves
    ///   out a slot's `{{{jobLines}}}` or repeats it, or the job template has no `{{{command}}}`.
    public func hostScript(_ host: Int) throws(ScriptError) -> [UInt8] {
        let hostValue = plan.cluster.hosts[host]
        var slotContexts: [[String: Any]] = []
        var jobPatterns: [Int: [JobPattern.Piece]] = [:]
        for slotIndex in hostSlots[host] {
            let slot = plan.slots[slotIndex]
            let sequence = plan.sequences[slotIndex]
            var context: [String: Any] = [
                "index": slot.instance, "jobCount": sequence.count, "jobsText": Format.count(sequence.count, "job"),
                "hasJobs": !sequence.isEmpty,
                "estimatedEnd": Format.duration(
                    sequence.last.map { plan.placements[Int($0)].end } ?? 0, style: .compact),
                "jobLines": sequence.isEmpty ? "" : JobPattern.slotMarker(slot.instance),
            ]
            if !hostValue.isLocal { context["tunnelPort"] = hostValue.tunnelPort(instance: slot.instance) }
            slotContexts.append(context)
            if !sequence.isEmpty {
                jobPatterns[slot.instance] = try JobPattern.pieces(
                    templates.render(ScriptTemplates.jobFile, JobPattern.context(host: hostValue, slot: slot.instance)),
                    file: templates.origins[ScriptTemplates.jobFile] ?? ScriptTemplates.jobFile)
            }
        }
        let jobs = jobCount(host: host)
        let context: [String: Any] = [
            "host": hostValue.name, "hostWord": ShellQuote.quote(hostValue.name),
            "destination": ShellQuote.quote(hostValue.destination), "local": hostValue.isLocal,
            "worker": ShellQuote.quote(hostValue.worker),
            "nice": hostValue.nice,
            "slotCount": hostSlots[host].count, "jobCount": jobs, "hasJobs": jobs > 0,
            "scriptFile": hostScriptName(host), "slots": slotContexts,
            "redisStart": redisStart.map(ShellQuote.join) ?? "", "startsRedis": redisStart != nil,
            "passwordFile": settings.passwordFile.map(ShellQuote.quote) ?? "",
            "hasPasswordFile": settings.passwordFile != nil, "redis": workerSettings(host: host).redis.description,
        ].merging(tunnelContext(offset: host, notRun: "no job of host \(hostValue.name) was run")) { first, _ in first }
            .merging(commonContext) { first, _ in first }
        let rendered = templates.render(ScriptTemplates.hostFile, context)
        var output: [UInt8] = []
        output.reserveCapacity(rendered.utf8.count + jobs * 320)
        var expected = Set(jobPatterns.keys)
        var failure: ScriptError?
        JobPattern.splice(rendered, into: &output) { instance, output in
            guard let pieces = jobPatterns[instance], expected.remove(instance) != nil else {
                failure =
                    failure
                    ?? incomplete(
                        "it renders the job lines of slot \(instance) of host '\(hostValue.name)' "
                            + (jobPatterns[instance] == nil ? "although the slot has none." : "twice."))
                return
            }
            let slotIndex = hostSlots[host].first { plan.slots[$0].instance == instance }!
            appendJobLines(slot: slotIndex, pieces: pieces, to: &output)
        }
        if let failure { throw failure }
        if let missing = expected.min() {
            throw incomplete(
                "it leaves out the job lines of slot \(missing) of host '\(hostValue.name)' ({{{jobLines}}} inside "
                    + "{{#slots}}…{{/slots}}).")
        }
        return output
    }

    /// `run-all.sh`: starts every host script in the background and waits for them all.
    public func runAllScript() -> [UInt8] {
        let hosts: [[String: Any]] = plan.cluster.hosts.indices.map { index in
            let host = plan.cluster.hosts[index]
            return [
                "index": index, "name": host.name, "hostWord": ShellQuote.quote(host.name),
                "scriptFile": hostScriptName(index), "scriptFileWord": ShellQuote.quote(hostScriptName(index)),
                "jobCount": jobCount(host: index), "slotCount": hostSlots[index].count, "local": host.isLocal,
                "jobsText": Format.count(jobCount(host: index), "job"),
                "slotsText": Format.count(hostSlots[index].count, "slot"),
            ]
        }
        let context: [String: Any] = [
            "hosts": hosts, "hostCount": hosts.count, "jobCount": plan.graph.count,
        ].merging(commonContext) { first, _ in first }
        return Array(templates.render(ScriptTemplates.runAllFile, context).utf8)
    }

    /// `crontab.txt` (``CronTable``), or `nil` when the plan is not for cron.
    public func crontab() -> [UInt8]? {
        cron.map { Array($0.text(namespace: settings.namespace).utf8) }
    }

    /// The variables every template sees.
    var commonContext: [String: Any] {
        [
            "namespace": ShellQuote.quote(settings.namespace), "redis": ShellQuote.quote(settings.redis.description),
            "graphHash": graphHash,
            "clusterHash": clusterHash, "more": settings.more, "waitSeconds": settings.waitSeconds,
            "makespan": Format.duration(plan.makespan, style: .compact),
            "lowerBound": Format.duration(plan.lowerBound, style: .compact),
        ]
    }

    private func incomplete(_ problem: String) -> ScriptError {
        let file = templates.origins[ScriptTemplates.hostFile] ?? ScriptTemplates.hostFile
        return ScriptError(
            .templateIncomplete, "the host template cannot be used: \(problem)",
            fix: "Render {{{jobLines}}} once inside {{#slots}}…{{/slots}}, as the built-in host.sh.mustache does.",
            file: file)
    }

    /// Appends the job lines of slot `slotIndex`, one per job in planned order, separated by newlines.
    private func appendJobLines(slot slotIndex: Int, pieces: [JobPattern.Piece], to output: inout [UInt8]) {
        let slot = plan.slots[slotIndex]
        let host = plan.cluster.hosts[slot.host]
        let settings = workerSettings(host: slot.host)
        var prefixes: [Int: [UInt8]] = [:]
        let suffix = JobPattern.commandSuffix(settings: settings)
        var first = true
        for (order, job) in plan.sequences[slotIndex].enumerated() {
            let value = plan.graph.jobs[Int(job)]
            let nice = value.nice ?? host.nice
            let prefix: [UInt8]
            if let cached = prefixes[nice] {
                prefix = cached
            } else {
                prefix = JobPattern.commandPrefix(nice: nice, host: host, instance: slot.instance, settings: settings)
                prefixes[nice] = prefix
            }
            if !first { output.append(UInt8(ascii: "\n")) }
            first = false
            for piece in pieces {
                switch piece {
                case .text(let bytes): output.append(contentsOf: bytes)
                case .command:
                    output.append(contentsOf: prefix)
                    if host.isLocal {
                        ShellQuote.append(value.id, to: &output)
                    } else {
                        ShellQuote.append(ShellQuote.quote(value.id), to: &output)
                    }
                    output.append(contentsOf: suffix)
                case .job: ShellQuote.append(value.id, to: &output)
                case .order: output.append(contentsOf: String(order).utf8)
                }
            }
        }
    }
}
