import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem

/// The worker's side of the store: take a job's lease, keep it, record the attempt.
extension JobStore {
    /// Atomically checks a job and takes its lease if it may run now.
    ///
    /// In one step (a Lua script): the job is up to date (done, and `more` not asked) → ``AcquireOutcome/upToDate``;
    /// another worker holds its lease → ``AcquireOutcome/held(token:attempt:host:)``; it was in progress but its
    /// lease expired → its attempt is recorded lost and it may run; a dependency failed or is blocked → the job is
    /// recorded blocked; a dependency is not done → ``AcquireOutcome/wait(missing:lastEventID:)``; otherwise the
    /// lease is taken, a new attempt is recorded as running, a `job-started` event is published, and, if the job was
    /// done (a `more` run), every done job downstream of it stops being up to date.
    /// - Parameters:
    ///   - id: The job's id.
    ///   - more: Run the job even if it is done (compmake's `more=True`).
    ///   - request: Who asks, and for how long.
    /// - Throws: ``StoreError``: ``StoreError/Code/unknownNamespace``, ``StoreError/Code/schemaMismatch``,
    ///   ``StoreError/Code/unknownJob``, ``StoreError/Code/corruptRecord``, or redis trouble.
    public func acquire(_ id: String, more: Bool, request: LeaseRequest) throws(StoreError) -> AcquireOutcome {
        let reply = try evaluate(
            StoreScripts.acquire, acquireArguments(id, more: more, request: request),
            "taking the lease of job '\(id)'")
        return try acquireOutcome(reply, id: id, request: request)
    }

    /// Takes a job's lease as ``acquire(_:more:request:)`` does and, when that started the job, reserves `next` to
    /// run right after it, as ``reserve(_:after:more:request:)`` does: one round trip.
    /// - Returns: The acquire's outcome, and the reservation when one was made.
    public func acquire(
        _ id: String, more: Bool, request: LeaseRequest, thenReserve next: String
    ) throws(StoreError) -> (AcquireOutcome, Reservation?) {
        let reply = try evaluate(
            StoreScripts.acquireThenReserve,
            acquireArguments(id, more: more, request: request) + [RedisArgument(next)],
            "taking the lease of job '\(id)'")
        guard let parts = reply.array, let first = parts.first else {
            throw StoreError(.redis, "unexpected reply to the lease of job '\(id)': \(reply)")
        }
        if case .error(let message) = first { throw scriptError(message, "taking the lease of job '\(id)'") }
        let outcome: AcquireOutcome
        do {
            outcome = try acquireOutcome(first, id: id, request: request)
        } catch {
            // The job's definition could not be read (its lease given back): the worker will not run it, nor the
            // job it reserved after it.
            if parts.count > 1 { _ = try? releaseReservations([next], token: request.token) }
            throw error
        }
        return (outcome, parts.count > 1 ? reservation(parts[1], id: next, request: request) : nil)
    }

    /// Reserves job `id` for the worker of `request`, to run right after its job `current`, whose lease it holds
    /// (docs/run.md, "Reservations"): in one step, when `id` is not in progress, not up to date (unless `more`),
    /// has no lease, and every dependency but `current` is done, its lease key is set to the worker's token for the
    /// lease's time, and nothing else is written. Another worker's acquire then leaves the job alone
    /// (``AcquireOutcome/reserved(token:)``); the worker's own acquire starts it, or gives the reservation back.
    /// - Returns: The reservation, or `nil` when the job cannot be reserved now.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or redis trouble.
    public func reserve(
        _ id: String, after current: String, more: Bool, request: LeaseRequest
    ) throws(StoreError) -> Reservation? {
        let reply = try evaluate(
            StoreScripts.reserve,
            [
                RedisArgument(id), more ? "1" : "0", RedisArgument(request.token),
                RedisArgument(Self.milliseconds(request.ttl)), RedisArgument(current),
            ], "reserving job '\(id)'")
        return reservation(reply, id: id, request: request)
    }

    /// Gives back the reservations of `jobs` that the worker of `token` holds (a job in progress keeps its lease).
    /// - Returns: How many were given back.
    @discardableResult
    public func releaseReservations(_ jobs: [String], token: String) throws(StoreError) -> Int {
        try release(jobs, mode: "token", holder: token)
    }

    /// Gives back the reservations of `jobs` held by any worker of host `host` (its nickname): for an executor whose
    /// line on that host ended without its worker's word, so that the jobs can start elsewhere at once.
    /// - Returns: How many were given back.
    @discardableResult
    public func releaseReservations(_ jobs: [String], host: String) throws(StoreError) -> Int {
        try release(jobs, mode: "host", holder: host)
    }

