import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `make_single` for a parsed command line: for each job in order, wait for its dependencies if asked, take
/// its lease, run it under a ``JobSupervisor``, record the attempt, and stop at the first job that does not end
/// with status 0.
final class Worker {
    let arguments: WorkerArguments
    let endpoint: RedisEndpoint
    let request: LeaseRequest
    private var store: JobStore?
    /// A stop signal arrived after a job had exited: record that job, run no more.
    private var stopRequested = false
    /// A stop signal seen (and drained from the signal pipe) while recording a job, for the next job's check.
    private var heldSignal: Int32?
    /// The outcome of taking `following`'s lease, when the last recording took it.
    private var taken: (id: String, outcome: Result<AcquireOutcome, StoreError>)?
    private let clock = ContinuousClock()

    /// How long a `wait=` blocks on the event stream before checking the dependencies again anyway.
    static let waitRecheck = 5.0
    static let connectTimeout = Duration.seconds(3)
    static let commandTimeout = Duration.seconds(10)

    init(arguments: WorkerArguments) throws(WorkerError) {
        self.arguments = arguments
        self.endpoint = try WorkerEndpoint.resolve(arguments)
        let nodename = Self.nodename()
        let host = arguments.hostname ?? Self.nickname(from: nodename)
        let pid = Int(getpid())
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        self.request = LeaseRequest(
            token: "\(host)/\(pid)/\(random)", ttl: .milliseconds((arguments.leaseTTL * 1000).roundedInt64 ?? 30_000),
            host: host,
            nodename: nodename, workerPID: pid, workerVersion: WorkerMain.version)
    }

    /// Runs every job, or serves a streamed session; returns the exit status.
    func run() -> Int32 {
        arguments.stream ? serve() : run(arguments.jobs)
    }

    /// Serves a streamed session (`stream=True`): each line of standard input is a batch of job ids, run as a
    /// command line's ids are; the batch's exit status is then written to standard output as a line of its own
    /// (`0`, `113`, …). Returns 0 at the end of input (the executor closed the session), or the first status not in
    /// `WorkerExitStatus.streamAnswers` without writing it: the worker ends with it, as a line's worker would. Also
    /// ends after an answer that could not be written (with that status: the session is gone) and, with 123, after
    /// answering a batch during which a stop signal came.
    private func serve() -> Int32 {
        var input = StreamInput(descriptor: 0)
        while true {
            let next: StreamInput.Next
            if taken == nil {
                // Idle: nothing to record, so a stop signal ends the worker at once (SignalPipe's message says so).
                SignalPipe.exitOnStop = true
                if let signal = pendingStop() {
                    SignalPipe.exitOnStop = false
                    say("interrupted by \(Self.signalName(signal)); nothing was run")
                    return WorkerExitStatus.interrupted
                }
                next = input.next()
                SignalPipe.exitOnStop = false
            } else {
                // The last batch's recording took the first job of this one, which is here already: its attempt is
                // started, so a stop signal now is that attempt's to record (run(_:following:)).
                next = input.next()
            }
            let jobs: [String]
            switch next {
            case .end: return WorkerExitStatus.success
            case .invalid(let problem):
                say("error: \(problem)")
                return WorkerExitStatus.badArguments
            case .batch(let ids): jobs = ids
            }
            // The batch's last job, when it ends well, takes the first job of the next batch in the same round trip
            // if that batch has come already (the executor sent it ahead: docs/run.md, "Look-ahead").
            let status = run(jobs, thenFirstOf: { input.waitingFirstID() })
            guard WorkerExitStatus.streamAnswers.contains(status) else { return status }
            // The batch's answer on standard output (a streamed session's only output there).
            guard writeLine(String(status), to: 1) else {
                say("the session closed before the status of \(Self.list(jobs)) could be sent")
                return status
            }
            if stopRequested || heldSignal != nil {
                say("interrupted; the session serves no more jobs")
                return WorkerExitStatus.interrupted
            }
        }
    }

