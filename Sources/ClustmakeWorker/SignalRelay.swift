#if canImport(Glibc)
    import Glibc
#endif

/// Turns the signals the worker handles into bytes on a pipe (the self-pipe trick), so the supervisor's poll loop
/// sees them with the job's output: SIGCHLD (the job exited), SIGINT, SIGTERM and SIGHUP (stop).
///
/// While no job runs and no lease is held (waiting for dependencies), ``exitOnStop`` makes SIGINT, SIGTERM and
/// SIGHUP end the worker at once with ``WorkerExitStatus/interrupted``: there is nothing to clean up, and hiredis
/// may be blocked in `XREAD` for seconds.
///
/// The handler only calls `write` and `_exit`, which are async-signal-safe, and reads values set before it was
/// installed. The worker is single-threaded, so these globals are never written concurrently.
enum SignalRelay {
    nonisolated(unsafe) private static var writeEnd: Int32 = -1
    nonisolated(unsafe) private(set) static var readEnd: Int32 = -1
    nonisolated(unsafe) private static var exitImmediately: Int32 = 0
    nonisolated(unsafe) private static var exitMessage: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) private static var exitMessageLength = 0

    /// The signals that stop the worker.
    static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Creates the pipe and installs the handlers; ignores SIGPIPE (a closed output pipe is an error return, not a
    /// death). Call once, before anything else.
    static func install() {
        guard let ends = makePipe(nonBlocking: true) else { return }
        readEnd = ends.read
        writeEnd = ends.write
        let message = Array("compmake: interrupted while no job was running; nothing was run\n".utf8)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: message.count)
        buffer.initialize(from: message, count: message.count)
        exitMessage = buffer
        exitMessageLength = message.count
        signal(SIGPIPE, SIG_IGN)
        for number in stopSignals + [SIGCHLD] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = relay
            action.sa_flags = SA_RESTART | (number == SIGCHLD ? SA_NOCLDSTOP : 0)
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
        }
    }

    /// Whether a stop signal ends the worker at once (no lease held, no job running).
    static var exitOnStop: Bool {
        get { exitImmediately != 0 }
        set { exitImmediately = newValue ? 1 : 0 }
    }

    /// The signals received since the last call, in order (SIGCHLD included).
    static func drain() -> [Int32] {
        guard readEnd >= 0 else { return [] }
        var received: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 {
                received += buffer[0..<count].map { Int32($0) }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            return received
        }
    }

    private static let relay: @convention(c) (Int32) -> Void = { number in
        let saved = errno
        if number != SIGCHLD && SignalRelay.exitImmediately != 0 {
            if let message = SignalRelay.exitMessage {
                _ = write(2, message, SignalRelay.exitMessageLength)
            }
            _exit(WorkerExitStatus.interrupted)
        }
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(SignalRelay.writeEnd, &byte, 1)
        errno = saved
    }
}
