import ClustmakeModel
import ClustmakePlanner

extension ScriptWriter {
    /// Checks everything the scripts take from the plan, so that rendering cannot produce a broken or misleading
    /// script.
    static func validate(_ plan: Plan, settings: WorkerSettings) throws(ScriptError) {
        let hosts = plan.cluster.hosts
        let jobCount = plan.graph.count
        guard plan.placements.count == jobCount, plan.costs.count == jobCount,
            plan.sequences.count == plan.slots.count,
            plan.slots.allSatisfy({ hosts.indices.contains($0.host) && $0.instance >= 0 })
        else {
            throw invalidPlan(
                "it has \(plan.placements.count) placements and \(plan.costs.count) costs for \(jobCount) jobs, "
                    + "\(plan.sequences.count) sequences for \(plan.slots.count) slots.")
        }
        var placed = 0
        for sequence in plan.sequences {
            for job in sequence where !(0..<jobCount).contains(Int(job)) {
                throw invalidPlan("a slot sequence holds job index \(job), outside 0..<\(jobCount).")
            }
            placed += sequence.count
        }
        guard placed == jobCount else {
            throw invalidPlan("its slot sequences hold \(placed) jobs; the graph has \(jobCount).")
        }
        var names: [String: Int] = [:]
        for (index, host) in hosts.enumerated() {
            let subject = "host '\(host.name)'"
            if let problem = JobID.problem(with: host.name) {
                throw ScriptError(
                    .invalidHostName, "the nickname is not valid: \(problem).",
                    fix: "Nicknames name script files: use only \(JobID.allowedDescription).", subject: subject)
            }
            if let first = names.updateValue(index, forKey: host.name) {
                throw ScriptError(
                    .invalidHostName, "hosts #\(first + 1) and #\(index + 1) have the same nickname.",
                    fix: "Give every host its own nickname.", subject: subject)
            }
            var fields = [("address", host.address), ("worker", host.worker)]
            if let username = host.username { fields.append(("username", username)) }
            if let config = host.sshConfig { fields.append(("ssh_config", config)) }
            for option in host.sshOptions { fields.append(("ssh option", option)) }
            for (field, value) in fields {
                try checkScriptSafe(value, field: field, subject: subject)
            }
            if host.worker.isEmpty {
                throw ScriptError(
                    .unsafeValue, "the worker path is empty.", fix: "Give the path of the worker executable.",
                    subject: subject)
            }
            if !host.isLocal {
                for (field, value) in [("address", host.address), ("username", host.username ?? "")]
                where value.hasPrefix("-") || (field == "address" && value.isEmpty) {
                    throw ScriptError(
                        .unsafeValue,
                        value.isEmpty
                            ? "the address is empty."
                            : "the \(field) '\(value)' starts with '-', which ssh would read as an option.",
                        fix: "Write the host name or address ssh should connect to.", subject: subject)
                }
                if let port = host.port, !(1...65_535).contains(port) {
                    throw ScriptError(
                        .unsafeValue, "the ssh port \(port) is not from 1 to 65535.", fix: "Correct 'port'.",
                        subject: subject)
                }
                let last = host.tunnelPort(instance: max(0, host.processors - 1))
                if !(1...65_535).contains(host.tunnelPortBase) || !(1...65_535).contains(last) {
                    throw ScriptError(
                        .unsafeValue,
                        "the redis tunnel ports \(host.tunnelPortBase)…\(last) are not all from 1 to 65535.",
                        fix: "Lower the host's tunnel port base.", subject: subject)
                }
            }
        }
        try checkTunnelPorts(hosts)
        if case .unix(let path) = settings.redis.address {
            try checkScriptSafe(path, field: "redis socket path", subject: nil)
        }
        if let passwordFile = settings.passwordFile {
            try checkScriptSafe(passwordFile, field: "redis password file", subject: nil)
        }
    }

    /// Two host entries for the same machine (same address and ssh port) must not use the same reverse-tunnel
    /// ports: the second ssh would fail to forward (ExitOnForwardFailure) and every job of that slot with it.
    static func checkTunnelPorts(_ hosts: [Host]) throws(ScriptError) {
        var seen: [String: (name: String, ports: ClosedRange<Int>)] = [:]
        for host in hosts where !host.isLocal && host.processors > 0 {
            let machine = "\(host.address.lowercased()):\(host.port ?? 22)"
            let ports = host.tunnelPortBase...host.tunnelPort(instance: host.processors - 1)
            if let other = seen[machine], other.ports.overlaps(ports) {
                throw ScriptError(
                    .unsafeValue,
                    "it connects to \(host.address) like host '\(other.name)', and both would forward redis through "
                        + "ports \(max(ports.lowerBound, other.ports.lowerBound))…"
                        + "\(min(ports.upperBound, other.ports.upperBound)) there.",
                    fix:
                        "Give one of them another tunnel_port_base, outside \(other.ports.lowerBound)…\(other.ports.upperBound).",
                    subject: "host '\(host.name)'")
            }
            if let other = seen[machine] {
                seen[machine] = (
                    other.name,
                    min(other.ports.lowerBound, ports.lowerBound)...max(other.ports.upperBound, ports.upperBound)
                )
            } else {
                seen[machine] = (host.name, ports)
            }
        }
    }

    /// Throws unless `value` is free of control characters: a newline would split a script line or end a
    /// comment early, and terminal escapes could hide text from the person reviewing the script.
    static func checkScriptSafe(_ value: String, field: String, subject: String?) throws(ScriptError) {
        if let problem = FieldText.problem(with: value, .line) {
            throw ScriptError(
                .unsafeValue,
                "the \(field) '\(Format.escaped(value))' \(problem), which cannot appear in a reviewed script.",
                fix: "Remove it.", subject: subject)
        }
    }

    private static func invalidPlan(_ problem: String) -> ScriptError {
        ScriptError(
            .invalidPlan, "the plan is inconsistent: \(problem)",
            fix: "This is a bug in the planner; please report it with the job graph and cluster files.")
    }
}
