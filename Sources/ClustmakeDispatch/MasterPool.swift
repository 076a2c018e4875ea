import ClustmakeModel

/// The run's ssh masters: one per 10 slots of each remote host (``ControlMaster``), opened while the run goes on,
/// watched, and opened again when the scheduler probes a failed host.
///
/// It owns the masters and says what happened (``Event``); the executor tells the scheduler. A host is opening
/// from its creation (its first connection) or from ``startProbe(_:)`` until all its masters are up or one
/// failed. One handshake at a time per host, so a run adds at most one unauthenticated connection to a host's sshd
/// (its `MaxStartups`), and at most ``handshakes`` at a time in all.
final class MasterPool {
    /// What happened to a host's masters.
    enum Event: Sendable, Hashable {
        /// A host's first connection is up: all its `masters` masters.
        case connected(host: Int, masters: Int)
        /// A host's first connection failed.
        case connectFailed(host: Int, reason: String)
        /// A probe of a failed host ended: its masters are up again (`failure` nil), or one failed.
        case probeEnded(host: Int, failure: String?)
        /// A master that was up died (its host is taken out of use).
        case broke(host: Int, reason: String)
    }

    /// How a job line reaches its host.
    enum Connection: Sendable, Hashable {
        /// The host is this machine: no ssh master.
        case local
        /// Over the master whose control socket is at this path.
        case master(controlPath: String)
        /// The master is down, for this reason.
        case down(reason: String)
    }

    /// At most this many ssh handshakes at a time, in all (one at a time per host).
    static let handshakes = 8

    private let hosts: [Host]
    /// For each host, its masters (none for a local host or a host without slots).
    let masters: [[ControlMaster]]
    /// Hosts whose masters are being opened, and whether it is their first connection (else a probe).
    private var opening: [Int: Bool] = [:]
    /// Where the masters' output files go.
    private let scratch: String

    /// Makes every remote host's masters (one per ``ControlMaster/sessionsPerMaster`` slots, their sockets in
    /// `directory`) and marks those hosts as making their first connection; nothing is started until
    /// ``open(now:)``.
    init(hosts: [Host], directory: RunDirectory) {
        self.hosts = hosts
        self.scratch = directory.path
        masters = hosts.map { host in
            guard !host.isLocal, host.processors > 0 else { return [] }
            let count = (host.processors + ControlMaster.sessionsPerMaster - 1) / ControlMaster.sessionsPerMaster
            return (0..<count).map { index in
                let base = directory.controlPath(for: host)
                return ControlMaster(host: host, controlPath: index == 0 ? base : base + "-\(index)")
            }
        }
        for host in masters.indices where !masters[host].isEmpty { opening[host] = true }
    }

    /// The hosts whose masters are being opened.
    var connecting: Set<Int> { Set(opening.keys) }

    /// Whether some host's masters are being opened.
    var isOpening: Bool { !opening.isEmpty }

    /// The control socket of the master that carries the sessions of slot `instance` of `host` (nil for a host
    /// without masters).
    func controlPath(host: Int, instance: Int) -> String? {
        master(host: host, instance: instance)?.controlPath
    }

    private func master(host: Int, instance: Int) -> ControlMaster? {
        let hostMasters = masters[host]
        guard !hostMasters.isEmpty else { return nil }
        return hostMasters[min(instance / ControlMaster.sessionsPerMaster, hostMasters.count - 1)]
    }

    /// How a line on slot `instance` of `host` reaches it now.
    func connection(host: Int, instance: Int, now: Double) -> Connection {
        guard !hosts[host].isLocal, let master = master(host: host, instance: instance) else { return .local }
        master.poll(now: now)
        guard master.state == .up else {
            return .down(reason: master.failure ?? "the ssh connection to \(hosts[host].name) broke")
        }
        return .master(controlPath: master.controlPath)
    }

    /// Advances the hosts whose masters are being opened (first connections and probes). A host is done when all
    /// its masters are up, or at its first master that fails.
    /// - Returns: The hosts done, in order.
    func open(now: Double) -> [Event] {
        guard !opening.isEmpty else { return [] }
        var pending = 0
        for host in opening.keys {
            for master in masters[host] where master.isPending {
                master.poll(now: now)
                if master.isPending { pending += 1 }
            }
        }
        var events: [Event] = []
        for (host, first) in opening.sorted(by: { $0.key < $1.key }) {
            let hostMasters = masters[host]
            guard !hostMasters.contains(where: \.isPending) else { continue }
            let failed = hostMasters.first { $0.state == .down && $0.failure != nil }
            if failed == nil, let next = hostMasters.first(where: { $0.state == .down }) {
                guard pending < Self.handshakes else { continue }
                // A probe of a failed host tries a dropped login again once (a host down behind a jump host
                // looks the same to ssh); a first connection, as often as a master does.
                next.start(now: now, scratch: scratch, retries: first ? ControlMaster.maximumRefusals : 1)
                if next.isPending {
                    pending += 1
                    continue
                }
                if next.state != .up {
                    events.append(opened(host, failure: next.failure ?? "ssh to \(hosts[host].name) failed"))
                }
                continue
            }
            events.append(opened(host, failure: failed.map { $0.failure ?? "ssh to \(hosts[host].name) failed" }))
        }
        return events
    }

    /// A host's masters are all up (`failure` nil), or one failed: it is no longer opening, and a failed host's
    /// other masters are closed.
    private func opened(_ host: Int, failure: String?) -> Event {
        let first = opening.removeValue(forKey: host) ?? false
        if failure != nil {
            for master in masters[host] where master.state == .up { master.stop() }
        }
        if !first { return .probeEnded(host: host, failure: failure) }
        if let failure { return .connectFailed(host: host, reason: failure) }
        return .connected(host: host, masters: masters[host].count)
    }

    /// Notices masters that died (hosts not being opened only).
    /// - Returns: One ``Event/broke(host:reason:)`` per master found dead.
    func watch(now: Double) -> [Event] {
        var events: [Event] = []
        for (host, hostMasters) in masters.enumerated() where opening[host] == nil {
            for master in hostMasters where master.state == .up {
                if master.poll(now: now), master.state == .down {
                    let reason = master.failure ?? "the ssh connection to \(hosts[host].name) broke"
                    events.append(.broke(host: host, reason: reason))
                }
            }
        }
        return events
    }

    /// A probe re-establishes the host's masters that are not up, one after the other (through ``open(now:)``).
    /// - Returns: The probe's end at once when all its masters are up already, else nil.
    func startProbe(_ host: Int) -> Event? {
        let hostMasters = masters[host]
        guard hostMasters.contains(where: { $0.state != .up }) else { return .probeEnded(host: host, failure: nil) }
        for master in hostMasters where master.state != .up { master.clearFailure() }
        opening[host] = false
        return nil
    }

    /// Closes every master (their sessions end with them).
    func stopAll() {
        for hostMasters in masters { for master in hostMasters { master.stop() } }
    }
}
