import ClustmakeModel
import ClustmakeScripts

/// Turns what a check session printed into a ``HostCheck``: one finding per item, with the reason of each failure.
struct CheckAnalysis {
    let host: Host
    let version: String
    let result: ProcessResult
    let report: CheckScript.Report
    let redis: RedisAddress?
    let probed: Bool
    let options: HostChecker.Options

    /// The worker exit status that means "unknown namespace": it reached redis and logged in.
    static let unknownNamespaceStatus = 120

    var check: HostCheck {
        var check = HostCheck(host: host, findings: [], duration: result.duration)
        guard report.began else {
            check.findings =
                [sshFailure()]
                + HostCheck.Item.allCases.dropFirst().map {
                    HostCheck.Finding($0, .skipped, "not checked: the host could not be reached")
                }
            return check
        }
        check.installPath = report["installed_path"]
        check.configuredVersion = report["configured_output"].flatMap(WorkerVersion.parse)
        let worker = workerFinding()
        if worker.status == .passed, let path = report["worker"], !path.isEmpty { check.workerPath = path }
        check.findings = [
            sshFinding(), worker, redisFinding(worker: check.workerPath), niceFinding(), diskFinding(),
        ]
        return check
    }

    // MARK: - ssh

    private func sshFinding() -> HostCheck.Finding {
        if host.isLocal { return HostCheck.Finding(.ssh, .passed, "local host: jobs run on this machine without ssh") }
        return HostCheck.Finding(
            .ssh, .passed,
            "\(host.destination) answered in \(Format.seconds(result.duration)) (ConnectTimeout "
                + "\(options.ssh.connectTimeout) s)")
    }

    private func sshFailure() -> HostCheck.Finding {
        let what = host.isLocal ? "the check script" : "ssh to \(host.destination)"
        if result.timedOut {
            return HostCheck.Finding(
                .ssh, .failed,
                "\(what) did not finish within \(Format.seconds(options.timeout)); it was stopped"
                    + Self.suffix(messages), fix: host.isLocal ? nil : "Check that the host is up and answers ssh.")
        }
        let ending = result.signal.map { "was killed by signal \($0)" } ?? "exited with status \(result.status ?? -1)"
        if !host.isLocal && result.status == 255 {
            return HostCheck.Finding(
                .ssh, .failed, "ssh could not connect to \(host.destination)" + Self.suffix(messages),
                fix: "Check that the host is up, answers ssh within \(options.ssh.connectTimeout) s, and accepts "
                    + "your key without a prompt (BatchMode): try \(RemoteShell.reproduction(host: host, settings: options.ssh))"
            )
        }
        return HostCheck.Finding(
            .ssh, .failed, "\(what) \(ending) before the check started" + Self.suffix(messages),
            fix: "The login shell must run POSIX sh commands (clustmake runs sh -c '…').")
    }

