import ClustmakeScheduler
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// A child process of the executor: ssh sessions, ssh masters, local workers.
///
/// Started with ``ClustmakeSystem/Spawn`` (no inherited descriptor but 0, 1, 2; an empty signal mask and default
/// signal actions, so that ssh and the worker react to the signals the executor sends them) rather than
/// swift-subprocess: the dispatch loop is one dedicated thread that reaps its children itself (`waitpid` per pid,
/// never `-1`, so other children of the process are left alone), and every child needs the same few settings:
/// - standard input from /dev/null, or from a pipe already holding a few bytes (the redis password line of a job
///   line that reads it there) and closed behind them;
/// - standard output and error into an unlinked temporary file (``ClustmakeSystem/OutputFile``), read once the child
///   ended (ssh's own message, the worker's last line), so no pipe can fill up or hang a wait when a ControlMaster
///   or a daemon outlives the session;
/// - a process group of its own, so that Ctrl-C on the terminal reaches only the executor, which stops the
///   children itself, and so that a whole group (ssh or a worker and what it started) can be signalled.
struct SpawnedProcess {
    let pid: pid_t
    /// The descriptor of the child's (unlinked) output file.
    let output: Int32

    /// Spawns `arguments` (the program looked up in `PATH` when it has no `/`).
    /// - Parameters:
    ///   - scratch: A private directory for the output file.
    ///   - input: What the child reads on standard input, then end of file (at most a pipe's buffer, 4 KiB
    ///     guaranteed, so writing it never blocks); `nil` for /dev/null.
    /// - Throws: ``DispatchError`` when the output file cannot be made or the program cannot be started.
    init(
        _ arguments: [String], scratch: String, input: [UInt8]? = nil
    ) throws(DispatchError) {
        let descriptor: Int32
        switch OutputFile.create("out", in: [scratch]) {
        case .success(let value): descriptor = value
        case .failure(let error): throw DispatchError("cannot create an output file in \(scratch): \(error)")
        }

        var inputPipe: [Int32] = [-1, -1]
        if let input {
            precondition(input.count <= 4096, "standard input of a spawned process is at most 4 KiB")
            // Close-on-exec at once; children also close everything above 2 (closeFromAction).
            guard pipe(&inputPipe) == 0 else {
                close(descriptor)
                throw DispatchError("cannot create a pipe: \(String(cString: strerror(errno)))")
            }
            _ = fcntl(inputPipe[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(inputPipe[1], F_SETFD, FD_CLOEXEC)
            let written = input.withUnsafeBytes { write(inputPipe[1], $0.baseAddress, $0.count) }
            close(inputPipe[1])
            guard written == input.count else {
                close(inputPipe[0])
                close(descriptor)
                throw DispatchError("cannot write to a pipe: \(String(cString: strerror(errno)))")
            }
        }
        defer { if inputPipe[0] >= 0 { close(inputPipe[0]) } }

        switch Spawn.process(
            arguments, standardInput: inputPipe[0] >= 0 ? .descriptor(inputPipe[0]) : .null,
            standardOutput: .descriptor(descriptor), standardError: .descriptor(descriptor),
            newProcessGroup: true)
        {
        case .success(let pid): self.pid = pid
        case .failure(let error):
            close(descriptor)
            throw DispatchError("cannot start \(arguments[0]): \(error)")
        }
        self.output = descriptor
    }

    /// The child's exit, if it ended (reaped); `nil` while it runs.
    func poll() -> ExitStatus? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return ExitStatus(raw: status) }
        if result < 0 && errno == ECHILD { return ExitStatus(code: 255, signal: nil) }
        return nil
    }

    /// Waits for the child to end.
    func wait() -> ExitStatus {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid { return ExitStatus(raw: status) }
            if result < 0 && errno != EINTR { return ExitStatus(code: 255, signal: nil) }
        }
    }

    /// Sends `signal` to the child's process group.
    func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// The last `limit` bytes the child wrote, as text; closes the file.
    func finishOutput(limit: Int = 4096) -> String {
        defer { close(output) }
        return String(decoding: OutputFile.tail(output, limit: limit), as: UTF8.self)
    }
}

/// How a child ended: an exit code, or a signal.
struct ExitStatus: Sendable, Hashable, CustomStringConvertible {
    var code: Int32
    var signal: Int32?

    init(code: Int32, signal: Int32?) {
        self.code = code
        self.signal = signal
    }

    init(raw: Int32) {
        if raw & 0x7f == 0 {
            code = (raw >> 8) & 0xff
            signal = nil
        } else {
            code = 128 + (raw & 0x7f)
            signal = raw & 0x7f
        }
    }

    /// The same, as the scheduler's line classification takes it.
    var lineExit: LineExit { signal.map { .killed(signal: $0) } ?? .exited(code) }

    var description: String { lineExit.description }
}

/// The last non-empty line of a text.
func lastLine(_ text: String) -> String? {
    text.split(whereSeparator: \.isNewline).last.map { String($0).trimmingSpaces() }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" {
            scalars = scalars.dropFirst()
        }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
