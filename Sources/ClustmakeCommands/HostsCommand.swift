import ArgumentParser
import ClustmakeCollector
import ClustmakeHosts
import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis

/// `clustmake hosts check|install`: find out whether the cluster's hosts can run jobs, and give them the worker.
struct HostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "Check the cluster's hosts, and install the worker on those that lack it.",
        discussion: "See docs/hosts.md.",
        subcommands: [Check.self, Install.self])

    /// `clustmake hosts check`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract:
                "Check every host at once: ssh, the worker and its version, redis through the tunnel, nice, disk.",
            discussion: """
                Prints one row per host. Each host is checked in one ssh session that opens every slot's reverse \
                tunnel and runs the worker as a job line does. Without --redis and a cluster redis url, the check \
                uses (and starts) clustmake's embedded redis, as clustmake run does. Exit status: 0 every host \
                passed, 1 some host failed, 2 bad input. See docs/hosts.md.
                """)

        @OptionGroup(title: "Cluster") var cluster: ClusterOptions
        @OptionGroup(title: "Redis") var redis: RedisOptions
        @OptionGroup(title: "Redis") var tunnelSafety: TunnelSafetyOptions
        @OptionGroup(title: "Checks") var checks: HostsOptions

        @Option(
            help: ArgumentHelp(
                "The least free space the directory jobs start in must have, e.g. 500M, 2G.", valueName: "size"))
        var minFree = "1G"

        @Option(help: ArgumentHelp("How long one host's whole check may take, in seconds.", valueName: "seconds"))
        var timeout = 40

        @Flag(help: "Print JSON for programs instead of the table.")
        var json = false

        func validate() throws {
            guard ByteCount.parse(minFree) != nil else {
                throw ValidationError("--min-free must be a size such as 500M or 2G, not '\(minFree)'.")
            }
            guard (1...3600).contains(timeout) else {
                throw ValidationError("--timeout must be from 1 to 3600 seconds, not \(timeout).")
            }
        }

        func run() async throws {
            let cluster = try cluster.load()
            let target = try await RedisResolver(redis, cluster: cluster.redis, clusterFile: self.cluster.cluster)
                .resolve(embedded: .start)
            try await tunnelSafety.check(target, cluster: cluster)
            let (endpoint, embedded) = (target.endpoint, target.isEmbedded)
            let options = HostChecker.Options(
                ssh: checks.ssh, timeout: .seconds(timeout), minimumFreeBytes: ByteCount.parse(minFree)!)
            let checker: HostChecker
            do {
                checker = try HostChecker(redis: endpoint, options: options)
            } catch {
                throw InputError(.invalidValue, error.message, fix: error.fix, subject: "--redis")
            }
            let results = await checker.check(cluster)
            if json {
                print(HostsCommand.json(results, redis: endpoint, embedded: embedded).serialized(pretty: true))
            } else {
                let shown = embedded ? "clustmake's embedded redis, \(endpoint)" : endpoint.description
                print(HostsCommand.table(results, redis: shown), terminator: "")
            }
            if results.contains(where: { !$0.passed }) { throw ExitCode(1) }
        }
    }

    /// `clustmake hosts install`.
    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Copy this clustmake's worker to the hosts that lack it or have another version.",
            discussion: """
                Checks every host (ssh and the worker), then copies the self-contained worker (scripts/\
                build-worker.sh) over ssh to ~/.local/share/clustmake/VERSION/compmake on the hosts that need it, \
                where clustmake then finds and uses it. A host needs nothing but sshd, a POSIX shell, coreutils and \
                a C library. Exit status: 0 every host has the worker, 1 some host failed, 2 bad input. See \
                docs/hosts.md.
                """)

        @OptionGroup(title: "Cluster") var cluster: ClusterOptions
        @OptionGroup(title: "Checks") var checks: HostsOptions

        @Option(
            help: ArgumentHelp(
                "The worker binary to copy. Default: $CLUSTMAKE_WORKER_BINARY, else the output of "
                    + "scripts/build-worker.sh next to this clustmake.", valueName: "path"))
        var workerBinary: String?

        @Flag(help: "Copy the worker to every reachable host, even those that have this version.")
        var force = false

        @Flag(help: "Print JSON for programs instead of the table.")
        var json = false

        func run() async throws {
            let cluster = try cluster.load()
            let installer: WorkerInstaller
            do {
                installer = try await WorkerInstaller(
                    binary: try WorkerBinary.locate(explicit: workerBinary), ssh: checks.ssh)
            } catch {
                if workerBinary != nil {
                    throw InputError(.invalidValue, error.message, fix: error.fix, subject: "--worker-binary")
                }
                throw CommandFailure(status: 1, error.description)
            }
            let checker = try HostChecker(redis: nil, options: HostChecker.Options(ssh: checks.ssh))
            let before = await checker.check(cluster)
            let targets = before.filter { force ? $0[.ssh].status == .passed : $0.needsWorker }.map(\.host)
            let installs = await installer.install(on: targets)
            let after = await checker.check(installs.filter(\.succeeded).map(\.host))
            let outcome = InstallOutcome(before: before, installs: installs, after: after)
            if json {
                print(outcome.json(binary: installer).serialized(pretty: true))
            } else {
                print(outcome.text(binary: installer), terminator: "")
            }
            if !outcome.allHaveWorker { throw ExitCode(1) }
        }
    }
}

