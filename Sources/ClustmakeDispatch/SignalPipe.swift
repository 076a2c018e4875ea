#if canImport(Glibc)
    import Glibc
#endif

/// Turns SIGINT, SIGTERM, SIGHUP and SIGCHLD into bytes on a pipe (the self-pipe trick), so the dispatch loop's
/// `poll` wakes up at once when a child ends or the user asks to stop.
///
/// The handler only calls `write`, which is async-signal-safe, on a descriptor set before it was installed.
enum SignalPipe {
    nonisolated(unsafe) private static var writeEnd: Int32 = -1
    nonisolated(unsafe) private(set) static var readEnd: Int32 = -1

    /// The signals that stop a run.
    static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Creates the pipe and installs the handlers (once); unblocks the signals on the calling thread, which must
    /// be the one that polls (Swift's threads block most signals).
    static func install() {
        if readEnd < 0 {
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { return }
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, O_NONBLOCK)
            }
            readEnd = ends[0]
            writeEnd = ends[1]
            signal(SIGPIPE, SIG_IGN)
            for number in stopSignals + [SIGCHLD] {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = relay
                action.sa_flags = SA_RESTART | (number == SIGCHLD ? SA_NOCLDSTOP : 0)
                sigemptyset(&action.sa_mask)
                sigaction(number, &action, nil)
            }
        }
        var set = sigset_t()
        sigemptyset(&set)
        for number in stopSignals + [SIGCHLD] { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Puts back the default actions of the stop signals (after a run).
    static func uninstall() {
        for number in stopSignals { signal(number, SIG_DFL) }
    }

    /// Waits up to `milliseconds` for a signal; returns the signals received since the last call.
    static func wait(milliseconds: Int32) -> [Int32] {
        guard readEnd >= 0 else {
            usleep(UInt32(max(0, milliseconds)) * 1000)
            return []
        }
        var descriptor = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        _ = poll(&descriptor, 1, milliseconds)
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
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(SignalPipe.writeEnd, &byte, 1)
        errno = saved
    }
}
