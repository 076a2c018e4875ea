import ClustmakeModel

#if canImport(Glibc)
    import Glibc
#endif

/// How to start a job's command: the resolved executable, its arguments, its environment and its directory.
///
/// A shell command runs as `/bin/sh -c LINE`, unless it is a ``SimpleCommand``: then its words run directly, as the
/// shell would run them, and the shell takes over only if the program cannot be executed (a script without `#!`,
/// a file gone meanwhile). An argument vector runs directly, its first word searched in the `PATH` of the job's
/// environment when it has no slash (as `execvp` would, but with the job's `PATH`). The
/// environment is the worker's, minus ``withheld`` (whatever leads to redis stays with the worker:
/// docs/security.md), plus the job's `env`, plus `CLUSTMAKE_NAMESPACE`, `CLUSTMAKE_JOB`, `CLUSTMAKE_ATTEMPT` and
/// `CLUSTMAKE_HOST`.
struct JobLaunch {
    var executable: String
    var arguments: [String]
    var environment: [String]
    var directory: String?
    /// For a ``SimpleCommand`` run directly: the shell's `-c` line and environment, to run instead when the program
    /// cannot be executed.
    var shellFallback: (line: String, environment: [String])?

    /// Variables the worker keeps from its jobs: the password sources of docs/worker.md ("Passwords") that live in
    /// the environment, so that no job finds its way into the store through its worker.
    static let withheld: Set<String> = ["REDISCLI_AUTH", "CLUSTMAKE_REDIS_PASSWORD_FILE"]

