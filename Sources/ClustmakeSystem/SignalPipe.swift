#if canImport(Glibc)
    import Glibc
#endif

/// Turns SIGINT, SIGTERM, SIGHUP and SIGCHLD into bytes on a pipe (the self-pipe trick: ``WakePipe``'s ends, kept in
/// statics the handler can read), so a `poll` loop wakes up
/// at once when a child ends or someone asks the process to stop: the executor's dispatch loop and the worker's
/// supervisor both wait on ``readEnd``.
///
/// With ``exitOnStop`` set, a stop signal ends the process at once instead (after writing the message given to
/// ``install(exitStatus:exitMessage:)``), for a process with nothing to clean up at that moment (a worker waiting
/// for dependencies while hiredis may block in `XREAD` for seconds).
///
/// The handler only calls `write` and `_exit`, which are async-signal-safe, and reads values set before it was
/// installed.
public enum SignalPipe {
    nonisolated(unsafe) private static var writeEnd: Int32 = -1
    /// The end to poll for `POLLIN`; -1 before ``install(exitStatus:exitMessage:)``.
    nonisolated(unsafe) public private(set) static var readEnd: Int32 = -1
    nonisolated(unsafe) private static var exitImmediately: Int32 = 0
    nonisolated(unsafe) private static var exitCode: Int32 = 1
    nonisolated(unsafe) private static var exitMessage: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) private static var exitMessageLength = 0

    /// The signals that stop the process.
    public static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Creates the pipe and installs the handlers (the first time), ignores SIGPIPE (a closed pipe is an error
    /// return, not a death), and unblocks the signals on the calling thread, which must be the one that polls
    /// (Swift's threads block most signals). Call again after ``uninstall()`` to handle the stop signals again.
    /// - Parameters:
    ///   - exitStatus: The status a stop signal ends the process with while ``exitOnStop`` is set.
    ///   - exitMessage: What is written to standard error then.
    public static func install(exitStatus: Int32 = 1, exitMessage: String = "") {
        if readEnd < 0 {
            guard let (read, write) = WakePipe.makeEnds() else { return }
            readEnd = read
            writeEnd = write
            let message = Array(exitMessage.utf8)
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, message.count))
            buffer.initialize(from: message, count: message.count)
            Self.exitMessage = buffer
            exitMessageLength = message.count
            exitCode = exitStatus
        }
        signal(SIGPIPE, SIG_IGN)
        for number in stopSignals + [SIGCHLD] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = relay
            action.sa_flags = SA_RESTART | (number == SIGCHLD ? SA_NOCLDSTOP : 0)
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
        var set = sigset_t()
        sigemptyset(&set)
        for number in stopSignals + [SIGCHLD] { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Puts back the default actions of the stop signals.
    public static func uninstall() {
        for number in stopSignals { signal(number, SIG_DFL) }
    }

    /// Whether a stop signal ends the process at once.
    public static var exitOnStop: Bool {
        get { exitImmediately != 0 }
        set { exitImmediately = newValue ? 1 : 0 }
    }

    /// The signals received since the last call, in order (SIGCHLD included).
    public static func drain() -> [Int32] {
        guard readEnd >= 0 else { return [] }
        var received: [Int32] = []
        // No buffer allocated: the run loop and the supervisor drain on every turn, and most find nothing.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            while true {
                let count = read(readEnd, buffer.baseAddress, buffer.count)
                if count > 0 {
                    received += buffer[0..<count].map { Int32($0) }
                    continue
                }
                if count < 0 && errno == EINTR { continue }
                return
            }
        }
        return received
    }

    /// Waits up to `milliseconds` for a signal or for one of `descriptors` to have something to read (or to hang
    /// up); returns the signals received since the last call and the descriptors that are ready.
    public static func wait(milliseconds: Int32, readable descriptors: [Int32]) -> (signals: [Int32], ready: [Int32]) {
        guard !descriptors.isEmpty else { return (wait(milliseconds: milliseconds), []) }
        var entries = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if readEnd >= 0 { entries.append(pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)) }
        _ = poll(&entries, nfds_t(entries.count), milliseconds)
        let ready = entries.prefix(descriptors.count).filter { $0.revents != 0 }.map(\.fd)
        return (drain(), ready)
    }

    /// Waits up to `milliseconds` for a signal; returns the signals received since the last call.
    public static func wait(milliseconds: Int32) -> [Int32] {
        guard readEnd >= 0 else {
            usleep(UInt32(max(0, milliseconds)) * 1000)
            return []
        }
        var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, milliseconds)
        return drain()
    }

    private static let relay: @convention(c) (Int32) -> Void = { number in
        let saved = errno
        if number != SIGCHLD && SignalPipe.exitImmediately != 0 {
            if let message = SignalPipe.exitMessage, SignalPipe.exitMessageLength > 0 {
                _ = write(2, message, SignalPipe.exitMessageLength)
            }
            _exit(SignalPipe.exitCode)
        }
        WakePipe.write(UInt8(truncatingIfNeeded: number), to: SignalPipe.writeEnd)
        errno = saved
    }
}
