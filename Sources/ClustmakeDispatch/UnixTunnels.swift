import ClustmakeModel
import ClustmakeScripts

/// The redis sockets of a run's hosts with `tunnel: unix` (``ClustmakeScripts/TunnelSocket``): once a host's masters
/// are up (at its first connection and after each probe), its directory is prepared and its first master forwards
/// the socket to redis (`ssh -O forward -R SOCKET:REDIS`) for the rest of the run; at the end of the run the
/// sockets are removed (sshd leaves them behind).
final class UnixTunnels {
    private let hosts: [Host]
    private let namespace: String
    /// The target of the forwards: redis's `host:port` or socket path, as seen from this machine.
    private let target: String
    private let scratch: String
    /// The socket of each prepared host (by index), and the master that forwards it.
    private var forwarded: [Int: (socket: String, controlPath: String)] = [:]

    init(hosts: [Host], namespace: String, redis: RedisAddress, scratch: String) {
        self.hosts = hosts
        self.namespace = namespace
        self.target = redis.tunnelTarget
        self.scratch = scratch
    }

    /// The socket the workers of `host` connect to (nil for a host with `tunnel: tcp`, or one not prepared).
    func socket(host: Int) -> String? { forwarded[host]?.socket }

    /// Whether `host`'s workers reach redis through a unix socket.
    func usesSockets(_ host: Int) -> Bool { !hosts[host].isLocal && hosts[host].tunnel == .unix }

    /// Prepares `host`'s directory and forwards its socket over the master at `controlPath`.
    /// - Returns: Why the host cannot be used, or nil (also for a host with `tunnel: tcp`).
    func prepare(host: Int, controlPath: String) -> String? {
        guard usesSockets(host) else { return nil }
        let target = hosts[host]
        let earlier = forwarded.removeValue(forKey: host)
        let name = TunnelSocket.name(namespace: namespace, host: target)
        let (status, output) = run(
            master(target, controlPath)
                + ["sh", "-c", ShellQuote.quote(TunnelSocket.prepareScript), "sh", ShellQuote.quote(name)])
        let last = lastLine(output)
        guard status.code == 0, let directory = last else {
            return "cannot prepare the tunnel directory on \(target.name)" + (last.map { ": \($0)" } ?? "")
        }
        if let problem = TunnelSocket.problem(directory: directory, namespace: namespace, host: target) {
            return "\(target.name): \(problem)"
        }
        let socket = TunnelSocket.path(directory: directory, namespace: namespace, host: target)
        // A master that already carries the forward (this run's, before a probe; an earlier run's, adopted) would
        // take the same forward again for done and leave the socket just removed unbound: cancel it first.
        for old in Set([earlier.map { forward($0.socket) }, forward(socket)].compactMap { $0 }).sorted() {
            _ = run(master(target, controlPath, request: ["-O", "cancel", "-R", old]))
        }
        let (forwardStatus, forwardOutput) = run(
            master(target, controlPath, request: ["-O", "forward", "-R", forward(socket)]))
        guard forwardStatus.code == 0 else {
            return "sshd on \(target.name) refused to forward the socket \(socket) (it needs "
                + "AllowStreamLocalForwarding yes)" + (lastLine(forwardOutput).map { ": \($0)" } ?? "")
        }
        forwarded[host] = (socket, controlPath)
        return nil
    }

    /// Removes the run's sockets (the directories stay: other runs use them).
    func removeSockets() {
        for (host, place) in forwarded.sorted(by: { $0.key < $1.key }) {
            _ = run(master(hosts[host], place.controlPath) + ["rm", "-f", "--", ShellQuote.quote(place.socket)])
        }
        forwarded = [:]
    }

    private func forward(_ socket: String) -> String { "\(socket):\(target)" }

    /// `ssh … -o ControlPath=PATH [REQUEST…] HOST`, to which a remote command may follow.
    private func master(_ host: Host, _ controlPath: String, request: [String] = []) -> [String] {
        JobLine.ssh(host, options: JobLine.batchOptions + JobLine.controlOptions(path: controlPath) + request)
            + [host.destination]
    }

    private func run(_ arguments: [String]) -> (ExitStatus, String) {
        guard let child = try? SpawnedProcess(arguments, scratch: scratch) else {
            return (ExitStatus(code: 127, signal: nil), "cannot start ssh")
        }
        let status = child.wait()
        return (status, child.finishOutput())
    }
}