    private func release(_ jobs: [String], mode: String, holder: String) throws(StoreError) -> Int {
        guard !jobs.isEmpty else { return 0 }
        let reply = try evaluate(
            StoreScripts.release, [RedisArgument(mode), RedisArgument(holder)] + jobs.map { RedisArgument($0) },
            "giving back the reservations of \(jobs.count) job\(jobs.count == 1 ? "" : "s")")
        return reply.integer.map(Int.init) ?? 0
    }

    /// The reserve script's reply as a reservation: `nil` for `{'no'}`, and for a definition that cannot be read
    /// (the reservation is then given back).
    func reservation(_ reply: RedisReply, id: String, request: LeaseRequest) -> Reservation? {
        guard let parts = reply.array, parts.count >= 2, parts[0].string == "reserved",
            let attempt = parts[1].integer.map(Int.init), attempt > 0
        else { return nil }
        let fields = Self.definition(parts, from: 2)
        guard let digest = fields["digest"], let job = try? JobCodec.decode(fields, key: keys.job(id)) else {
            _ = try? releaseReservations([id], token: request.token)
            return nil
        }
        return Reservation(job: job, attempt: attempt, digest: digest)
    }

    /// The job definition's field, value pairs of a script's reply, from `start` on (the scripts' `definition`).
    static func definition(_ parts: [RedisReply], from start: Int) -> [String: String] {
        var fields: [String: String] = [:]
        var index = start
        while index + 1 < parts.count {
            if let name = parts[index].string, let value = parts[index + 1].string { fields[name] = value }
            index += 2
        }
        return fields
    }

    /// `ARGV[2…]` of the acquire script.
    func acquireArguments(_ id: String, more: Bool, request: LeaseRequest) -> [RedisArgument] {
        [
            RedisArgument(id), more ? "1" : "0", RedisArgument(request.token),
            RedisArgument(Self.milliseconds(request.ttl)), RedisArgument(UTCTime.now().iso8601),
            RedisArgument(request.host), RedisArgument(request.nodename), RedisArgument(request.workerPID),
            RedisArgument(request.workerVersion),
        ]
    }

    /// The acquire script's reply as an outcome (a lease whose job definition cannot be read is given back). A start
    /// on a reservation comes without the definition: `reserved`'s is the one the worker ran.
    func acquireOutcome(
        _ reply: RedisReply, id: String, request: LeaseRequest, reserved: Reservation? = nil
    ) throws(StoreError) -> AcquireOutcome {
        guard let parts = reply.array, let kind = parts.first?.string else {
            throw StoreError(.redis, "unexpected reply to the lease of job '\(id)': \(reply)")
        }
        func string(_ index: Int) -> String { index < parts.count ? parts[index].string ?? "" : "" }
        func int(_ index: Int) -> Int {
            index < parts.count ? parts[index].integer.map(Int.init) ?? Int(string(index)) ?? 0 : 0
        }
        switch kind {
        case "up-to-date":
            return .upToDate
        case "held":
            return .held(token: string(1), attempt: int(2), host: string(3))
        case "blocked":
            return .blocked(dependency: string(1), state: JobState(rawValue: string(2)) ?? .failed)
        case "wait":
            var missing: [MissingDependency] = []
            var index = 2
            while index + 1 < parts.count {
                missing.append(
                    MissingDependency(id: string(index), state: JobState(rawValue: string(index + 1)) ?? .notStarted))
                index += 2
            }
            return .wait(missing: missing, lastEventID: string(1))
        case "reserved":
            return .reserved(token: string(1))
        case "stale":
            return .stale(attempt: int(1), digest: string(2))
        case "started":
            if parts.count == 3, let reserved {
                return .started(Lease(job: reserved.job, attempt: int(1), startSequence: int(2), request: request))
            }
            let fields = Self.definition(parts, from: 3)
            let job: StoredJob
            do {
                job = try JobCodec.decode(fields, key: keys.job(id))
            } catch {
                // The lease is taken and the attempt recorded running: give both back at once (the attempt is
                // lost, naming the bad field), so the job is not left in progress until the lease expires.
                _ = try? revokeLease(of: id, attempt: int(1), host: request.host, reason: error.message)
                throw error
            }
            return .started(Lease(job: job, attempt: int(1), startSequence: int(2), request: request))
        default:
            throw StoreError(.redis, "unexpected reply to the lease of job '\(id)': \(reply)")
        }
    }

