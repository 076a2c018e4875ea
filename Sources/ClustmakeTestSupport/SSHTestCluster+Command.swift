import ClustmakeSystem
import Glibc
import Synchronization

extension SSHTestCluster {
    /// How a command ended and what it printed.
    public struct CommandResult: Sendable, Hashable {
        /// The command that ran, as spawned.
        public var arguments: [String]
        /// The exit status, or 128 + the signal number when a signal ended it (as shells report it), or -1
        /// when something else in the process reaped it first (a `waitpid(-1, …)`). ssh exits with 255 when it
        /// cannot connect or the connection is lost.
        public var status: Int32
        /// The signal that ended the command, if one did.
        public var signal: Int32?
        /// What the command wrote to stdout (at most the first ``RunningCommand/outputLimit`` bytes).
        public var stdout: String
        /// What the command wrote to stderr (at most the first ``RunningCommand/outputLimit`` bytes).
        public var stderr: String
        /// From spawning to reaping.
        public var duration: Duration

        /// Whether the command exited with status 0.
        public var succeeded: Bool { status == 0 }

        /// stdout without the trailing newline(s): `"alice"` for `id -un`.
        public var output: String { SSHTestCluster.trimmingTrailingWhitespace(stdout) }
    }

    /// A command started by ``SSHTestCluster/start(_:)``, running in its own process group.
    ///
    /// stdout and stderr go to unlinked temporary files, not pipes, so a process that outlives the command
    /// (a backgrounded ControlMaster, a daemon started on a host) cannot make waiting hang. Call
    /// ``wait(timeout:)`` to reap it; when the handle goes away unreaped, `deinit` kills the process group and
    /// reaps it, so no test leaves zombies or stray clients behind.
    public final class RunningCommand: Sendable {
        /// How many bytes of each stream ``CommandResult`` keeps.
        public static let outputLimit = 1 << 20

        /// The command as spawned.
        public let arguments: [String]
        /// The process id, which is also its process group id.
        public let pid: pid_t
        private let stdoutDescriptor: Int32
        private let stderrDescriptor: Int32
        private let started: ContinuousClock.Instant

        private struct State: Sendable {
            /// The raw wait status once reaped, or -1 when it was reaped elsewhere.
            var waitStatus: Int32?
            var finished: ContinuousClock.Instant?
        }
        private let state = Mutex(State())

        init(
            arguments: [String], pid: pid_t, stdoutDescriptor: Int32, stderrDescriptor: Int32,
            started: ContinuousClock.Instant
        ) {
            self.arguments = arguments
            self.pid = pid
            self.stdoutDescriptor = stdoutDescriptor
            self.stderrDescriptor = stderrDescriptor
            self.started = started
        }

        deinit {
            if !hasExited {
                Glibc.kill(-pid, SIGKILL)
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            }
            close(stdoutDescriptor)
            close(stderrDescriptor)
        }

        /// Whether the command has exited (reaps it if it just did).
        public var hasExited: Bool {
            state.withLock { state in Self.reap(pid, &state) }
        }

        /// Waits for the command to exit and returns what it printed.
        /// - Parameter timeout: How long to wait; then the process group gets SIGKILL.
        /// - Returns: The exit status and output.
        /// - Throws: ``TestHarnessError`` (`.timedOut`, with the output so far) when it did not exit in time.
        public func wait(timeout: Duration = .seconds(30)) throws(TestHarnessError) -> CommandResult {
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            var pause = Duration.microseconds(200)
            while !hasExited {
                if clock.now >= deadline {
                    signal(SIGKILL)
                    while !hasExited { RedisServer.sleep(.milliseconds(1)) }
                    let result = self.result()
                    throw TestHarnessError(
                        .timedOut,
                        "\(SSHTestCluster.shellLine(arguments)) did not finish within \(timeout); its process group "
                            + "was killed",
                        details: "--- stdout ---\n\(result.stdout)\n--- stderr ---\n\(result.stderr)")
                }
                RedisServer.sleep(pause)
                pause = min(pause * 2, .milliseconds(2))
            }
            return result()
        }