    /// Runs `jobs` in order, stopping at the first that does not end with status 0; returns the exit status.
    /// `nextBatch` says, when the last job has ended, which job follows it (the next batch's first, if it came).
    private func run(_ jobs: [String], thenFirstOf nextBatch: () -> String? = { nil }) -> Int32 {
        for (position, id) in jobs.enumerated() {
            func following() -> String? { position + 1 < jobs.count ? jobs[position + 1] : nextBatch() }
            let status: Int32
            do {
                status = try process(id, following: following)
            } catch {
                say(error.message)
                return error.status
            }
            if status != WorkerExitStatus.success { return status }
            if stopRequested && position + 1 < jobs.count {
                let rest = jobs[(position + 1)...].map { "'\($0)'" }.joined(separator: ", ")
                say("interrupted; these jobs were not run: \(rest)")
                return WorkerExitStatus.interrupted
            }
        }
        return WorkerExitStatus.success
    }

    // MARK: - One job

    /// Runs job `id`; `following` gives the next job of the line, whose lease recording this one may take too (asked
    /// only once the job ended well).
    private func process(_ id: String, following: () -> String?) throws(WorkerError) -> Int32 {
        let waitDeadline = arguments.wait.map { clock.now + .seconds($0) }
        let started = clock.now
        while true {
            let outcome: AcquireOutcome
            if let taken, taken.id == id {
                // The previous job's recording took this lease already: a signal since then is the started
                // attempt's to record (run(_:)), as for one that arrives right after a lease is taken.
                self.taken = nil
                switch taken.outcome {
                case .success(let value): outcome = value
                case .failure(let error): throw Self.failure(error, "taking the lease of job '\(id)'")
                }
            } else {
                try checkStopBeforeLease()
                outcome = try withRedis("taking the lease of job '\(id)'") { store throws(StoreError) in
                    try store.acquire(id, more: arguments.more, request: request)
                }
            }
            switch outcome {
            case .upToDate:
                return WorkerExitStatus.success
            case .held(let token, let attempt, let host):
                say(
                    "job '\(id)' is being run by another worker (attempt \(attempt) on \(host), lease \(token)); "
                        + "this worker left it alone")
                return WorkerExitStatus.leaseHeld
            case .blocked(let dependency, let state):
                say("job '\(id)' is blocked: its dependency '\(dependency)' is \(state); it was recorded blocked")
                return WorkerExitStatus.blocked
            case .wait(let missing, let lastEventID):
                guard let waitDeadline, clock.now < waitDeadline else {
                    var waited = ""
                    if let wait = arguments.wait {
                        let elapsed = Self.format((clock.now - started).inSeconds)
                        waited = " after waiting \(elapsed) s (wait=\(Self.format(wait)))"
                    }
                    say(
                        "job '\(id)' cannot run: \(missing.count) dependenc\(missing.count == 1 ? "y is" : "ies are") "
                            + "not done\(waited): \(Self.list(missing.map(\.description)))"
                            + (arguments.wait == nil ? "; pass wait=SECONDS to wait for them" : ""))
                    return WorkerExitStatus.dependenciesNotReady
                }
                try waitForEvents(about: Set(missing.map(\.id)), after: lastEventID, until: waitDeadline)
            case .started(let lease):
                return try run(lease, following: following)
            }
        }
    }

    /// Blocks on the namespace's event stream until an event about one of `jobs` (or a push) arrives,
    /// ``waitRecheck`` seconds pass, or `deadline` comes. A stop signal ends the worker at once meanwhile.
    private func waitForEvents(
        about jobs: Set<String>, after lastEventID: String, until deadline: ContinuousClock.Instant
    ) throws(WorkerError) {
        SignalPipe.exitOnStop = true
        defer { SignalPipe.exitOnStop = false }
        try checkStopBeforeLease()
        let recheck = min(deadline, clock.now + .seconds(Self.waitRecheck))
        var last = lastEventID
        while clock.now < recheck {
            if Self.sessionHungUp(sessionDescriptors) {
                throw WorkerError(WorkerExitStatus.interrupted, "the session hung up while waiting; nothing was run")
            }
            let remaining = min(recheck - clock.now, .seconds(1))
            let events = try withRedis("waiting for events") { store throws(StoreError) in
                try store.waitForEvents(after: last, timeout: remaining)
            }
            if let newest = events.last { last = newest.id }
            if events.contains(where: { $0.name == "graph-pushed" || jobs.contains($0.job ?? "") }) { return }
        }
    }