/// How hosts are reached, for both subcommands.
struct HostsOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("How long ssh waits for a host to answer (ssh's ConnectTimeout).", valueName: "seconds"))
    var connectTimeout = 10

    func validate() throws {
        guard (1...600).contains(connectTimeout) else {
            throw ValidationError("--connect-timeout must be from 1 to 600 seconds, not \(connectTimeout).")
        }
    }

    var ssh: SSHSettings { SSHSettings(connectTimeout: connectTimeout) }
}

extension HostsCommand {
    /// One row per host, then what to fix, then a summary.
    static func table(_ checks: [HostCheck], redis: String) -> String {
        var table = TextTable(["HOST", "SSH", "WORKER", "REDIS", "NICE", "DISK", "DETAILS"])
        for check in checks {
            let marks = HostCheck.Item.allCases.map { item -> String in
                switch check[item].status {
                case .passed: "ok"
                case .failed: "FAIL"
                case .skipped: "-"
                }
            }
            table.append([check.host.name] + marks + [details(check)])
        }
        var text = table.render(indent: 0)
        let failed = checks.filter { !$0.passed }
        if !failed.isEmpty { text += "\n" }
        for check in failed {
            for finding in check.failures { text += "\(check.host.name): \(finding)\n" }
        }
        let passed = checks.count - failed.count
        text += "\n\(passed) of \(checks.count) host\(checks.count == 1 ? "" : "s") passed (redis: \(redis))."
        if !failed.isEmpty {
            text += " Left out of a run: \(failed.map(\.host.name).joined(separator: ", "))."
        }
        return text + "\n"
    }

    /// The DETAILS cell: the worker and free space of a host that passed, the failures of one that did not.
    private static func details(_ check: HostCheck) -> String {
        guard check.passed else { return check.failures.map { "\($0.item): \($0.detail)" }.joined(separator: "; ") }
        var parts: [String] = []
        if let worker = check.workerPath { parts.append(worker) }
        let disk = check[.disk]
        if disk.status == .passed, let free = disk.detail.split(separator: " (").first { parts.append(String(free)) }
        return parts.joined(separator: "; ")
    }