    /// The worker's own environment, read once (nothing in the worker changes it), in order: each `NAME=value`
    /// entry with its name and value, split at the first `=` byte as libc does. A streamed session prepares every
    /// job from it; reading and splitting `environ` for each job was half of the worker's instructions a job.
    static let inherited: [(name: String, value: String, entry: String)] = {
        var variables: [(name: String, value: String, entry: String)] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) ?? text.endIndex
            let value = equals == text.endIndex ? "" : String(text[text.utf8.index(after: equals)...])
            variables.append((String(text[..<equals]), value, text))
            pointer += 1
        }
        return variables
    }()

    /// Prepares `job`'s command, or says why it cannot start (a missing directory or executable): the job then
    /// fails, as a command that cannot be run fails in a shell.
    /// - Parameters:
    ///   - job: The job.
    ///   - extra: Variables to add after the job's own.
    /// - Returns: The launch, or a sentence saying why the command cannot start.
    static func prepare(_ job: Job, extra: [(String, String)]) -> Result<JobLaunch, LaunchFailure> {
        var overridden = withheld
        for variable in job.env { overridden.insert(variable.name) }
        for (name, _) in extra { overridden.insert(name) }
        var environment: [String] = []
        environment.reserveCapacity(inherited.count + job.env.count + extra.count)
        var inheritedPath: String?
        for variable in inherited where !overridden.contains(variable.name) {
            environment.append(variable.entry)
            if variable.name == "PATH" { inheritedPath = variable.value }
        }
        for variable in job.env { environment.append("\(variable.name)=\(variable.value)") }
        for (name, value) in extra { environment.append("\(name)=\(value)") }

        if let directory = job.cwd {
            var info = stat()
            guard stat(directory, &info) == 0 else {
                return .failure(
                    LaunchFailure(
                        "cannot change to the job's directory \(directory): \(String(cString: strerror(errno)))"))
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                return .failure(LaunchFailure("the job's directory \(directory) is not a directory"))
            }
        }
        let path =
            job.env.last(where: { $0.name == "PATH" })?.value ?? inheritedPath ?? "/usr/local/bin:/usr/bin:/bin"
        switch job.command {
        case .shell(let line):
            return .success(shellOrDirect(line, environment: environment, searchPath: path, directory: job.cwd))
        case .argv(let words):
            guard let first = words.first, !first.isEmpty else {
                return .failure(LaunchFailure("the job's argument vector is empty"))
            }
            switch resolve(first, searchPath: path, directory: job.cwd) {
            case .success(let executable):
                return .success(
                    JobLaunch(executable: executable, arguments: words, environment: environment, directory: job.cwd))
            case .failure(let failure):
                return .failure(failure)
            }
        }
    }

    /// `line` run directly when it is a ``SimpleCommand`` whose program is found (the path the shell would find,
    /// and one that stays right after the change to `directory`), else under `/bin/sh -c`.
    static func shellOrDirect(_ line: String, environment: [String], searchPath: String, directory: String?)
        -> JobLaunch
    {
        guard let simple = SimpleCommand(line),
            case .success(let executable) = resolve(simple.words[0], searchPath: searchPath, directory: directory),
            executable.hasPrefix("/") || simple.words[0].contains("/") || directory == nil,
            let direct = SimpleCommand.environment(environment, directory: directory)
        else { return Self.shell(line, environment: environment, directory: directory) }
        return JobLaunch(
            executable: executable, arguments: simple.words, environment: direct, directory: directory,
            shellFallback: (line, environment))
    }

    /// `line` run by `/bin/sh -c`.
    static func shell(_ line: String, environment: [String], directory: String?) -> JobLaunch {
        JobLaunch(executable: "/bin/sh", arguments: ["sh", "-c", line], environment: environment, directory: directory)
    }

    /// The path to execute for `name`: itself when it has a slash, else the first executable regular file named
    /// `name` in `searchPath`.
    static func resolve(_ name: String, searchPath: String, directory: String?) -> Result<String, LaunchFailure> {
        func absolute(_ path: String) -> String {
            guard !path.hasPrefix("/"), let directory else { return path }
            return directory + "/" + path
        }
        if name.utf8.contains(UInt8(ascii: "/")) {
            let path = absolute(name)
            guard access(path, X_OK) == 0 else {
                return .failure(LaunchFailure("cannot run '\(name)': \(String(cString: strerror(errno)))"))
            }
            return .success(name)
        }
        for entry in searchPath.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
            let candidate = absolute((entry.isEmpty ? "." : String(Substring(entry))) + "/" + name)
            var info = stat()
            if stat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFREG, access(candidate, X_OK) == 0 {
                return .success(candidate)
            }
        }
        return .failure(LaunchFailure("cannot run '\(name)': command not found in PATH=\(searchPath)"))
    }

    /// Starts the command in a new process group (its pid is the group's id), with standard input from
    /// `/dev/null`, standard output and error on the given descriptors, no other descriptors, every signal's
    /// default disposition and an empty signal mask, in its directory, at least as nice as `nice`.
    ///
    /// `fork` and `execve` rather than `posix_spawn`: glibc's `posix_spawn` runs the child in the worker's own
    /// memory until `execve` (`CLONE_VM | CLONE_VFORK`), and Linux then counts the worker's resident set as the
    /// child's peak (`ru_maxrss` keeps the largest memory the process ever had, including the one it replaced at
    /// `execve`), so every job would report at least the worker's ~10 MiB. A forked child copies only the worker's
    /// few anonymous pages. `fork` also lets the child set its nice level, directory and process group itself.
    /// Between `fork` and `execve` the child makes only system calls on values prepared beforehand (the worker is
    /// single-threaded); an `execve` or `chdir` failure comes back through a close-on-exec pipe.
    /// - Parameters:
    ///   - stdout: The write end of the stdout pipe.
    ///   - stderr: The write end of the stderr pipe.
    ///   - nice: The nice level the job asks for; the child is made that nice when the worker is less nice (a
    ///     process can only be made nicer without privileges).
    /// - Returns: The process id.
    func spawn(stdout: Int32, stderr: Int32, nice: Int?) -> Result<pid_t, LaunchFailure> {
        let outcome = spawnOnce(stdout: stdout, stderr: stderr, nice: nice)
        guard case .failure(let failure) = outcome, failure.atExecution, let (line, environment) = shellFallback else {
            return outcome
        }
        return Self.shell(line, environment: environment, directory: directory)
            .spawnOnce(stdout: stdout, stderr: stderr, nice: nice)
    }

    /// ``spawn(stdout:stderr:nice:)`` of this executable only.
    private func spawnOnce(stdout: Int32, stderr: Int32, nice: Int?) -> Result<pid_t, LaunchFailure> {
        let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
        let envp = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: environment.count + 1)
        for (index, argument) in arguments.enumerated() { argv[index] = strdup(argument) }
        for (index, variable) in environment.enumerated() { envp[index] = strdup(variable) }
        argv[arguments.count] = nil
        envp[environment.count] = nil
        let path = strdup(executable)!
        let devNull = strdup("/dev/null")!
        let workingDirectory = directory.map { strdup($0)! }
        let report = UnsafeMutablePointer<Int32>.allocate(capacity: 2)
        defer {
            for index in 0..<arguments.count { free(argv[index]) }
            for index in 0..<environment.count { free(envp[index]) }
            argv.deallocate()
            envp.deallocate()
            free(path)
            free(devNull)
            if let workingDirectory { free(workingDirectory) }
            report.deallocate()
        }
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let niceness: Int32? = nice.flatMap {
            errno == 0 && Int32(clamping: $0) > current ? Int32(clamping: min($0, 19)) : nil
        }
        let closeRange = Self.closeRange
        let descriptorLimit = Int32(clamping: min(max(sysconf(Int32(_SC_OPEN_MAX)), 256), 65_536))
        guard let failurePipe = makePipe() else {
            return .failure(LaunchFailure("cannot create a pipe: \(String(cString: strerror(errno)))"))
        }
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var previous = sigset_t()
        sigprocmask(SIG_SETMASK, &allSignals, &previous)
        let pid = fork()
        if pid == 0 {
            // The child: system calls only, on values prepared above.
            func fail(_ stage: Int32) -> Never {
                report[0] = stage
                report[1] = errno
                _ = write(failurePipe.write, report, 8)
                _exit(127)
            }
            for number in 1..<Int32(65) { _ = signal(number, SIG_DFL) }
            _ = setpgid(0, 0)
            if let niceness { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
            let input = open(devNull, O_RDONLY)
            if input < 0 { fail(2) }
            if dup2(input, 0) < 0 || dup2(stdout, 1) < 0 || dup2(stderr, 2) < 0 { fail(2) }
            if let workingDirectory, chdir(workingDirectory) != 0 { fail(1) }
            let keep = failurePipe.write  // close-on-exec: it closes by itself when execve succeeds
            if let closeRange {
                if keep > 3 { _ = closeRange(3, UInt32(keep - 1), 0) }
                _ = closeRange(UInt32(keep + 1), UInt32.max, 0)
            } else {
                var descriptor: Int32 = 3
                while descriptor < descriptorLimit {
                    if descriptor != keep { _ = close(descriptor) }
                    descriptor += 1
                }
            }
            sigprocmask(SIG_SETMASK, &noSignals, nil)
            execve(path, argv, envp)
            fail(3)
        }
        let forkErrno = errno
        sigprocmask(SIG_SETMASK, &previous, nil)
        close(failurePipe.write)
        defer { close(failurePipe.read) }
        guard pid > 0 else {
            return .failure(LaunchFailure("cannot start a process: \(String(cString: strerror(forkErrno)))"))
        }
        _ = setpgid(pid, pid)  // also from this side, so the group exists before anyone signals it
        var received = 0
        while received < 8 {
            let count = read(failurePipe.read, UnsafeMutableRawPointer(report) + received, 8 - received)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            received += count
        }
        guard received == 8 else { return .success(pid) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let reason = String(cString: strerror(report[1]))
        if report[0] == 1 {
            return .failure(LaunchFailure("cannot change to the job's directory \(directory ?? ""): \(reason)"))
        }
        return .failure(
            LaunchFailure("cannot run '\(arguments.first ?? executable)': \(reason)", atExecution: report[0] == 3))
    }

    private typealias CloseRange = @convention(c) (UInt32, UInt32, Int32) -> Int32

    /// glibc's `close_range` (2.34+), looked up at run time: the Glibc module does not import it (it is declared
    /// only with `_GNU_SOURCE`).
    private static let closeRange: CloseRange? = {
        guard let symbol = dlsym(nil, "close_range") else { return nil }
        return unsafeBitCast(symbol, to: CloseRange.self)
    }()
}

/// Why a job's command could not start, as a sentence for the attempt's record.
struct LaunchFailure: Error, Sendable {
    var message: String
    /// Whether `execve` itself failed (the process was made, its directory and descriptors set).
    var atExecution: Bool
    init(_ message: String, atExecution: Bool = false) {
        self.message = message
        self.atExecution = atExecution
    }
}