    /// Runs the attempt the lease is for, records it, and says how it went.
    private func run(_ lease: Lease, following: () -> String?) throws(WorkerError) -> Int32 {
        let job = lease.job.job
        if let signal = pendingStop() {
            let now = UTCTime.now()
            let result = AttemptResult(
                state: .interrupted, reason: "the worker got \(Self.signalName(signal)) before the command started",
                started: now, ended: now, wallTime: 0)
            _ = try record(lease, result)
            throw WorkerError(
                WorkerExitStatus.interrupted, "interrupted before job '\(job.id)' started; it was not run")
        }
        let extra = [
            ("CLUSTMAKE_NAMESPACE", arguments.namespace), ("CLUSTMAKE_JOB", job.id),
            ("CLUSTMAKE_ATTEMPT", String(lease.attempt)), ("CLUSTMAKE_HOST", request.host),
        ]
        var logPaths: (String, String)?
        if let directory = arguments.logDirectory {
            let base = "\(directory)/\(arguments.namespace)/\(job.id).\(lease.attempt)"
            logPaths = (base + ".stdout", base + ".stderr")
        }
        var supervisor = JobSupervisor(
            launch: JobLaunch.prepare(job, extra: extra), nice: job.nice, timeout: job.timeout,
            heartbeatInterval: arguments.leaseTTL / 3, killGrace: arguments.killGrace,
            stdoutLog: logPaths.map { LogFile(path: $0.0) }, stderrLog: logPaths.map { LogFile(path: $0.1) },
            heartbeat: { [unowned self] in self.heartbeat(lease) })
        supervisor.sessionDescriptors = sessionDescriptors
        let report = supervisor.run()
        if report.interruptedAfterExit { stopRequested = true }
        for problem in report.logProblems { say("job '\(job.id)': \(problem)") }

        var result = AttemptResult(
            state: .succeeded, exitStatus: report.exitStatus, signal: report.signal, started: report.started,
            ended: report.ended, wallTime: report.wallTime, userCPU: report.userCPU, systemCPU: report.systemCPU,
            maxRSS: report.maxRSS, jobPID: report.pid, stdoutTail: report.stdout.bytes,
            stderrTail: report.stderr.bytes, stdoutBytes: report.stdout.total, stderrBytes: report.stderr.total,
            stdoutLog: logPaths?.0, stderrLog: logPaths?.1)
        let ending = Self.ending(report)
        var status = WorkerExitStatus.success
        if let failure = report.launchFailure {
            result.state = .failed
            result.reason = failure
            status = WorkerExitStatus.jobFailed
        } else {
            switch report.stop {
            case .interrupted(let signal):
                result.state = .interrupted
                result.reason = "the worker got \(Self.signalName(signal)) and stopped the command (\(ending))"
                status = WorkerExitStatus.interrupted
            case .leaseLost:
                result.state = .interrupted
                result.reason = "the worker lost the job's lease and stopped the command (\(ending))"
                status = WorkerExitStatus.leaseLost
            case .timedOut:
                result.state = .failed
                result.timedOut = true
                result.reason = "timed out after \(Self.format(job.timeout ?? 0)) s; the worker stopped it (\(ending))"
                status = WorkerExitStatus.jobFailed
            case nil:
                if report.exitStatus != 0 {
                    result.state = .failed
                    result.reason = ending
                    status = WorkerExitStatus.jobFailed
                }
            }
        }
        // A job that ended well is recorded together with taking the next job's lease, unless the worker is to stop.
        var next: String?
        if status == WorkerExitStatus.success, !stopRequested, let following = following() {
            heldSignal = pendingStop()
            if heldSignal == nil { next = following }
        }
        let outcome = try record(lease, result, thenAcquire: next)
        let place = "attempt \(lease.attempt) on \(request.host)"
        switch outcome {
        case .superseded(let state):
            let why = state == "removed" ? "a push removed the job" : "another attempt owns the job (it is \(state))"
            say("job '\(job.id)' (\(place)): its result did not count: \(why)")
            return WorkerExitStatus.leaseLost
        case .recorded(let state):
            switch status {
            case WorkerExitStatus.jobFailed:
                say("job '\(job.id)' failed (\(place)): \(result.reason ?? ending)")
            case WorkerExitStatus.interrupted, WorkerExitStatus.leaseLost:
                say("job '\(job.id)' was stopped (\(place)): \(result.reason ?? ending)")
            default:
                if state == .notStarted {
                    say(
                        "job '\(job.id)' succeeded (\(place)) but its result is not up to date: a dependency or its "
                            + "definition changed while it ran; run it again")
                }
            }
            return status
        }
    }