    /// `{"format", "redis", "embedded_redis", "passed": n, "hosts": [{"host", "address", "passed", "worker",
    /// "install_path", "milliseconds", "checks": [{"check", "status", "detail", "fix"}]}]}`; no password anywhere.
    static func json(_ checks: [HostCheck], redis: RedisEndpoint, embedded: Bool) -> JSONValue {
        var hosts: [JSONValue] = []
        for check in checks {
            var object: JSONObject = [
                "host": .string(check.host.name), "address": .string(check.host.destination),
                "passed": .bool(check.passed), "worker": check.workerPath.map(JSONValue.string) ?? .null,
                "install_path": check.installPath.map(JSONValue.string) ?? .null,
                "milliseconds": .int(Int64((check.duration.inSeconds * 1000).rounded())),
            ]
            object["checks"] = .array(
                check.findings.map { finding in
                    .object([
                        "check": .string(finding.item.rawValue), "status": .string(finding.status.rawValue),
                        "detail": .string(finding.detail), "fix": finding.fix.map(JSONValue.string) ?? .null,
                    ])
                })
            hosts.append(.object(object))
        }
        return [
            "format": "clustmake-hosts-check/1", "redis": .string(redis.description), "embedded_redis": .bool(embedded),
            "passed": .int(Int64(checks.filter(\.passed).count)), "hosts": .array(hosts),
        ]
    }

}

/// What `hosts install` did to each host.
struct InstallOutcome {
    let before: [HostCheck]
    let installs: [WorkerInstall]
    let after: [HostCheck]

    enum State: String {
        case installed = "installed", upToDate = "up to date", failed = "failed", unreachable = "unreachable"
    }

    /// Each host with what happened and a detail.
    var rows: [(host: Host, state: State, detail: String)] {
        let installed = Dictionary(installs.map { ($0.host.name, $0) }, uniquingKeysWith: { first, _ in first })
        let checked = Dictionary(after.map { ($0.host.name, $0) }, uniquingKeysWith: { first, _ in first })
        return before.map { check in
            if let install = installed[check.host.name] {
                if let path = install.path, checked[check.host.name]?[.worker].status == .passed {
                    return (check.host, .installed, "\(path) (\(Format.seconds(install.duration)))")
                }
                let why =
                    install.failure ?? checked[check.host.name]?[.worker].detail ?? "the check after the copy failed"
                return (check.host, .failed, why + (install.fix.map { " Fix: \($0)" } ?? ""))
            }
            if check[.ssh].status != .passed { return (check.host, .unreachable, check[.ssh].detail) }
            if check[.worker].status == .passed {
                return (check.host, .upToDate, check.workerPath ?? check[.worker].detail)
            }
            return (check.host, .failed, check[.worker].detail)
        }
    }

    var allHaveWorker: Bool { rows.allSatisfy { $0.state == .installed || $0.state == .upToDate } }

    func text(binary installer: WorkerInstaller) -> String {
        var table = TextTable(["HOST", "WORKER", "DETAILS"])
        let rows = self.rows
        for row in rows { table.append([row.host.name, row.state.rawValue, row.detail]) }
        var text = table.render(indent: 0)
        for row in rows where row.state == .failed || row.state == .unreachable {
            text += "\(row.host.name): \(row.detail)\n"
        }
        let count = { (state: State) in rows.filter { $0.state == state }.count }
        text +=
            "\nCopied \(installer.binary) (\(Format.bytes(installer.byteCount)), version \(installer.version)) "
            + "to \(count(.installed)) of \(rows.count) host\(rows.count == 1 ? "" : "s"); "
            + "\(count(.upToDate)) had it already"
        let bad = count(.failed) + count(.unreachable)
        text += bad == 0 ? ".\n" : "; \(bad) failed.\n"
        return text
    }

    func json(binary installer: WorkerInstaller) -> JSONValue {
        [
            "format": "clustmake-hosts-install/1", "binary": .string(installer.binary),
            "version": .string(installer.version), "bytes": .int(installer.byteCount),
            "hosts": .array(
                rows.map { row in
                    .object([
                        "host": .string(row.host.name), "state": .string(row.state.rawValue),
                        "detail": .string(row.detail),
                    ])
                }),
        ]
    }
}