        /// What the command has printed so far, while it runs.
        public var outputSoFar: (stdout: String, stderr: String) {
            (Self.contents(of: stdoutDescriptor), Self.contents(of: stderrDescriptor))
        }

        /// Sends `signal` to the command's process group (ssh and its ProxyCommand).
        /// - Parameter signal: The signal, `SIGTERM` by default.
        public func signal(_ signal: Int32 = SIGTERM) {
            state.withLock { state in
                if !Self.reap(pid, &state) { Glibc.kill(-pid, signal) }
            }
        }

        private func result() -> CommandResult {
            let (waitStatus, finished) = state.withLock { ($0.waitStatus ?? -1, $0.finished ?? started) }
            let signalled = waitStatus == -1 ? 0 : waitStatus & 0x7f
            let status = waitStatus == -1 ? -1 : signalled == 0 ? (waitStatus >> 8) & 0xff : 128 + signalled
            return CommandResult(
                arguments: arguments, status: status, signal: signalled == 0 ? nil : signalled,
                stdout: Self.contents(of: stdoutDescriptor), stderr: Self.contents(of: stderrDescriptor),
                duration: finished - started)
        }

        /// Reaps the process if it exited; true once it has.
        private static func reap(_ pid: pid_t, _ state: inout State) -> Bool {
            if state.waitStatus != nil { return true }
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, WNOHANG) } while result == -1 && errno == EINTR
            guard result == pid || result == -1 else { return false }
            state.waitStatus = result == pid ? status : -1
            state.finished = ContinuousClock().now
            return true
        }

        private static func contents(of descriptor: Int32) -> String {
            var bytes = [UInt8](repeating: 0, count: outputLimit)
            var total = 0
            while total < bytes.count {
                let count = bytes.withUnsafeMutableBytes { buffer in
                    pread(descriptor, buffer.baseAddress! + total, buffer.count - total, off_t(total))
                }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                total += count
            }
            return String(decoding: bytes[..<total], as: UTF8.self)
        }
    }

    // MARK: - Running commands

    /// `ssh -F CONFIG -n [options…] HOST [command…]`: the argument vector that runs `command` on `host`.
    ///
    /// ssh joins the command words with spaces and the test user's `/bin/sh` splits them again, so quote
    /// anything the remote shell must keep together.
    /// - Parameters:
    ///   - host: A host name of this cluster.
    ///   - options: More ssh options, before the host: `["-o", "ExitOnForwardFailure=yes"]`.
    ///   - command: The remote command's words, or none for `-N`-style uses.
    /// - Returns: The argument vector, starting with the ssh binary's path.
    public func sshArguments(host: String, options: [String] = [], command: [String] = []) -> [String] {
        [tools.ssh, "-F", sshConfigPath, "-n"] + options + [host] + command
    }

    /// Starts a command in its own process group: stdin from /dev/null, no inherited descriptors, default
    /// signal handling; the first argument is looked up in `PATH` when it has no slash.
    /// - Parameter arguments: The program and its arguments.
    /// - Returns: The running command; reap it with ``RunningCommand/wait(timeout:)``.
    /// - Throws: ``TestHarnessError`` (`.commandFailed`) when the program cannot be started.
    public func start(_ arguments: [String]) throws(TestHarnessError) -> RunningCommand {
        try Self.spawn(arguments, directory: directory)
    }

    /// Runs `command` on `host` over ssh as the test user and waits for it.
    /// - Parameters:
    ///   - host: A host name of this cluster.
    ///   - command: A line for the test user's `/bin/sh`.
    ///   - sshOptions: More ssh options, before the host: `["-R", "13000:127.0.0.1:6379"]`.
    ///   - timeout: How long to wait before killing ssh.
    /// - Returns: The exit status (255 when ssh itself failed) and output.
    /// - Throws: ``TestHarnessError`` when ssh cannot be started or does not finish in time.
    public func run(
        host: String, _ command: String, sshOptions: [String] = [], timeout: Duration = .seconds(30)
    ) throws(TestHarnessError) -> CommandResult {
        try start(sshArguments(host: host, options: sshOptions, command: [command])).wait(timeout: timeout)
    }

    /// Starts every command at once, then waits for all of them.
    /// - Parameters:
    ///   - commands: Argument vectors, e.g. from ``sshArguments(host:options:command:)``.
    ///   - timeout: How long to wait for all of them together; then the rest are killed.
    /// - Returns: The results, in the order of `commands`.
    /// - Throws: ``TestHarnessError`` when a command cannot be started or does not finish in time
    ///   (the commands already started are killed and reaped).
    public func runConcurrently(_ commands: [[String]], timeout: Duration = .seconds(30)) throws(TestHarnessError)
        -> [CommandResult]
    {
        var running: [RunningCommand] = []
        for arguments in commands { running.append(try start(arguments)) }
        let deadline = ContinuousClock().now + timeout
        var results: [CommandResult] = []
        for command in running {
            let left = max(deadline - ContinuousClock().now, .zero)
            results.append(try command.wait(timeout: left))
        }
        return results
    }

    /// Spawns `arguments` with stdout and stderr in unlinked temporary files under `directory`.
    static func spawn(_ arguments: [String], directory: String) throws(TestHarnessError) -> RunningCommand {
        guard !arguments.isEmpty else {
            throw TestHarnessError(.invalidArgument, "start(_:) needs at least the program to run")
        }
        let stdoutDescriptor = try temporaryFile(in: directory)
        let stderrDescriptor: Int32
        do { stderrDescriptor = try temporaryFile(in: directory) } catch {
            close(stdoutDescriptor)
            throw error
        }

        let started = ContinuousClock().now
        let spawned = Spawn.process(
            arguments, standardOutput: .descriptor(stdoutDescriptor), standardError: .descriptor(stderrDescriptor),
            newProcessGroup: true)
        let pid: pid_t
        switch spawned {
        case .success(let child):
            pid = child
        case .failure(let error):
            close(stdoutDescriptor)
            close(stderrDescriptor)
            throw TestHarnessError(.commandFailed, "cannot start \(shellLine(arguments)): \(error)")
        }
        return RunningCommand(
            arguments: arguments, pid: pid, stdoutDescriptor: stdoutDescriptor, stderrDescriptor: stderrDescriptor,
            started: started)
    }

    /// Runs a setup tool (`ip`, `ssh-keygen`, `useradd`) to completion; stdout and stderr together.
    static func runTool(_ arguments: [String], directory: String = "/tmp", timeout: Duration = .seconds(30))
        throws(TestHarnessError) -> CommandResult
    {
        try spawn(arguments, directory: directory).wait(timeout: timeout)
    }

    /// Runs a setup tool and throws `.setupFailed` with its output unless it exits with 0.
    static func runToolChecked(_ arguments: [String], directory: String = "/tmp", what: String)
        throws(TestHarnessError)
    {
        let result = try runTool(arguments, directory: directory)
        guard result.succeeded else {
            throw TestHarnessError(
                .setupFailed, "\(what) failed: \(shellLine(arguments)) exited with status \(result.status)",
                details: result.stdout + result.stderr)
        }
    }

    /// An open, unlinked, close-on-exec file in `directory`.
    private static func temporaryFile(in directory: String) throws(TestHarnessError) -> Int32 {
        var template = Array((directory + "/output.XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw TestHarnessError(
                .commandFailed, "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))")
        }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return descriptor
    }

    /// `arguments` as one line for messages, words with unusual characters in single quotes.
    static func shellLine(_ arguments: [String]) -> String {
        arguments.map { word in
            let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
            return plain ? word : "'" + word.replacing("'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    /// `text` without trailing spaces, tabs and newlines.
    static func trimmingTrailingWhitespace(_ text: String) -> String {
        var trimmed = Substring(text)
        while let last = trimmed.last, last.isWhitespace { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }
}
