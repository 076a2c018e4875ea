import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

extension Spawn {
    /// How a child started by ``run(_:standardInput:standardOutput:standardError:environment:workingDirectory:timeout:grace:)``
    /// ended.
    public struct Ending: Sendable, Hashable {
        /// The exit status, when it exited.
        public var status: Int32?
        /// How long it ran, from the start of the wait to its end, as the waiting thread saw it: not the time the
        /// caller took to resume (on a busy cooperative pool that can be much longer). Not part of `==`: two runs
        /// that end the same way are equal whatever their times.
        public var duration: Duration = .zero
        /// The signal that ended it, when one did.
        public var signal: Int32?
        /// Whether it was stopped because it outlived its time.
        public var timedOut = false
        /// Whether it was stopped because the waiting task was cancelled.
        public var cancelled = false

        public init(status: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false, cancelled: Bool = false) {
            self.status = status
            self.signal = signal
            self.timedOut = timedOut
            self.cancelled = cancelled
        }

        public static func == (left: Ending, right: Ending) -> Bool {
            left.status == right.status && left.signal == right.signal && left.timedOut == right.timedOut
                && left.cancelled == right.cancelled
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(status)
            hasher.combine(signal)
            hasher.combine(timedOut)
            hasher.combine(cancelled)
        }

        /// From a `waitpid` status word.
        init(raw: Int32) {
            if raw & 0x7f == 0 {
                status = (raw >> 8) & 0xff
            } else {
                signal = raw & 0x7f
            }
        }
    }

    /// Starts `arguments` in a process group of its own and waits for it, from async code, without holding a thread
    /// of the cooperative pool (the wait runs on a ``DedicatedThread``).
    ///
    /// When `timeout` passes, or the calling task is cancelled, the group gets `SIGTERM`, and `SIGKILL` after
    /// `grace` if the program is still there; the program is always reaped before this returns, so no child is left
    /// behind. Everything else is ``process(_:standardInput:standardOutput:standardError:environment:newProcessGroup:workingDirectory:)``'s.
    /// - Parameters:
    ///   - arguments: The program (looked up in `PATH` when it has no `/`) and its arguments.
    ///   - environment: `NAME=value` entries, or `nil` for this process's environment.
    ///   - workingDirectory: Its working directory, or `nil` for this process's.
    ///   - timeout: How long it may run.
    ///   - grace: How long it has to end after `SIGTERM`.
    /// - Returns: How it ended.
    /// - Throws: ``SpawnError`` when it cannot be started.
    public static func run(
        _ arguments: [String], standardInput: Source = .null, standardOutput: Sink, standardError: Sink,
        environment: [String]? = nil, workingDirectory: String? = nil, timeout: Duration,
        grace: Duration = .milliseconds(500)
    ) async throws(SpawnError) -> Ending {
        let pid = try process(
            arguments, standardInput: standardInput, standardOutput: standardOutput, standardError: standardError,
            environment: environment, newProcessGroup: true, workingDirectory: workingDirectory
        ).get()
        let stop = StopRequest()
        return await withTaskCancellationHandler {
            await DedicatedThread.run { () -> Ending in
                wait(for: pid, timeout: timeout, grace: grace) { stop.requested.load(ordering: .relaxed) }
            }
        } onCancel: {
            stop.requested.store(true, ordering: .relaxed)
        }
    }

    /// Waits for `pid`, a child started in a process group of its own, stopping the group when `timeout` passes or
    /// `stopRequested` says so (`SIGTERM`, then `SIGKILL` after `grace`). It blocks: call it from a thread of its own,
    /// or from synchronous code that may block (a test).
    /// - Returns: How the child ended.
    public static func wait(
        for pid: pid_t, timeout: Duration, grace: Duration, stopRequested: () -> Bool
    ) -> Ending {
        let clock = ContinuousClock()
        let started = clock.now
        var deadline = started + timeout
        var terminated = false
        var killed = false
        var cancelled = false
        let descriptor = processDescriptor(pid)
        defer { if descriptor >= 0 { close(descriptor) } }
        while true {
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid {
                var ending = Ending(raw: raw)
                ending.cancelled = cancelled
                ending.timedOut = terminated && !cancelled
                ending.duration = clock.now - started
                return ending
            }
            if result < 0 && errno != EINTR {
                // Reaped elsewhere (someone waited for every child): how it ended is lost.
                var ending = Ending(status: nil, signal: nil, timedOut: terminated && !cancelled, cancelled: cancelled)
                ending.duration = clock.now - started
                return ending
            }
            let now = clock.now
            if !terminated && (now >= deadline || stopRequested()) {
                cancelled = now < deadline
                terminated = true
                _ = kill(-pid, SIGTERM)
                deadline = now + grace
            } else if terminated && !killed && now >= deadline {
                killed = true
                _ = kill(-pid, SIGKILL)
            }
            // Sleep until the child ends, the next deadline, or the next look at `stopRequested`.
            let step = killed ? Duration.milliseconds(50) : min(.milliseconds(50), max(.zero, deadline - now))
            let (seconds, attoseconds) = step.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            if descriptor >= 0 {
                var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                _ = poll(&entry, 1, milliseconds)
            } else {
                usleep(UInt32(min(milliseconds, 5)) * 1000)
            }
        }
    }

    /// A pidfd for `pid` (readable once it ended), or -1 where the kernel or glibc (before 2.36) has none; then
    /// ``wait(for:timeout:grace:stopRequested:)`` looks every few milliseconds instead.
    private static func processDescriptor(_ pid: pid_t) -> Int32 {
        guard let open = pidfdOpen else { return -1 }
        let descriptor = open(pid, 0)
        if descriptor >= 0 { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return descriptor
    }

    /// glibc's `pidfd_open` (2.36+), looked up at run time like `posix_spawn_file_actions_addclosefrom_np`.
    private static let pidfdOpen: (@convention(c) (pid_t, UInt32) -> Int32)? = {
        guard let symbol = dlsym(nil, "pidfd_open") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (pid_t, UInt32) -> Int32).self)
    }()
}

/// The flag a cancelled task sets for the thread that waits for its child.
private final class StopRequest: Sendable {
    let requested = Atomic(false)
}
