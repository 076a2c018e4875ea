import ClustmakeModel
import ClustmakeScripts

#if canImport(Glibc)
    import Glibc
#endif

/// One ssh master connection to a host (`ssh -M -N`), which the host's sessions multiplex over: a host costs one
/// key exchange, not one per job.
///
/// sshd drops new connections beyond its `MaxStartups` unauthenticated ones before saying a word (ssh reports
/// `kex_exchange_identification: Connection closed by remote host`), and other users' logins count too. A master
/// refused that way is tried again after a short, growing, jittered delay (``maximumRefusals`` times) before it
/// counts as failed; the executor also opens a host's masters one at a time (`Dispatcher`).
///
/// A host with more slots than ``sessionsPerMaster`` gets more masters (sshd's `MaxSessions` defaults to 10).
/// The socket lives in the run directory under a name derived from how ssh reaches the host, so a run started
/// again after the executor was killed finds a master that outlived it (still carrying the old sessions and their
/// tunnels) and uses it instead of opening a second connection whose `-R` ports would collide.
final class ControlMaster {
    /// Sessions one master carries at most (OpenSSH's default `MaxSessions`).
    static let sessionsPerMaster = 10
    /// How long a master may take to connect.
    static let connectTimeout = 10

    let host: Host
    let controlPath: String
    private(set) var process: SpawnedProcess?
    /// Started by an earlier run (found alive at start); not our child.
    private(set) var adopted = false
    private(set) var startedAt = 0.0
    /// Why the last start failed.
    private(set) var failure: String?

    /// How often a handshake refused before login is tried again.
    static let maximumRefusals = JobLine.refusalRetries

    /// `retrying`: refused before login, waiting to try again (still undecided, like `connecting`).
    enum State { case down, connecting, retrying, up }
    private(set) var state = State.down
    /// Handshakes refused before login since ``start(now:scratch:retries:)``.
    private(set) var refusals = 0
    private var allowedRefusals = ControlMaster.maximumRefusals
    private var retryAt = 0.0
    private var scratch = "/tmp"

    /// Connecting, or waiting to try again: not yet up or down.
    var isPending: Bool { state == .connecting || state == .retrying }

    init(host: Host, controlPath: String) {
        self.host = host
        self.controlPath = controlPath
    }

    private var baseArguments: [String] {
        JobLine.ssh(host, options: ["-n", "-o", "BatchMode=yes", "-o", "ConnectTimeout=\(Self.connectTimeout)"])
    }

    /// Whether a master (this one, or one an earlier run left) answers on the socket now.
    func answers(scratch: String) -> Bool { socketExists && check(scratch: scratch) }

    /// Whether a master answers on the socket now (`ssh -O check`).
    private func check(scratch: String) -> Bool {
        let arguments = baseArguments + ["-o", "ControlPath=\(controlPath)", "-O", "check", host.destination]
        guard let child = try? SpawnedProcess(arguments, scratch: scratch) else { return false }
        let status = child.wait()
        _ = child.finishOutput()
        return status.code == 0
    }

    private var socketExists: Bool {
        var info = stat()
        return lstat(controlPath, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
    }

    /// Starts connecting (or adopts a live master found on the socket). Poll with ``poll(now:)``.
    /// - Parameter retries: How often a handshake refused before login is tried again (fewer for a probe of a
    ///   host that failed: a host behind a jump host that is down looks the same to ssh).
    func start(now: Double, scratch: String, retries: Int = ControlMaster.maximumRefusals) {
        failure = nil
        refusals = 0
        allowedRefusals = retries
        self.scratch = scratch
        launch(now: now)
    }

    /// Forgets why the last start failed (a probe starts over).
    func clearFailure() { failure = nil }

    private func launch(now: Double) {
        if socketExists {
            if check(scratch: scratch) {
                adopted = true
                state = .up
                return
            }
            unlink(controlPath)
        }
        let arguments =
            baseArguments + [
                "-o", "ControlMaster=yes", "-o", "ControlPath=\(controlPath)", "-o", "ControlPersist=no",
                "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=6", "-N", host.destination,
            ]
        do {
            process = try SpawnedProcess(arguments, scratch: scratch)
            adopted = false
            startedAt = now
            state = .connecting
        } catch {
            failure = error.message
            state = .down
        }
    }

    /// Advances a connecting master; notices a master that died.
    /// - Returns: `true` when the state changed.
    @discardableResult
    func poll(now: Double) -> Bool {
        switch state {
        case .down: return false
        case .retrying:
            guard now >= retryAt else { return false }
            launch(now: now)
            return state != .connecting
        case .connecting:
            if let process, let status = process.poll() {
                let output = process.finishOutput()
                failure = describe(status, output: output)
                self.process = nil
                if JobLine.refusedBeforeLogin(output) && refusals < allowedRefusals {
                    refusals += 1
                    retryAt = now + JobLine.refusalDelay(retry: refusals)
                    state = .retrying
                    return false
                }
                state = .down
                return true
            }
            if socketExists {
                state = .up
                return true
            }
            if now - startedAt > Double(Self.connectTimeout + 5) {
                stop()
                failure = "the ssh connection to \(host.name) did not come up within \(Self.connectTimeout + 5) s"
                return true
            }
            return false
        case .up:
            guard let process, let status = process.poll() else { return false }
            failure = describe(status, output: process.finishOutput())
            self.process = nil
            state = .down
            return true
        }
    }

    private func describe(_ status: ExitStatus, output: String) -> String {
        "ssh to \(host.name) \(status)" + (lastLine(output).map { ": \($0)" } ?? "")
    }

    /// Closes the master (its sessions end with it).
    func stop() {
        if state == .retrying { state = .down }
        if let process {
            process.signalGroup(SIGTERM)
            _ = process.wait()
            _ = process.finishOutput()
            self.process = nil
        } else if adopted && state == .up {
            let arguments = baseArguments + ["-o", "ControlPath=\(controlPath)", "-O", "exit", host.destination]
            if let child = try? SpawnedProcess(arguments, scratch: "/tmp") {
                _ = child.wait()
                _ = child.finishOutput()
            }
        }
        adopted = false
        state = .down
    }
}