    /// Records `result`, retrying for `--redis_retry` seconds while redis is unreachable; with `next`, takes that
    /// job's lease in the same round trip when the result counted (kept in ``taken`` for ``process(_:following:)``).
    private func record(
        _ lease: Lease, _ result: AttemptResult, thenAcquire next: String? = nil
    ) throws(WorkerError) -> FinishOutcome {
        do {
            return try withRedis("recording attempt \(lease.attempt) of job '\(lease.jobID)'") {
                store throws(StoreError) in
                guard let next else { return try store.finish(lease, result) }
                let (finished, acquired) = try store.finish(lease, result, thenAcquire: next, more: arguments.more)
                if let acquired { taken = (next, acquired) }
                return finished
            }
        } catch {
            var summary = "\(result.state)"
            if let reason = result.reason { summary += ": \(reason)" }
            throw WorkerError(
                error.status,
                "\(error.message). The attempt's outcome is lost to redis: job '\(lease.jobID)' attempt "
                    + "\(lease.attempt) \(summary) (wall \(Self.format(result.wallTime)) s)")
        }
    }

    private func heartbeat(_ lease: Lease) -> JobSupervisor.Heartbeat {
        guard let store else { return .unreachable }
        do {
            switch try store.renew(lease) {
            case .renewed, .reclaimed: return .kept
            case .lost: return .lost
            }
        } catch {
            if error.code == .unreachable { try? store.reconnect() }
            return .unreachable
        }
    }

    // MARK: - redis

    /// Runs `body` against the store, connecting first if needed; while redis is unreachable, reconnects with
    /// backoff for `--redis_retry` seconds (at most 5 s before the first successful connection).
    private func withRedis<T>(
        _ doing: String, _ body: (JobStore) throws(StoreError) -> T
    ) throws(WorkerError) -> T {
        let first = clock.now
        var delay = 0.05
        while true {
            let bound = store == nil ? min(arguments.redisRetry, 5) : arguments.redisRetry
            do {
                if store == nil {
                    // Logging in goes out with the first command: a round trip less for each job.
                    store = try JobStore(
                        endpoint: endpoint, namespace: arguments.namespace, connectTimeout: Self.connectTimeout,
                        commandTimeout: Self.commandTimeout, handshake: .withFirstCommand)
                }
                return try body(store!)
            } catch {
                guard error.code == .unreachable else { throw Self.failure(error, doing) }
                let elapsed = (clock.now - first).inSeconds
                if elapsed >= bound {
                    throw WorkerError(
                        WorkerExitStatus.redisUnreachable,
                        "\(doing): redis at \(endpoint) was unreachable for \(Self.format(elapsed)) s: \(error.message)"
                    )
                }
                Self.sleep(min(delay, bound - elapsed))
                delay = min(delay * 2, 1)
                if let store { try? store.reconnect() }
            }
        }
    }

