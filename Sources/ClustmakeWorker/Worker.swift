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
    /// The job this worker reserved to run right after its current one (docs/run.md, "Reservations").
    private var reservation: Reservation?
    /// The reserved job's command, started the moment the job before it ended, in the same instant as the
    /// recording that starts its attempt was sent; run by ``process(_:upcoming:)`` if that recording started it.
    private var prestarted: (id: String, command: PreparedCommand)?
    /// The lease of the job running now (for its heartbeats).
    private var current: Lease?
    /// A streamed session's standard input (where the next batches come from).
    private var input: StreamInput?
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
        let status = arguments.stream ? serve() : run(arguments.jobs)
        // A worker that ends early (an error, a session gone) may still have a command started on a reservation, or
        // hold a reservation: end the one and give the other back rather than let it expire.
        discardPrestarted()
        if let reservation, let store {
            _ = try? store.releaseReservations([reservation.jobID], token: request.token)
        }
        return status
    }

    /// Serves a streamed session (`stream=True`): each line of standard input is a batch of job ids, run as a
    /// command line's ids are; the batch's exit status is then written to standard output as a line of its own
    /// (`0`, `113`, …). Returns 0 at the end of input (the executor closed the session), or the first status not in
    /// `WorkerExitStatus.streamAnswers` without writing it: the worker ends with it, as a line's worker would. Also
    /// ends after an answer that could not be written (with that status: the session is gone) and, with 123, after
    /// answering a batch during which a stop signal came.
    private func serve() -> Int32 {
        input = StreamInput(descriptor: 0)
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
                next = input!.next()
                SignalPipe.exitOnStop = false
            } else {
                // The last batch's recording took the first job of this one, which is here already: its attempt is
                // started, so a stop signal now is that attempt's to record (run(_:following:)).
                next = input!.next()
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
            let status = run(jobs, then: { self.input!.waitingIDs() })
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
    /// `nextBatch` gives the jobs that follow them (the next batch, if it came whole already).
    private func run(_ jobs: [String], then nextBatch: () -> [String] = { [] }) -> Int32 {
        for (position, id) in jobs.enumerated() {
            /// The job `ahead` places after this one in the line, if it is known yet.
            func upcoming(_ ahead: Int) -> String? {
                let place = position + ahead
                if place < jobs.count { return jobs[place] }
                let batch = nextBatch()
                return place - jobs.count < batch.count ? batch[place - jobs.count] : nil
            }
            let status: Int32
            do {
                status = try process(id, upcoming: upcoming)
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

    /// Runs job `id`; `upcoming(1)` gives the next job of the line, which taking this one's lease may reserve and
    /// whose lease recording this one may take, and `upcoming(2)` the one after it.
    private func process(_ id: String, upcoming: (Int) -> String?) throws(WorkerError) -> Int32 {
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
                // A reservation of this job is used or given back by the take.
                if reservation?.jobID == id { reservation = nil }
                let next = upcoming(1)
                outcome = try withRedis("taking the lease of job '\(id)'") { store throws(StoreError) in
                    guard let next, reservation == nil else {
                        return try store.acquire(id, more: arguments.more, request: request)
                    }
                    let (outcome, reserved) = try store.acquire(
                        id, more: arguments.more, request: request, thenReserve: next)
                    reservation = reserved
                    return outcome
                }
            }
            if case .started(let lease) = outcome, let prestarted, prestarted.id == id {
                // Its command started on the reservation (run(_:_:upcoming:) kept it only for this attempt).
                self.prestarted = nil
                return try run(lease, prestarted.command, upcoming: upcoming)
            }
            switch outcome {
            case .upToDate:
                return WorkerExitStatus.success
            case .stale:
                // The attempt the reserved command was started for is not the one a start gives now: ask again.
                continue
            case .reserved(let token):
                say(
                    "job '\(id)' is reserved by another worker (lease \(Format.escaped(token))), which runs it next; "
                        + "this worker left it alone")
                return WorkerExitStatus.leaseHeld
            case .held(let token, let attempt, let host):
                say(
                    "job '\(id)' is being run by another worker (attempt \(attempt) on \(Format.escaped(host)), "
                        + "lease \(Format.escaped(token))); "
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
                return try run(lease, prepare(lease.job, attempt: lease.attempt), upcoming: upcoming)
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

    /// An attempt's command, ready to start: its supervisor, for attempt `attempt`, and its log files.
    struct PreparedCommand {
        var supervisor: JobSupervisor
        var attempt: Int
        var logPaths: (stdout: String, stderr: String)?
    }

    /// The command of attempt `attempt` of `job`, with its environment and log files, watched by a supervisor that
    /// renews the lease of the job running now (``current``).
    private func prepare(_ job: StoredJob, attempt: Int) -> PreparedCommand {
        let extra = [
            ("CLUSTMAKE_NAMESPACE", arguments.namespace), ("CLUSTMAKE_JOB", job.job.id),
            ("CLUSTMAKE_ATTEMPT", String(attempt)), ("CLUSTMAKE_HOST", request.host),
        ]
        var logPaths: (String, String)?
        if let directory = arguments.logDirectory {
            let base = "\(directory)/\(arguments.namespace)/\(job.job.id).\(attempt)"
            logPaths = (base + ".stdout", base + ".stderr")
        }
        var supervisor = JobSupervisor(
            launch: JobLaunch.prepare(job.job, extra: extra), nice: job.job.nice, timeout: job.job.timeout,
            heartbeatInterval: arguments.leaseTTL / 3, killGrace: arguments.killGrace,
            stdoutLog: logPaths.map { LogFile(path: $0.0) }, stderrLog: logPaths.map { LogFile(path: $0.1) },
            heartbeat: { [unowned self] in self.heartbeat() })
        supervisor.sessionDescriptors = sessionDescriptors
        return PreparedCommand(supervisor: supervisor, attempt: attempt, logPaths: logPaths)
    }

    /// Runs the attempt the lease is for (its command possibly started already, on its reservation), records it,
    /// and says how it went.
    private func run(
        _ lease: Lease, _ command: PreparedCommand, upcoming: (Int) -> String?
    ) throws(WorkerError) -> Int32 {
        let job = lease.job.job
        var supervisor = command.supervisor
        let logPaths = command.logPaths
        current = lease
        defer { current = nil }
        // A stop signal before the command started (one started already on its reservation is the supervisor's to
        // stop: it reads the signal itself).
        if !supervisor.hasStarted, let signal = pendingStop() {
            let now = UTCTime.now()
            let result = AttemptResult(
                state: .interrupted, reason: "the worker got \(Self.signalName(signal)) before the command started",
                started: now, ended: now, wallTime: 0)
            _ = try record(lease, result)
            throw WorkerError(
                WorkerExitStatus.interrupted, "interrupted before job '\(job.id)' started; it was not run")
        }
        if arguments.stream, reservation == nil, upcoming(1) == nil {
            // The next batch may come while the job runs (the executor sends it ahead): reserve its first job then.
            supervisor.input = (0, { [unowned self] in self.readAhead(after: lease) })
        }
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
        if status == WorkerExitStatus.success, !stopRequested, let following = upcoming(1) {
            heldSignal = pendingStop()
            if heldSignal == nil { next = following }
        }
        // The next job reserved: its command starts now, before the recording that starts its attempt is sent.
        var expected: Reservation?
        if let next, let reservation, reservation.jobID == next {
            var command = prepare(reservation.job, attempt: reservation.attempt)
            command.supervisor.spawn()
            prestarted = (next, command)
            expected = reservation
        }
        let outcome: FinishOutcome
        do {
            outcome = try record(
                lease, result, thenAcquire: next, expecting: expected, thenReserve: next.flatMap { _ in upcoming(2) })
        } catch {
            discardPrestarted()
            throw error
        }
        // A command started on the reservation runs on only if the recording started its attempt; otherwise it never
        // ran as far as redis knows, and ends now.
        if let prestarted {
            var started = false
            if let taken, taken.id == prestarted.id, case .success(.started(let lease)) = taken.outcome {
                started = lease.attempt == prestarted.command.attempt
            }
            if !started { discardPrestarted() }
        }
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
    /// job's lease in the same round trip when the result counted (kept in ``taken`` for ``process(_:upcoming:)``),
    /// starting only the `expected` attempt when its command was started on the reservation, and reserves
    /// `following` after it. Without `next`, gives back the worker's reservation.
    private func record(
        _ lease: Lease, _ result: AttemptResult, thenAcquire next: String? = nil,
        expecting expected: Reservation? = nil,
        thenReserve following: String? = nil
    ) throws(WorkerError) -> FinishOutcome {
        do {
            return try withRedis("recording attempt \(lease.attempt) of job '\(lease.jobID)'") {
                store throws(StoreError) in
                guard let next else {
                    let finished = try store.finish(lease, result, releasing: reservation?.jobID)
                    reservation = nil
                    return finished
                }
                let step = try store.finish(
                    lease, result, thenAcquire: next, more: arguments.more, expecting: expected,
                    thenReserve: following)
                // The reservation of `next` is used or given back by the step; the step may reserve `following`.
                reservation = step.reservation
                if let acquired = step.next { taken = (next, acquired) }
                return step.finished
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

    /// Renews the lease of the job running now, and the reservation of the next one with it.
    private func heartbeat() -> JobSupervisor.Heartbeat {
        guard let lease = current else { return .kept }
        guard let store else { return .unreachable }
        do {
            switch try store.renew(lease, reserved: reservation?.jobID) {
            case .renewed, .reclaimed: return .kept
            case .lost: return .lost
            }
        } catch {
            if error.code == .unreachable { try? store.reconnect() }
            return .unreachable
        }
    }

    /// Kills the command started on a reservation, if there is one (its start was not recorded).
    private func discardPrestarted() {
        guard var command = prestarted?.command else { return }
        prestarted = nil
        command.supervisor.discard()
    }

    /// While job `lease` runs in a streamed session whose next batch had not come: reads what came on standard input
    /// and, once the next batch is whole, reserves its first job to run after this one. Returns whether to keep
    /// watching the input.
    private func readAhead(after lease: Lease) -> Bool {
        guard input != nil else { return false }
        let first = input!.waitingIDs().first
        // Nothing whole yet: watch for more unless no more can make a batch (the input ended, or its line is too
        // long: next() reports it).
        guard let first else { return !input!.ended && !input!.overlong }
        if reservation == nil, !stopRequested, let store {
            reservation = try? store.reserve(first, after: lease.jobID, more: arguments.more, request: request)
        }
        return false
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
