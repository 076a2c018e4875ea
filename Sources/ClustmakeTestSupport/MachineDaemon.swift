import Foundation
import Glibc
import Synchronization

/// A machine-wide daemon the tests need running (cron, atd): started when it is not, shared by every test of
/// this process that holds a lease, and stopped when the last lease ends, but only if this process started it.
/// A daemon that was already running (the machine's own) is used and left alone.
struct MachineDaemon: Sendable, Hashable {
    /// The command name the kernel shows (`/proc/PID/stat`): `cron`, `atd`.
    var name: String
    /// The Debian package that installs it.
    var package: String
    /// What the tests need it for, for messages.
    var role: String
    /// The pid file it writes once it runs.
    var pidFile: String
    /// Its arguments for running in the foreground.
    var arguments: [String]

    /// Debian's cron: `cron -f -L 15` (log start, end, failures and pids of jobs).
    static let cron = MachineDaemon(
        name: "cron", package: "cron", role: "cron, to run crontab entries", pidFile: "/run/crond.pid",
        arguments: ["-f", "-L", "15"])
    /// Debian's atd: `atd -f`.
    static let atd = MachineDaemon(
        name: "atd", package: "at", role: "atd, to run jobs queued with at", pidFile: "/run/atd.pid",
        arguments: ["-f"])

    private struct Lease: Sendable {
        var holders = 0
        /// The daemon this process started, and the directory holding its output.
        var started: (pid: pid_t, directory: String)?
    }
    private static let leases = Mutex<[String: Lease]>([:])

    /// The pid of the running daemon, if its pid file names a live process of that name.
    var runningPid: pid_t? {
        DaemonProcess.pid(inFile: pidFile).flatMap { DaemonProcess.isRunning($0, named: name) ? $0 : nil }
    }

    /// How many leases this process holds on the daemon now.
    var holders: Int { Self.leases.withLock { $0[name]?.holders ?? 0 } }

    /// Takes a lease: makes sure the daemon runs, starting it (a child of this process) when it does not.
    /// - Parameter timeout: How long to wait for a started daemon to write its pid file.
    /// - Returns: Whether this process started the daemon (now or for an earlier lease still held).
    /// - Throws: ``TestHarnessError``: `.missingPrerequisite` naming the package, `.notPermitted` when not
    ///   root, `.setupFailed` with its output when it exits or does not come up.
    func acquire(timeout: Duration) throws(TestHarnessError) -> Bool {
        try Self.leases.withLock { (leases) throws(TestHarnessError) -> Bool in
            var lease = leases[name] ?? Lease()
            if let started = lease.started, DaemonProcess.hasExited(started.pid) {
                try? FileManager.default.removeItem(atPath: started.directory)
                lease.started = nil
            }
            if runningPid == nil {
                lease.started = try start(timeout: timeout)
            }
            lease.holders += 1
            leases[name] = lease
            return lease.started != nil
        }
    }

    /// Ends a lease; the last one stops the daemon if this process started it.
    ///
    /// The daemon is stopped with the lock held, so that a lease taken meanwhile by another test of this process
    /// waits and then starts a new daemon, instead of finding the old one still running and keeping it while it
    /// is being stopped.
    func release() {
        Self.leases.withLock { leases in
            guard var lease = leases[name] else { return }
            lease.holders -= 1
            if lease.holders > 0 {
                leases[name] = lease
                return
            }
            leases[name] = nil
            guard let started = lease.started else { return }
            DaemonProcess.terminate(started.pid)
            if DaemonProcess.pid(inFile: pidFile) == started.pid { unlink(pidFile) }
            try? FileManager.default.removeItem(atPath: started.directory)
        }
    }

    /// Starts the daemon and waits until its pid file names it; `nil` when another process started one first
    /// (ours then exits, finding the pid file locked).
    private func start(timeout: Duration) throws(TestHarnessError) -> (pid: pid_t, directory: String)? {
        let binary = try DaemonProcess.locate(name, package: package, role: role)
        try DaemonProcess.requireRoot("starting \(name), a machine-wide daemon,")
        let directory = try DaemonProcess.makeTemporaryDirectory(prefix: "clustmake-\(name)")
        let output = directory + "/\(name).out"
        let pid: pid_t
        do { pid = try DaemonProcess.launch([binary] + arguments, output: output) } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        var exited = false
        do throws(TestHarnessError) {
            try TestWait.blockingUntil(
                "\(name) (pid \(pid)) writes \(pidFile)", timeout: timeout, interval: .milliseconds(20),
                details: { DaemonProcess.tail(output, lines: 30) }
            ) { () throws(TestHarnessError) in
                if DaemonProcess.pid(inFile: pidFile) == pid && DaemonProcess.isRunning(pid, named: name) {
                    return true
                }
                // Another process may have started it meanwhile: ours then exits, theirs serves.
                exited = exited || DaemonProcess.hasExited(pid)
                if exited && runningPid != nil { return true }
                if exited {
                    throw TestHarnessError(
                        .setupFailed, "\(SSHTestCluster.shellLine([binary] + arguments)) exited during start-up",
                        details: DaemonProcess.tail(output, lines: 30))
                }
                return false
            }
        } catch {
            if !exited { DaemonProcess.terminate(pid) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        if exited {
            try? FileManager.default.removeItem(atPath: directory)
            return nil
        }
        return (pid, directory)
    }

    /// Runs a client command (`crontab`, `at`, `atq`, `atrm`) and waits for it.
    static func runClient(_ arguments: [String], package: String, timeout: Duration = .seconds(60))
        throws(TestHarnessError) -> SSHTestCluster.CommandResult
    {
        guard let program = arguments.first else {
            throw TestHarnessError(.invalidArgument, "no command to run")
        }
        let line =
            [try DaemonProcess.locate(program, package: package, role: "\(program), to manage scheduled jobs")]
            + arguments.dropFirst()
        do throws(TestHarnessError) {
            return try SSHTestCluster.spawn(line, directory: "/tmp").wait(timeout: timeout)
        } catch {
            throw TestHarnessError(
                error.code == .timedOut ? .timedOut : .commandFailed, error.message, details: error.details)
        }
    }
}