    static func failure(_ error: StoreError, _ doing: String) -> WorkerError {
        let status: Int32
        switch error.code {
        case .unknownNamespace, .unknownJob: status = WorkerExitStatus.unknownJob
        case .schemaMismatch: status = WorkerExitStatus.schemaMismatch
        case .unreachable: status = WorkerExitStatus.redisUnreachable
        case .refused: status = WorkerExitStatus.redisRefused
        case .invalidArgument: status = WorkerExitStatus.badArguments
        default: status = WorkerExitStatus.internalError
        }
        return WorkerError(status, "\(doing): \(error.message)")
    }

    // MARK: - Signals

    /// Ends the worker if a stop signal arrived while no lease is held.
    private func checkStopBeforeLease() throws(WorkerError) {
        if let signal = pendingStop() {
            throw WorkerError(
                WorkerExitStatus.interrupted, "interrupted by \(Self.signalName(signal)); nothing was run")
        }
        if stopRequested { throw WorkerError(WorkerExitStatus.interrupted, "interrupted; nothing more was run") }
    }

    private func pendingStop() -> Int32? {
        if let signal = heldSignal {
            heldSignal = nil
            return signal
        }
        return SignalPipe.drain().first { $0 != SIGCHLD }
    }

    /// The descriptors whose hanging up means the session is gone: stdout and stderr, or only stderr in a
    /// streamed session (JobSupervisor's ``JobSupervisor/watchableSession(_:)``).
    private var sessionDescriptors: [Int32] { arguments.stream ? [2] : [1, 2] }

    /// Whether one of `watched` (the worker's stdout or stderr) hung up (its ssh session is gone).
    static func sessionHungUp(_ watched: [Int32]) -> Bool {
        var descriptors = JobSupervisor.watchableSession(watched).map { pollfd(fd: $0, events: 0, revents: 0) }
        guard !descriptors.isEmpty else { return false }
        guard poll(&descriptors, nfds_t(descriptors.count), 0) > 0 else { return false }
        return descriptors.contains { $0.revents & Int16(POLLHUP | POLLERR) != 0 }
    }

    // MARK: - Helpers

    /// `exited with status 3`, `killed by signal 9 (SIGKILL)`.
    static func ending(_ report: JobSupervisor.Report) -> String {
        if let signal = report.signal { return "killed by signal \(signal) (\(signalName(signal)))" }
        if let status = report.exitStatus { return "exited with status \(status)" }
        return "did not start"
    }

    static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGABRT: "SIGABRT",
            SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV", SIGPIPE: "SIGPIPE",
            SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGUSR1: "SIGUSR1", SIGUSR2: "SIGUSR2", SIGXCPU: "SIGXCPU",
        ]
        return names[signal] ?? "signal \(signal)"
    }

    static func list(_ items: [String]) -> String {
        let shown = items.prefix(20).joined(separator: ", ")
        return items.count > 20 ? "\(shown) and \(items.count - 20) more" : shown
    }

    static func format(_ seconds: Double) -> String {
        let rounded = (seconds * 1000).rounded() / 1000
        if rounded == rounded.rounded(), let whole = rounded.roundedInt64 { return String(whole) }
        return String(rounded)
    }

    static func sleep(_ seconds: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        blockingSleep(.nanoseconds(Int64(min(seconds, 1e9) * 1e9)))
    }

    /// This machine's name (`uname -n`).
    static func nodename() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "localhost" }
        return withUnsafeBytes(of: &names.nodename) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// `name` made a valid nickname (``ClustmakeModel/JobID`` rules).
    static func nickname(from name: String) -> String {
        let cleaned = String(name.unicodeScalars.map { JobID.problem(with: String($0)) == nil ? Character($0) : "-" })
        return JobID.problem(with: cleaned) == nil ? cleaned : "localhost"
    }

    func say(_ message: String) {
        StandardError.write("compmake: \(message)")
    }
}
