import ClustmakeSystem
import Foundation
import Glibc

/// Starting, finding and stopping the daemons the SLURM, cron and at harnesses run (munged, slurmctld, slurmd,
/// cron, atd), and the files and ports they need.
enum DaemonProcess {
    /// ``Prerequisite/locate(_:package:role:tests:)`` for the SLURM, cron and at tests.
    static func locate(_ program: String, package: String, role: String) throws(TestHarnessError) -> String {
        try Prerequisite.locate(program, package: package, role: role, tests: "the SLURM, cron and at tests")
    }

    /// Throws `.notPermitted` unless this process runs as root: slurmd starts jobs as their users, and cron and
    /// atd are the machine's daemons.
    static func requireRoot(_ what: String) throws(TestHarnessError) {
        guard geteuid() == 0 else {
            throw TestHarnessError(
                .notPermitted,
                "\(what) needs root (user id 0, this process runs as \(geteuid())): run the tests as root, as CI "
                    + "does, e.g. sudo swift test --filter ClustmakeHandoffTests")
        }
    }

    /// Spawns a daemon in the foreground, in a process group of its own, stdin from /dev/null, stdout and
    /// stderr appended to `output`.
    static func launch(_ arguments: [String], output: String, environment: [String]? = nil)
        throws(TestHarnessError) -> pid_t
    {
        switch Spawn.process(
            arguments, standardOutput: .file(output, append: true), standardError: .standardOutput,
            environment: environment, newProcessGroup: true)
        {
        case .success(let pid): return pid
        case .failure(let error):
            throw TestHarnessError(.setupFailed, "cannot start \(SSHTestCluster.shellLine(arguments)): \(error)")
        }
    }