    /// ssh's and the shell's own messages, without the ones the check expects.
    private var messages: [String] {
        result.stderr.split(whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: " ")
        }.filter {
            !$0.isEmpty && !$0.hasPrefix("Warning: Permanently added")
                && !$0.contains("remote port forwarding failed") && !$0.hasPrefix("Allocated port")
                && !$0.hasPrefix("Authenticated to") && !$0.hasPrefix("Transferred:")
                && !$0.hasPrefix("Bytes per second")
        }
    }

    // MARK: - worker

    private func workerFinding() -> HostCheck.Finding {
        let configured = host.worker
        let installed = report["installed_path"] ?? "~/.local/share/clustmake/\(version)/compmake"
        if let path = report["worker"], !path.isEmpty {
            if path == configured { return HostCheck.Finding(.worker, .passed, "\(configured) is version \(version)") }
            let why = problem(status: report.integer("configured_status"), output: report["configured_output"])
            return HostCheck.Finding(
                .worker, .passed,
                "\(path) is version \(version) (installed by clustmake hosts install; the configured \(configured) "
                    + "\(why))")
        }
        guard report["worker"] != nil else {
            return HostCheck.Finding(.worker, .failed, "the check stopped before it found the worker" + incomplete)
        }
        var detail =
            "no worker of version \(version): \(configured) "
            + problem(status: report.integer("configured_status"), output: report["configured_output"])
        if installed != configured {
            let status = report.integer("installed_status")
            detail +=
                status == 127
                ? ", and none is installed at \(installed)"
                : "; \(installed) " + problem(status: status, output: report["installed_output"])
        }
        return HostCheck.Finding(
            .worker, .failed, detail,
            fix: "Run clustmake hosts install, which copies this clustmake's worker to \(installed).")
    }

    /// What is wrong with a worker, from its `--version` run: `is not found`, `is version 0.0.9`, ….
    private func problem(status: Int?, output: String?) -> String {
        let output = (output ?? "").trimmingCharacters(in: " ")
        switch status {
        case 127?: return "is not found (\(Self.clip(output)))"
        case 126?: return "cannot be run (\(Self.clip(output)))"
        case 0?:
            if let found = WorkerVersion.parse(output) { return "is version \(found)" }
            return "is not clustmake's worker (its --version printed '\(Self.clip(output))')"
        case let status?: return "--version failed with status \(status) (\(Self.clip(output)))"
        case nil: return "was not tried"
        }
    }

    // MARK: - redis

    private func redisFinding(worker: String?) -> HostCheck.Finding {
        guard probed, let redis else { return HostCheck.Finding(.redis, .skipped, "not checked (no redis given)") }
        let refused = refusedPorts
        if !refused.isEmpty {
            let list = refused.map(String.init).joined(separator: ", ")
            return HostCheck.Finding(
                .redis, .failed,
                "the host refused the reverse tunnel on port\(refused.count == 1 ? "" : "s") \(list) (the port is "
                    + "taken on the host, or its sshd forbids remote forwarding), so the slots using "
                    + "\(refused.count == 1 ? "it" : "them") could not reach redis",
                fix: "Stop what holds the port, give the host another tunnel_port_base, or set AllowTcpForwarding "
                    + "yes in the host's sshd_config.")
        }
        guard worker != nil else {
            return HostCheck.Finding(.redis, .skipped, "not checked: it needs a worker of version \(version)")
        }
        guard let status = report.integer("probe_status") else {
            return HostCheck.Finding(.redis, .failed, "the check stopped before the worker reached redis" + incomplete)
        }
        let port = host.tunnelPort(instance: 0)
        let route =
            host.isLocal ? "at \(redis)" : "through the tunnel on port \(port) (-R \(port):\(Self.target(redis)))"
        let said = Self.workerMessage(report["probe_output"] ?? "")
        switch status {
        case Self.unknownNamespaceStatus:
            return HostCheck.Finding(.redis, .passed, "the worker reached redis \(route) and logged in")
        case 118:
            return HostCheck.Finding(
                .redis, .failed, "the worker could not reach redis \(route): \(said)",
                fix: "Check that redis answers at \(redis) on this machine (redis-cli), and that nothing on the host "
                    + "blocks the tunnel.")
        case 122:
            return HostCheck.Finding(
                .redis, .failed, "redis refused the worker's login \(route): \(said)",
                fix: "Give the redis password (--redis-password-file, or the cluster file's redis password_file).")
        default:
            return HostCheck.Finding(
                .redis, .failed, "the worker, run as a job line runs it, exited with status \(status): \(said)")
        }
    }

    /// The ports ssh said it could not forward.
    private var refusedPorts: [Int] {
        var ports: [Int] = []
        let phrase = "remote port forwarding failed for listen port "
        for line in result.stderr.split(whereSeparator: \.isNewline) {
            guard let range = line.firstRange(of: phrase) else { continue }
            if let port = Int(line[range.upperBound...].prefix { ("0"..."9").contains($0) }), !ports.contains(port) {
                ports.append(port)
            }
        }
        return ports.sorted()
    }

    // MARK: - nice

    private func niceFinding() -> HostCheck.Finding {
        let level = host.nice
        guard let beforeText = report["nice_before"], let afterText = report["nice_after"] else {
            return HostCheck.Finding(.nice, .failed, "the check stopped before it tried nice" + incomplete)
        }
        let words = afterText.split(separator: " ")
        guard let before = Int(beforeText.trimmingCharacters(in: " ")), let last = words.last, let after = Int(last)
        else {
            return HostCheck.Finding(
                .nice, .failed, "nice did not run: \(Self.clip(beforeText)) / \(Self.clip(afterText))",
                fix: "Install coreutils on the host.")
        }
        let warning = words.dropLast().joined(separator: " ")
        let expected = min(19, max(-20, before + level))
        if after == expected && warning.isEmpty {
            return HostCheck.Finding(.nice, .passed, "nice -n \(level) runs jobs at niceness \(after)")
        }
        let user = report["user"].flatMap { $0.isEmpty ? nil : $0 } ?? "the login user"
        return HostCheck.Finding(
            .nice, .failed,
            "nice -n \(level) is not allowed for \(user): jobs would run at niceness \(after), not \(expected)"
                + (warning.isEmpty ? "" : " (\(warning))"),
            fix: level < 0
                ? "Use nice: 0 or more for this host (a negative level needs root, CAP_SYS_NICE or a nice limit in "
                    + "/etc/security/limits.conf)."
                : "Use the host's current niceness (\(before)) or more.")
    }

    // MARK: - disk

    private func diskFinding() -> HostCheck.Finding {
        let directory = report["pwd"].flatMap { $0.isEmpty ? nil : $0 } ?? "the login directory"
        guard !report.dfLines.isEmpty || report.ended else {
            return HostCheck.Finding(.disk, .failed, "the check stopped before it ran df" + incomplete)
        }
        guard let space = DiskSpace(dfOutput: report.dfLines.joined(separator: "\n")) else {
            return HostCheck.Finding(
                .disk, .failed,
                "df -Pk \(directory) printed no usable line: \(Self.clip(report.dfLines.joined(separator: " / ")))")
        }
        let free = Format.bytes(space.availableBytes)
        let required = Format.bytes(options.minimumFreeBytes)
        if space.availableBytes >= options.minimumFreeBytes {
            return HostCheck.Finding(.disk, .passed, "\(free) free in \(directory) (at least \(required) required)")
        }
        return HostCheck.Finding(
            .disk, .failed,
            "only \(free) free in \(directory) (file system \(space.mountPoint)), less than the \(required) required",
            fix: "Free space on \(space.mountPoint) of the host, or lower the minimum (--min-free).")
    }

    // MARK: - Helpers

    /// ` (the check did not finish within 40 s)` or ssh's last words, for findings of an interrupted check.
    private var incomplete: String {
        if result.timedOut { return " (it did not finish within \(Format.seconds(options.timeout)))" }
        return Self.suffix(messages)
    }

    /// `: message / message` of the last three messages, or nothing.
    private static func suffix(_ messages: [String]) -> String {
        messages.isEmpty ? "" : ": " + clip(messages.suffix(3).joined(separator: " / "))
    }

    /// The worker's message without its `compmake: ` / `compmake: error: ` prefix.
    private static func workerMessage(_ output: String) -> String {
        var text = output.trimmingCharacters(in: " ")
        for prefix in ["compmake: error: ", "compmake: "] where text.hasPrefix(prefix) {
            text = String(text.dropFirst(prefix.count))
            break
        }
        return clip(text.isEmpty ? "(no message)" : text)
    }

    /// The tunnel target as the job lines write it.
    private static func target(_ redis: RedisAddress) -> String {
        redis.tunnelTarget
    }

    /// At most 300 characters of `text`.
    static func clip(_ text: String) -> String {
        text.count > 300 ? String(text.prefix(297)) + "…" : text
    }
}
