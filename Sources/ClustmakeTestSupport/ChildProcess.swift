import Glibc

/// Starts the processes the test support runs (servers, setup tools, ssh) the one safe way: standard input from
/// /dev/null, standard output and error where asked, no other inherited descriptor (hiredis opens its sockets
/// without close-on-exec, and other tests spawn at the same time), an empty signal mask and default actions for
/// the signals a test process may block or ignore (SIGPIPE, SIGINT, SIGQUIT), so that shells, ssh and servers
/// react to signals as they would from a terminal.
enum ChildProcess {
    /// Where a child's standard output or error goes.
    enum Destination {
        /// An open descriptor of the parent.
        case descriptor(Int32)
        /// A file, created if needed and appended to.
        case appending(String)
        /// Standard error only: wherever standard output goes.
        case standardOutput
    }

    /// Spawns `arguments` (the program looked up in `PATH` when it has no `/`).
    /// - Parameters:
    ///   - newProcessGroup: Put the child in a process group of its own, so that it and its children can be
    ///     signalled together.
    /// - Returns: The child's pid, or the `errno` of the failure.
    static func spawn(
        _ arguments: [String], standardOutput: Destination, standardError: Destination,
        newProcessGroup: Bool = false
    ) -> Result<pid_t, Errno> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (target, destination) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch destination {
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            case .appending(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .standardOutput: posix_spawn_file_actions_adddup2(&actions, 1, target)
            }
        }
        if let closeFrom = closeFromAction { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGPIPE, SIGINT, SIGQUIT] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let status = cArguments.withUnsafeMutableBufferPointer { buffer in
            posix_spawnp(&pid, arguments[0], &actions, &attributes, buffer.baseAddress!, environ)
        }
        return status == 0 ? .success(pid) : .failure(Errno(status))
    }

    /// An `errno` value with its text.
    struct Errno: Error, CustomStringConvertible {
        var code: Int32
        init(_ code: Int32) { self.code = code }
        var description: String { String(cString: strerror(code)) }
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
}