    /// Whether our child `pid` has exited; reaps it if so.
    static func hasExited(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(pid, &status, WNOHANG) } while result == -1 && errno == EINTR
        return result == pid || (result == -1 && errno == ECHILD)
    }

    /// Sends `signal` to our child `pid`, waits up to `grace` for it to exit, then SIGKILLs and reaps it.
    static func terminate(_ pid: pid_t, signal: Int32 = SIGTERM, grace: Duration = .seconds(10)) {
        Glibc.kill(pid, signal)
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while clock.now < deadline {
            if hasExited(pid) { return }
            RedisServer.sleep(.milliseconds(10))
        }
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// Whether `pid` is a live process (not a zombie) whose command name is `name`: how a daemon's pid file is
    /// checked, since a stale file may name a dead or reused pid.
    static func isRunning(_ pid: pid_t, named name: String) -> Bool {
        guard pid > 0, let stat = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return false }
        // "PID (COMM) STATE …": COMM may hold spaces and parentheses, so split at the last ')'.
        let text = String(decoding: stat, as: UTF8.self)
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return false }
        let command = text[text.index(after: open)..<close]
        let state = text[text.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return command == name && state != "Z" && state != "X"
    }

    /// The pid in the pid file at `path`, if the file holds one.
    static func pid(inFile path: String) -> pid_t? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return pid_t(SSHTestCluster.trimmingTrailingWhitespace(String(decoding: data, as: UTF8.self)))
    }

    /// The processes other than this one that hold an open file, a socket bound in, or a working directory
    /// under `directory`: what a daemon left running there (slurmstepd keeps the slurmd log open).
    static func processes(holdingFilesUnder directory: String) -> [pid_t] {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let inodes = socketInodes(under: prefix)
        let own = getpid()
        var found: [pid_t] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry), pid != own else { continue }
            let links =
                ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(entry)/fd")) ?? [])
                .map { "/proc/\(entry)/fd/\($0)" } + ["/proc/\(entry)/cwd"]
            let holds = links.contains { link in
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else {
                    return false
                }
                if target.hasPrefix(prefix) || target + "/" == prefix { return true }
                guard target.hasPrefix("socket:["), target.hasSuffix("]") else { return false }
                return inodes.contains(String(target.dropFirst("socket:[".count).dropLast()))
            }
            if holds { found.append(pid) }
        }
        return found.sorted()
    }

    /// Inodes of the unix sockets bound to a path under `prefix` (/proc/net/unix: the last column is the path).
    private static func socketInodes(under prefix: String) -> Set<String> {
        guard let data = FileManager.default.contents(atPath: "/proc/net/unix") else { return [] }
        var inodes: Set<String> = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 8, fields[7].hasPrefix(prefix) else { continue }
            inodes.insert(String(fields[6]))
        }
        return inodes
    }

    /// SIGKILLs every process holding files under `directory` until none is left (at most 10 s: a dying
    /// slurmstepd may still be reaping its job, and processes may fork meanwhile).
    static func killProcesses(holdingFilesUnder directory: String) {
        // Not reaped here: a killed child of this process belongs to whoever started it (a RunningCommand reads
        // its status), and a zombie holds no files, so it is not found again.
        killUntilNoneLeft(within: .seconds(10), polling: .milliseconds(20)) {
            processes(holdingFilesUnder: directory)
        }
    }

    /// SIGKILLs the processes `find` names, again and again (processes may fork while they are being killed), until
    /// it names none and every process it named has ended, or `limit` has passed. A killed process may leave what
    /// `find` looks at (its network namespace, its files) while it exits, before it is a zombie, so not being found
    /// is not yet being gone (a loaded machine showed one still running after its cluster's shutdown). Each is
    /// known by its ``ClustmakeSystem/ProcessIdentity``, so a process that reuses its pid is not waited for.
    static func killUntilNoneLeft(within limit: Duration, polling interval: Duration, _ find: () -> [pid_t]) {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var killed: Set<ProcessIdentity> = []
        while clock.now < deadline {
            let pids = find()
            if pids.isEmpty && !killed.contains(where: \.isRunning) { return }
            for pid in pids {
                if let identity = ProcessIdentity.of(pid) { killed.insert(identity) }
                Glibc.kill(pid, SIGKILL)
            }
            RedisServer.sleep(interval)
        }
    }

    /// A fresh directory `/tmp/PREFIX.XXXXXX` (always /tmp and short: unix socket paths must fit in 108 bytes),
    /// with mode `mode`.
    static func makeTemporaryDirectory(prefix: String, mode: mode_t = 0o755) throws(TestHarnessError) -> String {
        do { return try Prerequisite.temporaryDirectory(prefix: prefix, mode: mode) } catch {
            throw TestHarnessError(.setupFailed, error.message)
        }
    }

    /// Creates `path` with `mode` (not widened by the umask) and writes `bytes` into it.
    static func writeFile(_ bytes: [UInt8], to path: String, mode: mode_t) throws(TestHarnessError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw TestHarnessError(.setupFailed, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw TestHarnessError(.setupFailed, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        guard fchmod(descriptor, mode) == 0 else {
            throw TestHarnessError(.setupFailed, "cannot chmod \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `text` to `path` with `mode`.
    static func writeFile(_ text: String, to path: String, mode: mode_t = 0o644) throws(TestHarnessError) {
        try writeFile(Array(text.utf8), to: path, mode: mode)
    }

    /// The last `lines` lines of the file at `path` under a heading naming it, or a note that it is missing.
    static func tail(_ path: String, lines: Int) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "--- \(path) ---\n(no file)" }
        let text = SSHTestCluster.trimmingTrailingWhitespace(String(decoding: data, as: UTF8.self))
        let kept = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines)
        return "--- \(path) ---\n" + kept.joined(separator: "\n")
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (``Prerequisite/freePort()``).
    static func freePort() throws(TestHarnessError) -> Int {
        do { return try Prerequisite.freePort() } catch { throw TestHarnessError(.setupFailed, error.message) }
    }

    /// Whether process `pid` exists (zombies included).
    static func isAlive(_ pid: pid_t) -> Bool {
        Glibc.kill(pid, 0) == 0 || errno != ESRCH
    }
}