    /// Renews a lease for another TTL (the worker's heartbeat), or takes it back if it expired and no other attempt
    /// started since.
    /// - Parameters:
    ///   - lease: The lease.
    ///   - reserved: The id of a job the worker reserved, whose reservation is renewed with the lease.
    /// - Returns: Whether the lease is still this worker's.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or redis trouble.
    public func renew(_ lease: Lease, reserved: String? = nil) throws(StoreError) -> RenewOutcome {
        var arguments: [RedisArgument] = [
            RedisArgument(lease.jobID), RedisArgument(lease.request.token),
            RedisArgument(Self.milliseconds(lease.request.ttl)), RedisArgument(lease.attempt),
            RedisArgument(UTCTime.now().iso8601), RedisArgument(lease.request.host),
        ]
        if let reserved { arguments.append(RedisArgument(reserved)) }
        let reply = try evaluate(StoreScripts.renew, arguments, "renewing the lease of job '\(lease.jobID)'")
        switch reply.integer {
        case 1: return .renewed
        case 2: return .reclaimed
        default: return .lost
        }
    }

    /// Records how an attempt ended and releases its lease.
    ///
    /// In one step: writes the attempt's record and output tails; if the attempt still owns the job, moves the job
    /// to ``JobState/done`` (success, with every dependency still done and not run again meanwhile, and the
    /// definition unchanged; otherwise ``JobState/notStarted``), ``JobState/failed`` or ``JobState/interrupted``,
    /// releases the lease and publishes `job-succeeded`, `job-failed`, `job-interrupted` or `job-stale`.
    /// Calling it again for the same attempt (after a lost reply) changes nothing and returns the job's state.
    /// - Parameters:
    ///   - lease: The lease of the attempt.
    ///   - result: How the attempt ended.
    ///   - reserved: The id of a job the worker reserved and now gives back, in the same step.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or redis trouble.
    public func finish(
        _ lease: Lease, _ result: AttemptResult, releasing reserved: String? = nil
    ) throws(StoreError) -> FinishOutcome {
        let reply = try evaluate(
            StoreScripts.finish, [RedisArgument(reserved ?? "")] + finishArguments(lease, result),
            "recording attempt \(lease.attempt) of '\(lease.jobID)'")
        return try finishOutcome(reply, lease)
    }

    /// What ``finish(_:_:thenAcquire:more:expecting:thenReserve:)`` did.
    public struct LineStep: Sendable {
        /// The finish's outcome.
        public var finished: FinishOutcome
        /// The acquire's outcome, or the error it met, when the attempt was recorded; `nil` when it was superseded.
        public var next: Result<AcquireOutcome, StoreError>?
        /// The reservation of the job after `next`, when one was asked for and made.
        public var reservation: Reservation?
    }

    /// Records how an attempt ended, as ``finish(_:_:)`` does, and then, only if it was recorded, takes the lease of
    /// `next` as ``acquire(_:more:request:)`` does: a line's two steps between consecutive jobs in one round trip.
    ///
    /// Each step is atomic and the same as its own call; sending the pair again after a lost reply is harmless (the
    /// attempt is recorded once, and the next job's lease is found already taken by the same request).
    /// - Parameters:
    ///   - lease: The lease of the attempt that ended.
    ///   - result: How it ended.
    ///   - next: The next job's id.
    ///   - more: Run `next` even if it is done.
    /// - Returns: The finish's outcome, and the acquire's (its outcome or the error it met, as
    ///   ``acquire(_:more:request:)`` would throw it) when the attempt was recorded; `nil` when it was superseded.
    /// - Throws: ``StoreError`` when the finish itself fails: an unknown namespace, another schema, redis trouble.
    public func finish(
        _ lease: Lease, _ result: AttemptResult, thenAcquire next: String, more: Bool
    ) throws(StoreError) -> (finished: FinishOutcome, next: Result<AcquireOutcome, StoreError>?) {
        let step = try finish(lease, result, thenAcquire: next, more: more, expecting: nil, thenReserve: nil)
        return (step.finished, step.next)
    }

