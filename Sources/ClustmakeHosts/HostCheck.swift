public import ClustmakeModel

/// What a check of one host found: one ``Finding`` per ``Item``, and which worker to run there.
///
/// A host *passes* when no finding failed; a skipped finding (redis not checked because no redis was given, say)
/// does not count against it. ``usableHost`` is the host as the job lines should use it: with ``workerPath`` as its
/// worker, which is the configured `worker` when that is of this clustmake's version, else the one
/// `clustmake hosts install` put in the per-user directory (``installPath``).
public struct HostCheck: Sendable, Hashable {
    /// What is checked, in the order of the table.
    public enum Item: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// ssh reaches the host within the connect timeout and runs a command (a local host needs no ssh).
        case ssh
        /// A worker of this clustmake's version runs on the host: the configured one or the installed one.
        case worker
        /// The worker, run as a job line runs it, reaches redis through the slot's reverse tunnel and logs in; every
        /// slot's tunnel port can be opened on the host.
        case redis
        /// `nice -n N` at the host's nice level takes effect (a negative level needs privileges).
        case nice
        /// The directory jobs start in has at least the required free space.
        case disk

        public var description: String { rawValue }
    }

    /// How a check came out.
    public enum Status: String, Sendable, Hashable, CustomStringConvertible {
        case passed, failed, skipped
        public var description: String { rawValue }
    }

    /// The outcome of one check on one host.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        /// Which check.
        public var item: Item
        /// How it came out.
        public var status: Status
        /// What was found, or what is wrong and why: one sentence, naming what was looked at.
        public var detail: String
        /// How to fix a failure, when there is a known way.
        public var fix: String?

        public init(_ item: Item, _ status: Status, _ detail: String, fix: String? = nil) {
            self.item = item
            self.status = status
            self.detail = detail
            self.fix = fix
        }

        /// `item: detail Fix: fix`.
        public var description: String {
            "\(item): \(detail)" + (fix.map { " Fix: \($0)" } ?? "")
        }
    }

    /// The host as the cluster gives it.
    public var host: Host
    /// One finding per ``Item``, in ``Item/allCases`` order.
    public var findings: [Finding]
    /// The worker to run on the host (a path, or a name looked up in the host's `PATH`), when the worker check
    /// passed.
    public var workerPath: String?
    /// The version of the host's configured worker, when it is a clustmake worker.
    public var configuredVersion: String?
    /// Where `clustmake hosts install` puts the worker on this host (an absolute path), when ssh worked.
    public var installPath: String?
    /// How long the check took.
    public var duration: Duration

    public init(
        host: Host, findings: [Finding], workerPath: String? = nil, configuredVersion: String? = nil,
        installPath: String? = nil, duration: Duration = .zero
    ) {
        self.host = host
        self.findings = findings
        self.workerPath = workerPath
        self.configuredVersion = configuredVersion
        self.installPath = installPath
        self.duration = duration
    }

    /// The finding of `item` (a skipped one if the check has none).
    public subscript(_ item: Item) -> Finding {
        findings.first { $0.item == item } ?? Finding(item, .skipped, "not checked")
    }

    /// Whether no check failed.
    public var passed: Bool { !findings.contains { $0.status == .failed } }

    /// The failed findings.
    public var failures: [Finding] { findings.filter { $0.status == .failed } }

    /// Why the host is left out, as one line (`worker: …; nice: …`), or `nil` when it passed.
    public var reason: String? {
        passed ? nil : failures.map { "\($0.item): \($0.detail)" }.joined(separator: "; ")
    }

    /// Whether installing the worker (``WorkerInstaller``) would help: ssh works but no worker of this version
    /// runs on the host.
    public var needsWorker: Bool {
        self[.ssh].status == .passed && self[.worker].status == .failed
    }

    /// The host to plan and run on, with ``workerPath`` as its worker; `nil` when the host failed a check.
    public var usableHost: Host? {
        guard passed, let workerPath else { return nil }
        var host = host
        host.worker = workerPath
        return host
    }
}

extension HostCheck {
    /// The cluster without the hosts that failed their check, each host that passed with the worker to use
    /// (``usableHost``), hosts that were not checked as they are; in the cluster's order, with its redis settings.
    /// - Parameters:
    ///   - cluster: The cluster that was checked.
    ///   - checks: The checks of its hosts (from ``HostChecker``).
    public static func usableCluster(_ cluster: Cluster, checks: [HostCheck]) -> Cluster {
        let byName = Dictionary(checks.map { ($0.host.name, $0) }, uniquingKeysWith: { first, _ in first })
        return Cluster(
            hosts: cluster.hosts.compactMap { host in byName[host.name].map(\.usableHost) ?? host },
            redis: cluster.redis)
    }
}
