import ClustmakeScripts
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// What a child process left behind: how it ended and what it wrote.
struct ProcessResult: Sendable, Hashable {
    /// The exit status, when it exited.
    var status: Int32?
    /// The signal that ended it, when one did.
    var signal: Int32?
    /// Standard output (at most ``ProcessRunner/outputLimit`` bytes, decoded as UTF-8 with repairs).
    var stdout: String
    /// Standard error, likewise.
    var stderr: String
    /// Whether it was stopped because it outlived its time.
    var timedOut: Bool
    /// From start to end.
    var duration: Duration
}

/// Where a child's standard input comes from.
enum ProcessInput: Sendable {
    /// `/dev/null`.
    case none
    /// These bytes, then end of file (a password line).
    case bytes([UInt8])
    /// This file (a worker binary to copy).
    case file(String)
}

/// Runs a program to completion with a time limit, through swift-subprocess.
///
/// No pipes: standard input is `/dev/null`, an unlinked scratch file or a real file, and standard output and error
/// go to unlinked scratch files read once the program ended. So a write can never raise `SIGPIPE` in this
/// process, and nothing that outlives the program (a ControlMaster ssh leaves in the background, a daemon started
/// by a remote command) can hold a pipe open and make the wait hang. The program runs in a process group of its
/// own; when its time is up the group gets `SIGTERM`, and the program `SIGKILL` half a second later.
enum ProcessRunner {
    /// The most bytes of each output stream kept.
    static let outputLimit = 1 << 20

    /// Runs `arguments` and waits for it, or for `timeout`.
    /// - Parameters:
    ///   - arguments: The program (looked up in `PATH` when it has no `/`) and its arguments.
    ///   - input: Its standard input.
    ///   - timeout: How long it may run.
    /// - Returns: How it ended and what it wrote.
    /// - Throws: ``HostsError`` (``HostsError/Code/process``) when it cannot be started.
    /// Runs an ssh command line like ``run(_:input:timeout:)``, again when sshd dropped the connection before the
    /// key exchange (`MaxStartups`, other logins at the same moment: ``ClustmakeScripts/JobLine/refusedBeforeLogin(_:)``),
    /// after ``ClustmakeScripts/JobLine/refusalDelay(retry:)``, up to ``ClustmakeScripts/JobLine/refusalRetries`` times.
    static func runSSH(
        _ arguments: [String], input: ProcessInput = .none, timeout: Duration
    ) async throws(HostsError) -> ProcessResult {
        var result = try await run(arguments, input: input, timeout: timeout)
        var retry = 0
        while result.status == 255 && JobLine.refusedBeforeLogin(result.stderr) && retry < JobLine.refusalRetries {
            retry += 1
            try? await Task.sleep(for: .seconds(JobLine.refusalDelay(retry: retry)))
            result = try await run(arguments, input: input, timeout: timeout)
        }
        return result
    }

    static func run(
        _ arguments: [String], input: ProcessInput = .none, timeout: Duration
    ) async throws(HostsError) -> ProcessResult {
        let program = arguments.first ?? ""
        let stdout = try memoryFile("stdout")
        defer { close(stdout) }
        let stderr = try memoryFile("stderr")
        defer { close(stderr) }
        let stdin = try inputDescriptor(input)
        defer { close(stdin) }

        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [
            .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .milliseconds(500))
        ]
        let executable: Executable = program.contains("/") ? .path(FilePath(program)) : .name(program)
        let configuration = Configuration(
            executable: executable, arguments: Arguments(Array(arguments.dropFirst())), platformOptions: options)

        let clock = ContinuousClock()
        let started = clock.now
        let ending = await withTaskGroup(of: Ending.self) { group in
            group.addTask {
                do {
                    let result = try await Subprocess.run(
                        configuration,
                        input: .fileDescriptor(FileDescriptor(rawValue: stdin), closeAfterSpawningProcess: false),
                        output: .fileDescriptor(FileDescriptor(rawValue: stdout), closeAfterSpawningProcess: false),
                        error: .fileDescriptor(FileDescriptor(rawValue: stderr), closeAfterSpawningProcess: false))
                    return .ended(result.terminationStatus)
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            guard case .timedOut = first else { return first }
            // The run task now tears the program down; wait for it, so no child is left behind.
            // (Cancelled, it may also throw rather than return a status: the program was stopped either way.)
            while let next = await group.next() {
                if case .ended(let status) = next { return .stopped(status) }
            }
            return .timedOut
        }
        let duration = clock.now - started
        var result = ProcessResult(
            status: nil, signal: nil, stdout: read(stdout), stderr: read(stderr), timedOut: false, duration: duration)
        switch ending {
        case .ended(let status), .stopped(let status):
            switch status {
            case .exited(let code): result.status = code
            case .signaled(let signal): result.signal = signal
            }
            if case .stopped = ending { result.timedOut = true }
        case .timedOut:
            result.timedOut = true
        case .failed(let message):
            if Task.isCancelled {
                throw HostsError(.process, "\(program) was stopped: the caller cancelled the work", cause: message)
            }
            throw HostsError(
                .process, "cannot run \(program)",
                fix: program == "ssh" ? "Install the Debian package openssh-client." : nil,
                cause: message)
        }
        return result
    }

    private enum Ending: Sendable {
        case ended(TerminationStatus)
        case stopped(TerminationStatus)
        case timedOut
        case failed(String)
    }

    /// A new unlinked scratch file, mode 0600 and close-on-exec (the child gets it through `dup2`), in `/dev/shm`
    /// (memory: a password written there never reaches a disk) or else `$TMPDIR` or `/tmp`.
    private static func memoryFile(_ name: String) throws(HostsError) -> Int32 {
        var directories = ["/dev/shm"]
        if let temporary = getenv("TMPDIR").map({ String(cString: $0) }), !temporary.isEmpty {
            directories.append(temporary)
        }
        directories.append("/tmp")
        for directory in directories {
            var template = Array("\(directory)/clustmake-\(name).XXXXXX".utf8CString)
            // mkstemp, then close-on-exec: swift-subprocess closes every other descriptor in its children anyway.
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else { continue }
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            return descriptor
        }
        throw HostsError(
            .process, "cannot create a scratch file for a child's \(name) in \(directories.joined(separator: ", "))",
            cause: errorText())
    }

    private static func inputDescriptor(_ input: ProcessInput) throws(HostsError) -> Int32 {
        switch input {
        case .none:
            let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw HostsError(.process, "cannot open /dev/null", cause: errorText()) }
            return descriptor
        case .bytes(let bytes):
            let descriptor = try memoryFile("stdin")
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    close(descriptor)
                    throw HostsError(.process, "cannot write a child's standard input", cause: errorText())
                }
                written += count
            }
            lseek(descriptor, 0, SEEK_SET)
            return descriptor
        case .file(let path):
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw HostsError(.process, "cannot open \(path)", cause: errorText()) }
            return descriptor
        }
    }

    /// Up to ``outputLimit`` bytes of an output file, from its start.
    private static func read(_ descriptor: Int32) -> String {
        lseek(descriptor, 0, SEEK_SET)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while bytes.count < outputLimit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<min(count, outputLimit - bytes.count)]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func errorText() -> String {
        "\(String(cString: strerror(errno))) (errno \(errno))"
    }
}
