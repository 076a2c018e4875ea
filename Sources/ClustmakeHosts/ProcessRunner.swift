import ClustmakeScripts
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// What a child process left behind: how it ended and what it wrote.
public struct ProcessResult: Sendable, Hashable {
    /// The exit status, when it exited.
    public var status: Int32?
    /// The signal that ended it, when one did.
    public var signal: Int32?
    /// Standard output (at most ``ProcessRunner/outputLimit`` bytes, decoded as UTF-8 with repairs).
    public var stdout: String
    /// Standard error, likewise.
    public var stderr: String
    /// Whether it was stopped because it outlived its time.
    public var timedOut: Bool
    /// From start to end.
    public var duration: Duration
}

/// Where a child's standard input comes from.
public enum ProcessInput: Sendable {
    /// `/dev/null`.
    case none
    /// These bytes, then end of file (a password line).
    case bytes([UInt8])
    /// This file (a worker binary to copy).
    case file(String)
}

/// Runs a program to completion with a time limit: ssh for hosts check and install, `redis-server` for the embedded
/// redis, `sh` in the tests.
///
/// clustmake has one process runner, ``ClustmakeSystem/Spawn``, and this is it seen from async code. Spawn is
/// `posix_spawn` with the settings every child needs (standard input from /dev/null or a file, no descriptor but
/// 0, 1 and 2 inherited, an empty signal mask and default signal actions, a process group of its own); output goes
/// to unlinked scratch files (``ClustmakeSystem/OutputFile``); ``ClustmakeSystem/Spawn/run(_:standardInput:standardOutput:standardError:environment:workingDirectory:timeout:grace:)``
/// waits on a thread of its own (a pidfd, so the end is seen at once) and stops the group on timeout or
/// cancellation. It was chosen over swift-subprocess, which this runner used before, because the executor's
/// dispatch loop spawns and reaps thousands of job lines a second from one poll loop on one dedicated thread
/// (bench/run-vs-parallel.py measures it): a synchronous spawn it reaps itself (`waitpid` per pid) costs a system
/// call or two per line, where swift-subprocess needs an async task, its own pipes and its own monitoring per
/// child. swift-subprocess's safety properties are kept here: no pipes (so no pipe can fill up, hang a wait when a
/// ControlMaster or a daemon outlives the program, or raise `SIGPIPE` in this process), no inherited descriptors,
/// process groups signalled, output capped (``outputLimit``), a time limit.
///
/// When the time is up the group gets `SIGTERM`, and `SIGKILL` half a second later if it is still there.
public enum ProcessRunner {
    /// The most bytes of each output stream kept.
    static let outputLimit = 1 << 20

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

    /// Runs `arguments` and waits for it, or for `timeout`.
    /// - Parameters:
    ///   - arguments: The program (looked up in `PATH` when it has no `/`) and its arguments.
    ///   - input: Its standard input.
    ///   - environment: `NAME=value` entries, or `nil` for this process's environment.
    ///   - workingDirectory: Its working directory, or `nil` for this process's.
    ///   - timeout: How long it may run.
    /// - Returns: How it ended and what it wrote.
    /// - Throws: ``HostsError`` (``HostsError/Code/process``) when it cannot be started, or when the calling task
    ///   was cancelled (the program was stopped and reaped).
    public static func run(
        _ arguments: [String], input: ProcessInput = .none, environment: [String]? = nil,
        workingDirectory: String? = nil, timeout: Duration
    ) async throws(HostsError) -> ProcessResult {
        let program = arguments.first ?? ""
        let stdout = try memoryFile("stdout")
        defer { close(stdout) }
        let stderr = try memoryFile("stderr")
        defer { close(stderr) }
        let stdin = try inputDescriptor(input)
        defer { if stdin >= 0 { close(stdin) } }

        let ending: Spawn.Ending
        do {
            ending = try await Spawn.run(
                arguments, standardInput: stdin >= 0 ? .descriptor(stdin) : .null,
                standardOutput: .descriptor(stdout), standardError: .descriptor(stderr), environment: environment,
                workingDirectory: workingDirectory, timeout: timeout)
        } catch {
            throw HostsError(
                .process, "cannot run \(program)",
                fix: program == "ssh" ? "Install the Debian package openssh-client." : nil,
                cause: "\(error) (errno \(error.code))")
        }
        if ending.cancelled {
            throw HostsError(.process, "\(program) was stopped: the caller cancelled the work")
        }
        return ProcessResult(
            status: ending.status, signal: ending.signal, stdout: read(stdout), stderr: read(stderr),
            timedOut: ending.timedOut, duration: ending.duration)
    }

    /// A new unlinked scratch file (``ClustmakeSystem/OutputFile``) in `/dev/shm` (memory: a password written there
    /// never reaches a disk), or else `$TMPDIR` or `/tmp`.
    private static func memoryFile(_ name: String) throws(HostsError) -> Int32 {
        var directories = ["/dev/shm"]
        if let temporary = getenv("TMPDIR").map({ String(cString: $0) }), !temporary.isEmpty {
            directories.append(temporary)
        }
        directories.append("/tmp")
        switch OutputFile.create("clustmake-\(name)", in: directories) {
        case .success(let descriptor): return descriptor
        case .failure(let error):
            throw HostsError(
                .process,
                "cannot create a scratch file for a child's \(name) in \(directories.joined(separator: ", "))",
                cause: "\(error) (errno \(error.code))")
        }
    }

    /// The descriptor to give the child as standard input (the caller closes it), or -1 for /dev/null.
    private static func inputDescriptor(_ input: ProcessInput) throws(HostsError) -> Int32 {
        switch input {
        case .none:
            return -1
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
        String(decoding: OutputFile.head(descriptor, limit: outputLimit), as: UTF8.self)
    }

    static func errorText() -> String {
        "\(String(cString: strerror(errno))) (errno \(errno))"
    }
}
