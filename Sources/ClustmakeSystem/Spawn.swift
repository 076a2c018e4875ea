#if canImport(Glibc)
    import Glibc
#endif

/// Starts a child process the one safe way, for the executor, the test support and the tests alike
/// (`posix_spawn`, never `fork` in a multithreaded process):
/// - standard input from /dev/null or a given descriptor, standard output and error where asked;
/// - no other inherited descriptor (hiredis opens its sockets without close-on-exec, and other threads spawn at the
///   same time): everything above 2 is closed in the child;
/// - an empty signal mask and default actions for SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD and SIGQUIT (a Swift
///   process's threads block most signals, and children inherit the mask and ignored signals: ssh, shells, servers
///   and the worker would otherwise not react to the signals they are sent);
/// - optionally a process group of its own, so that it and its children can be signalled together;
/// - optionally another working directory.
///
/// It is clustmake's one process runner: ``run(_:standardInput:standardOutput:standardError:environment:workingDirectory:timeout:grace:)``
/// waits for a child from async code (hosts check and install, the embedded redis, the tests), and the executor
/// reaps its own from its poll loop.
public enum Spawn {
    /// Where a child's standard input comes from.
    public enum Source: Sendable {
        /// /dev/null.
        case null
        /// An open descriptor of the parent.
        case descriptor(Int32)
    }

    /// Where a child's standard output or error goes.
    public enum Sink: Sendable {
        /// An open descriptor of the parent.
        case descriptor(Int32)
        /// A file, created if needed, appended to or truncated.
        case file(String, append: Bool)
        /// Standard error only: wherever standard output goes.
        case standardOutput
    }

    /// The signals a child gets back with their default actions.
    public static let defaultSignals: [Int32] = [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGQUIT]

    /// Spawns `arguments`.
    /// - Parameters:
    ///   - arguments: The program and its arguments; the program is looked up in `PATH` when it has no `/`.
    ///   - environment: `NAME=value` entries, or `nil` for this process's environment.
    ///   - newProcessGroup: Put the child in a process group of its own.
    ///   - workingDirectory: The child's working directory, or `nil` for this process's.
    /// - Returns: The child's pid, or the failure.
    public static func process(
        _ arguments: [String], standardInput: Source = .null, standardOutput: Sink, standardError: Sink,
        environment: [String]? = nil, newProcessGroup: Bool = false, workingDirectory: String? = nil
    ) -> Result<pid_t, SpawnError> {
        guard !arguments.isEmpty else { return .failure(SpawnError(EINVAL)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch standardInput {
        case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, 0)
        }
        for (target, sink) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch sink {
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            case .file(let path, let append):
                let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
                posix_spawn_file_actions_addopen(&actions, target, path, mode, 0o644)
            case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, target)
            }
        }
        if let closeFrom = closeFromAction { _ = closeFrom(&actions, 3) }
        if let workingDirectory {
            guard let changeDirectory = changeDirectoryAction else { return .failure(SpawnError(ENOSYS)) }
            _ = changeDirectory(&actions, workingDirectory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in defaultSignals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let status: Int32
        if let environment {
            var cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
            defer { for pointer in cEnvironment { free(pointer) } }
            status = cArguments.withUnsafeMutableBufferPointer { argv in
                cEnvironment.withUnsafeMutableBufferPointer { envp in
                    posix_spawnp(&pid, arguments[0], &actions, &attributes, argv.baseAddress!, envp.baseAddress!)
                }
            }
        } else {
            status = cArguments.withUnsafeMutableBufferPointer { argv in
                posix_spawnp(&pid, arguments[0], &actions, &attributes, argv.baseAddress!, environ)
            }
        }
        return status == 0 ? .success(pid) : .failure(SpawnError(status))
    }

    /// This process's environment with `setting` set (replacing same-named entries) and `removing` left out, as
    /// `NAME=value` entries for ``process(_:standardInput:standardOutput:standardError:environment:newProcessGroup:workingDirectory:)``.
    public static func environment(setting: [String: String] = [:], removing: [String] = []) -> [String] {
        var entries: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            if setting[name] == nil && !removing.contains(name) { entries.append(text) }
            index += 1
        }
        for (name, value) in setting.sorted(by: { $0.key < $1.key }) { entries.append("\(name)=\(value)") }
        return entries
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time: the Glibc module does
    /// not import it (it is declared only with `_GNU_SOURCE`).
    private static let closeFromAction:
        (
            @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        )? = {
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
            return unsafeBitCast(
                symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }()

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), looked up at run time for the same reason.
    private static let changeDirectoryAction:
        (
            @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        )? = {
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)
                    .self)
        }()
}

/// Why a child could not be started, or its output file made: an `errno` value with its text.
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public var description: String { String(cString: strerror(code)) }
}
