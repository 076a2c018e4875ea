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
///
/// A streamed session (``init(stream:scratch:input:)``) differs in two ways: the executor keeps its standard input
/// open to send batches of job ids (``send(_:)``), and reads the worker's answers from a pipe on its standard output
/// (``readAnswers(into:)``); its standard error still goes to the output file.
struct SpawnedProcess {
    let pid: pid_t
    /// The descriptor of the child's (unlinked) output file.
    let output: Int32
    /// A streamed session's standard input, kept by the executor (-1 otherwise, or once closed).
    private(set) var input: Int32 = -1
    /// A streamed session's standard output, read by the executor (non-blocking; -1 otherwise).
    let answers: Int32

    /// Spawns `arguments` (the program looked up in `PATH` when it has no `/`).
    /// - Parameters:
    ///   - scratch: A private directory for the output file.
    ///   - input: What the child reads on standard input, then end of file (at most a pipe's buffer, 4 KiB
    ///     guaranteed, so writing it never blocks); `nil` for /dev/null.
    /// - Throws: ``DispatchError`` when the output file cannot be made or the program cannot be started.
    init(
        _ arguments: [String], scratch: String, input: [UInt8]? = nil
    ) throws(DispatchError) {
        let descriptor = try Self.outputFile(in: scratch)

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
        self.answers = -1
    }

    /// Spawns a streamed session: `input` (the password line and the first batch) is written to its standard input,
    /// which stays open for later batches; its standard output is a pipe of the worker's answers.
    /// - Throws: ``DispatchError`` when the pipes or the output file cannot be made or the program cannot start.
    init(stream arguments: [String], scratch: String, input bytes: [UInt8]) throws(DispatchError) {
        let descriptor = try Self.outputFile(in: scratch)
        var inputPipe: [Int32] = [-1, -1]
        var answerPipe: [Int32] = [-1, -1]
        func closeAll() {
            for end in inputPipe + answerPipe + [descriptor] where end >= 0 { close(end) }
        }
        guard pipe(&inputPipe) == 0, pipe(&answerPipe) == 0 else {
            let message = String(cString: strerror(errno))
            closeAll()
            throw DispatchError("cannot create a pipe: \(message)")
        }
        for end in inputPipe + answerPipe { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        // The executor's ends never block it: a session that stops reading is one that failed.
        _ = fcntl(inputPipe[1], F_SETFL, O_NONBLOCK)
        _ = fcntl(answerPipe[0], F_SETFL, O_NONBLOCK)
        switch Spawn.process(
            arguments, standardInput: .descriptor(inputPipe[0]), standardOutput: .descriptor(answerPipe[1]),
            standardError: .descriptor(descriptor), newProcessGroup: true)
        {
        case .success(let pid): self.pid = pid
        case .failure(let error):
            closeAll()
            throw DispatchError("cannot start \(arguments[0]): \(error)")
        }
        close(inputPipe[0])
        close(answerPipe[1])
        self.output = descriptor
        self.input = inputPipe[1]
        self.answers = answerPipe[0]
        guard send(bytes) else {
            signalGroup(SIGKILL)
            _ = wait()
            _ = finishOutput()
            throw DispatchError("the session of \(arguments[0]) did not read its first jobs' ids")
        }
    }

    /// A new unlinked output file in `scratch`.
    private static func outputFile(in scratch: String) throws(DispatchError) -> Int32 {
        switch OutputFile.create("out", in: [scratch]) {
        case .success(let value): return value
        case .failure(let error): throw DispatchError("cannot create an output file in \(scratch): \(error)")
        }
    }

    /// Writes `bytes` to a streamed session's standard input; false when they could not all be written (the
    /// session ended, or it did not read them within ``sendTimeout``). A batch fits in the pipe's 64 KiB but for
    /// bundles of thousands of jobs (`--bundle N`), which its idle worker reads as they come.
    func send(_ bytes: [UInt8]) -> Bool {
        guard input >= 0 else { return false }
        var written = 0
        var waited = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            if count > 0 {
                written += count
                continue
            }
            if count < 0 && errno == EINTR { continue }
            guard count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), waited < Self.sendTimeout else {
                return false
            }
            var entry = pollfd(fd: input, events: Int16(POLLOUT), revents: 0)
            _ = Glibc.poll(&entry, 1, 100)
            waited += 100
        }
        return true
    }

    /// How long ``send(_:)`` waits for a session to read, in milliseconds.
    static let sendTimeout = 10_000

    /// Closes a streamed session's standard input: its worker ends once its batch, if any, is answered.
    mutating func closeInput() {
        if input >= 0 { close(input) }
        input = -1
    }

    /// Appends what a streamed session's worker wrote since the last call to `buffer`; false at its end.
    func readAnswers(into buffer: inout [UInt8]) -> Bool {
        guard answers >= 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(answers, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer += chunk[0..<count]
                if buffer.count > 4096 { return true }  // far more than answers: the caller finds it broken
                continue
            }
            if count < 0 && errno == EINTR { continue }
            return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
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

    /// How many bytes the child has written to its output file so far.
    var outputSize: Int { OutputFile.size(output) }

    /// The last `limit` bytes the child wrote (none before offset `since`), as text; closes the file (and a streamed
    /// session's pipes).
    func finishOutput(limit: Int = 4096, since: Int = 0) -> String {
        defer {
            close(output)
            if input >= 0 { close(input) }
            if answers >= 0 { close(answers) }
        }
        return String(decoding: OutputFile.tail(output, limit: limit, since: since), as: UTF8.self)
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
