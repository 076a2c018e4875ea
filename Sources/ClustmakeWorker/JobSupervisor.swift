import ClustmakeModel
import ClustmakeStore
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one attempt's command and watches it until it ends, from one `poll(2)` loop and without threads: reads its
/// stdout and stderr as they come (keeping the last 64 KiB of each, and all of it in log files if asked), renews
/// the lease on time, enforces the timeout, forwards stop signals to the job's process group, and notices the
/// worker's session dropping (its stdout or stderr pipe hung up).
struct JobSupervisor {
    /// What the heartbeat reports back.
    enum Heartbeat {
        /// The lease is still this worker's.
        case kept
        /// redis could not be reached: keep the job running and try again soon.
        case unreachable
        /// The lease is someone else's now: stop the job.
        case lost
    }

    /// Why the worker stopped the job, if it did.
    enum Stop: Equatable {
        case interrupted(signal: Int32)
        case timedOut
        case leaseLost
    }

    /// How the attempt ended.
    struct Report {
        var launchFailure: String?
        var pid: pid_t?
        var exitStatus: Int32?
        var signal: Int32?
        var stop: Stop?
        var started: UTCTime
        var ended: UTCTime
        var wallTime: Double
        var userCPU = 0.0
        var systemCPU = 0.0
        var maxRSS: UInt64 = 0
        var stdout: OutputTail
        var stderr: OutputTail
        var logProblems: [String] = []
        /// A stop signal came after the job had exited: the job's outcome stands, but the worker must stop.
        var interruptedAfterExit = false
    }

    var launch: Result<JobLaunch, LaunchFailure>
    /// The job's nice level, if it sets one.
    var nice: Int?
    var timeout: Double?
    var heartbeatInterval: Double
    /// How soon to try again after an unreachable heartbeat.
    var heartbeatRetry = 1.0
    var killGrace: Double
    /// How long to keep reading the pipes after the job exited, when something it started still holds them.
    var drainGrace = 1.0
    /// The worker's descriptors whose hanging up means its session is gone (``watchableSession(_:)``).
    var sessionDescriptors: [Int32] = [1, 2]
    var stdoutLog: LogFile?
    var stderrLog: LogFile?
    var heartbeat: () -> Heartbeat
    /// A descriptor to watch for input while the job runs (a streamed session's standard input), and what to do when
    /// it is readable: `read` returns whether to keep watching it.
    var input: (descriptor: Int32, read: () -> Bool)?

    static let readChunk = 64 * 1024

    /// The command once ``spawn()`` ran: how it is going so far, and its process and output pipes when it started.
    private(set) var spawned: (report: Report, running: Running?)? = nil

    /// A started command: its process, the read ends of its output pipes, and when it started.
    struct Running {
        var pid: pid_t
        var outRead: Int32
        var errRead: Int32
        var start: ContinuousClock.Instant
    }

    /// Whether ``spawn()`` started the command (and ``run()`` has not taken it over yet).
    var hasStarted: Bool { spawned?.running != nil }

    /// Starts the command, if it was not started yet (``run()`` then watches it). A command that cannot start is
    /// reported by ``run()``.
    mutating func spawn() {
        guard spawned == nil else { return }
        let clock = ContinuousClock()
        var report = Report(
            started: UTCTime.now(), ended: UTCTime.now(), wallTime: 0,
            stdout: OutputTail(capacity: StoreSchema.outputTailBytes),
            stderr: OutputTail(capacity: StoreSchema.outputTailBytes))
        let launch: JobLaunch
        switch self.launch {
        case .success(let ready): launch = ready
        case .failure(let failure):
            report.launchFailure = failure.message
            spawned = (report, nil)
            return
        }
        guard let outPipe = makePipe() else {
            report.launchFailure = "cannot create a pipe: \(String(cString: strerror(errno)))"
            spawned = (report, nil)
            return
        }
        guard let errPipe = makePipe() else {
            report.launchFailure = "cannot create a pipe: \(String(cString: strerror(errno)))"
            close(outPipe.read)
            close(outPipe.write)
            spawned = (report, nil)
            return
        }
        let start = clock.now
        report.started = UTCTime.now()
        let pid: pid_t
        switch launch.spawn(stdout: outPipe.write, stderr: errPipe.write, nice: nice) {
        case .success(let spawned): pid = spawned
        case .failure(let failure):
            for descriptor in [outPipe.read, outPipe.write, errPipe.read, errPipe.write] { close(descriptor) }
            report.launchFailure = failure.message
            report.ended = UTCTime.now()
            self.spawned = (report, nil)
            return
        }
        report.pid = pid
        close(outPipe.write)
        close(errPipe.write)
        _ = fcntl(outPipe.read, F_SETFL, O_NONBLOCK)
        _ = fcntl(errPipe.read, F_SETFL, O_NONBLOCK)
        spawned = (report, Running(pid: pid, outRead: outPipe.read, errRead: errPipe.read, start: start))
    }