    /// Records how an attempt ended and takes the lease of `next`, as ``finish(_:_:thenAcquire:more:)`` does; with
    /// `expected`, the reservation of `next` whose command the worker already started, the acquire starts only that
    /// attempt of that definition (``AcquireOutcome/stale(attempt:digest:)`` otherwise, the reservation given back);
    /// with `following`, a started `next` is followed by the reservation of `following` to run after it. When the
    /// attempt is not recorded, the worker's reservation of `next` is given back. One round trip.
    public func finish(
        _ lease: Lease, _ result: AttemptResult, thenAcquire next: String, more: Bool, expecting expected: Reservation?,
        thenReserve following: String?
    ) throws(StoreError) -> LineStep {
        let doing = "recording attempt \(lease.attempt) of '\(lease.jobID)' and taking the lease of job '\(next)'"
        let expectation: [RedisArgument] = [
            RedisArgument(expected.map { String($0.attempt) } ?? ""), RedisArgument(expected?.digest ?? ""),
            RedisArgument(following ?? ""),
        ]
        let reply = try evaluate(
            StoreScripts.finishThenAcquire,
            acquireArguments(next, more: more, request: lease.request) + expectation + finishArguments(lease, result),
            doing)
        guard let parts = reply.array, let first = parts.first else {
            throw StoreError(.redis, "unexpected reply when \(doing): \(reply)")
        }
        var step = LineStep(finished: try finishOutcome(first, lease))
        guard parts.count > 1 else { return step }
        if case .error(let message) = parts[1] {
            step.next = .failure(scriptError(message, "taking the lease of job '\(next)'"))
            return step
        }
        do {
            step.next = .success(
                try acquireOutcome(parts[1], id: next, request: lease.request, reserved: expected))
        } catch {
            step.next = .failure(error)
        }
        if parts.count > 2, let following {
            step.reservation = reservation(parts[2], id: following, request: lease.request)
        }
        return step
    }

    /// `ARGV[2…]` of the finish script.
    func finishArguments(_ lease: Lease, _ result: AttemptResult) -> [RedisArgument] {
        var fields: [(String, String)] = [
            ("started", result.started.iso8601),
            ("ended", result.ended.iso8601),
            ("wall_time", Self.seconds(result.wallTime)),
            ("user_cpu", Self.seconds(result.userCPU)),
            ("system_cpu", Self.seconds(result.systemCPU)),
            ("max_rss", String(result.maxRSS)),
            ("stdout_bytes", String(result.stdoutBytes)),
            ("stderr_bytes", String(result.stderrBytes)),
        ]
        if let status = result.exitStatus { fields.append(("exit_status", String(status))) }
        if let signal = result.signal { fields.append(("signal", String(signal))) }
        if result.timedOut { fields.append(("timed_out", "1")) }
        if let pid = result.jobPID { fields.append(("job_pid", String(pid))) }
        if let path = result.stdoutLog { fields.append(("stdout_log", path)) }
        if let path = result.stderrLog { fields.append(("stderr_log", path)) }
        var exit = ""
        if let status = result.exitStatus { exit = "status \(status)" }
        if let signal = result.signal { exit = "signal \(signal)" }
        var arguments: [RedisArgument] = [
            RedisArgument(lease.jobID), RedisArgument(lease.request.token), RedisArgument(lease.attempt),
            RedisArgument(result.state.rawValue), RedisArgument(UTCTime.now().iso8601),
            RedisArgument(lease.request.host), RedisArgument(result.reason ?? ""), RedisArgument(exit),
            RedisArgument(Array(result.stdoutTail.suffix(StoreSchema.outputTailBytes))),
            RedisArgument(Array(result.stderrTail.suffix(StoreSchema.outputTailBytes))),
        ]
        for (name, value) in fields {
            arguments.append(RedisArgument(name))
            arguments.append(RedisArgument(value))
        }
        return arguments
    }

    /// The finish script's reply as an outcome.
    func finishOutcome(_ reply: RedisReply, _ lease: Lease) throws(StoreError) -> FinishOutcome {
        guard let parts = reply.array, parts.count >= 2, let kind = parts[0].string, let state = parts[1].string else {
            throw StoreError(.redis, "unexpected reply when recording job '\(lease.jobID)': \(reply)")
        }
        if kind == "superseded" { return .superseded(state) }
        return .recorded(JobState(rawValue: state) ?? .notStarted)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// Seconds with microsecond precision, as redis-cli shows them: `0.012345`.
    static func seconds(_ value: Double) -> String {
        let micros = (value * 1_000_000).rounded()
        guard micros.isFinite, abs(micros) < 1e15 else { return "0" }
        let whole = Int64(micros)
        let fraction = String(abs(whole) % 1_000_000)
        return "\(whole / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }
}