    /// Ends a command started by ``spawn()`` that is not to run after all (its start could not be recorded): kills
    /// its process group, waits for it, and removes the log files made for it.
    mutating func discard() {
        if let running = spawned?.running {
            kill(-running.pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(running.pid, &status, 0) < 0 && errno == EINTR {}
            close(running.outRead)
            close(running.errRead)
        }
        spawned = nil
        for log in [stdoutLog, stderrLog] {
            guard let log else { continue }
            var file = log
            file.close()
            unlink(log.path)
        }
        stdoutLog = nil
        stderrLog = nil
    }

    /// Starts the command unless ``spawn()`` did, and watches it until it ends.
    mutating func run() -> Report {
        spawn()
        guard let (started, running) = spawned, let running else { return spawned!.report }
        spawned = nil
        let clock = ContinuousClock()
        var report = started
        let pid = running.pid
        let start = running.start
        var outRead = running.outRead
        var errRead = running.errRead

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readChunk, alignment: 16)
        defer { buffer.deallocate() }
        var watchSession = Self.watchableSession(sessionDescriptors)
        var reaped = false
        var exitedAt: ContinuousClock.Instant?
        var nextHeartbeat = start + .seconds(heartbeatInterval)
        let deadline = timeout.map { start + .seconds($0) }
        var killAt: ContinuousClock.Instant?
        var stragglersKilled = false

        func stop(_ reason: Stop, signal: Int32) {
            if report.stop == nil {
                report.stop = reason
                kill(-pid, signal)
                killAt = clock.now + .seconds(killGrace)
            } else {
                kill(-pid, SIGKILL)  // asked twice: no more grace
                killAt = nil
            }
        }
        /// A stop signal for the worker: the job is stopped, or, when it has already ended, killed by a signal, it
        /// was killed by the same stop (the signal reached both at once), so it is interrupted too, not failed.
        func stopped(by number: Int32) {
            if !reaped {
                stop(.interrupted(signal: number), signal: number)
            } else {
                report.interruptedAfterExit = true
                if report.signal != nil && report.stop == nil { report.stop = .interrupted(signal: number) }
            }
        }
        func reap() {
            guard !reaped else { return }
            var status: Int32 = 0
            var usage = rusage()
            let result = wait4(pid, &status, WNOHANG, &usage)
            guard result == pid else { return }
            reaped = true
            exitedAt = clock.now
            report.ended = UTCTime.now()
            report.wallTime = (clock.now - start).inSeconds
            if status & 0x7f == 0 {
                report.exitStatus = (status >> 8) & 0xff
            } else {
                report.signal = status & 0x7f
            }
            report.userCPU = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            report.systemCPU = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
            report.maxRSS = UInt64(max(0, usage.ru_maxrss)) * 1024
        }
        func drain(_ descriptor: inout Int32, _ tail: inout OutputTail, _ log: inout LogFile?) {
            // One read per wakeup and stream, so a chatty stream cannot starve the other or the timers.
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count > 0 {
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
                tail.append(chunk)
                log?.write(chunk)
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                close(descriptor)
                descriptor = -1
            }
        }

        while true {
            if reaped {
                if report.stop != nil && !stragglersKilled {
                    kill(-pid, SIGKILL)
                    stragglersKilled = true
                }
                if outRead < 0 && errRead < 0 { break }
                if let exitedAt, clock.now - exitedAt >= .seconds(drainGrace) { break }
            }
            var descriptors: [pollfd] = []
            if outRead >= 0 { descriptors.append(pollfd(fd: outRead, events: Int16(POLLIN), revents: 0)) }
            if errRead >= 0 { descriptors.append(pollfd(fd: errRead, events: Int16(POLLIN), revents: 0)) }
            descriptors.append(pollfd(fd: SignalPipe.readEnd, events: Int16(POLLIN), revents: 0))
            for descriptor in watchSession { descriptors.append(pollfd(fd: descriptor, events: 0, revents: 0)) }
            if let input { descriptors.append(pollfd(fd: input.descriptor, events: Int16(POLLIN), revents: 0)) }

            var wake = clock.now + .seconds(1)  // re-check the child at least every second
            if !reaped {
                wake = min(wake, nextHeartbeat)
                if let deadline, report.stop == nil { wake = min(wake, deadline) }
                if let killAt { wake = min(wake, killAt) }
            } else if let exitedAt {
                wake = min(wake, exitedAt + .seconds(drainGrace))
            }
            let milliseconds = max(0, Int32(min(1000, (wake - clock.now).inSeconds * 1000).rounded(.up)))
            let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            if ready > 0 {
                for entry in descriptors where entry.revents != 0 {
                    if entry.fd == outRead {
                        drain(&outRead, &report.stdout, &stdoutLog)
                    } else if entry.fd == errRead {
                        drain(&errRead, &report.stderr, &stderrLog)
                    } else if entry.fd == SignalPipe.readEnd {
                        continue
                    } else if let input, entry.fd == input.descriptor {
                        if !input.read() { self.input = nil }
                    } else if entry.revents & Int16(POLLHUP | POLLERR) != 0 {
                        // The worker's own stdout or stderr hung up: the ssh session (or whoever ran the worker)
                        // is gone. Stop as for SIGHUP.
                        watchSession = []
                        if reaped {
                            report.interruptedAfterExit = true
                        } else {
                            stop(.interrupted(signal: SIGHUP), signal: SIGHUP)
                        }
                    }
                }
            }
            // Stop signals first: when the job and its worker are signalled together (SLURM's scancel signals every
            // process of the step), the worker's own signal says why the job died.
            let signals = SignalPipe.drain()
            for number in signals where number != SIGCHLD {
                stopped(by: number)
            }
            if signals.contains(SIGCHLD) { reap() }
            reap()
            if reaped { continue }
            let now = clock.now
            if let escalation = killAt, now >= escalation {
                kill(-pid, SIGKILL)
                killAt = nil
            }
            if let deadline, now >= deadline, report.stop == nil {
                stop(.timedOut, signal: SIGTERM)
            }
            if now >= nextHeartbeat {
                switch heartbeat() {
                case .kept:
                    nextHeartbeat = clock.now + .seconds(heartbeatInterval)
                case .unreachable:
                    nextHeartbeat = clock.now + .seconds(min(heartbeatInterval, heartbeatRetry))
                case .lost:
                    nextHeartbeat = clock.now + .seconds(heartbeatInterval)
                    if report.stop == nil { stop(.leaseLost, signal: SIGTERM) }
                }
            }
        }
        // A job killed by a stop signal from outside: its worker is usually being stopped by the same hand (SLURM's
        // scancel signals every process of the step, in no set order). Its own signal may come a moment after the
        // job's end: wait up to a second for it, so that the job is recorded interrupted, not failed.
        if report.stop == nil, let signal = report.signal, [SIGTERM, SIGINT, SIGHUP, SIGKILL].contains(signal) {
            let waitUntil = clock.now + .seconds(1)
            var entry = pollfd(fd: SignalPipe.readEnd, events: Int16(POLLIN), revents: 0)
            while report.stop == nil && clock.now < waitUntil {
                _ = poll(&entry, 1, Int32(max(1, ((waitUntil - clock.now).inSeconds * 1000).rounded(.up))))
                for number in SignalPipe.drain() where number != SIGCHLD { stopped(by: number) }
            }
        }
        if outRead >= 0 { close(outRead) }
        if errRead >= 0 { close(errRead) }
        stdoutLog?.close()
        stderrLog?.close()
        for problem in [stdoutLog?.problem, stderrLog?.problem] {
            if let problem { report.logProblems.append(problem) }
        }
        return report
    }

    /// Those of `descriptors` (the worker's stdout and stderr) that are pipes or sockets (an ssh session's, an
    /// executor's): their hanging up means nobody waits for the worker any more. A streamed session's worker
    /// watches only stderr: its stdout is the pipe of its answers, which a local executor holds itself, and an
    /// executor that dies leaves its local workers' jobs running, as it does those of a line.
    static func watchableSession(_ descriptors: [Int32] = [1, 2]) -> [Int32] {
        var watched: [Int32] = []
        for descriptor in descriptors {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFIFO || kind == S_IFSOCK { watched.append(descriptor) }
        }
        return watched
    }

}
