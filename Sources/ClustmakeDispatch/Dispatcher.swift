import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner
import ClustmakeRedis
import ClustmakeScheduler
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Executes a plan: pushes the graph, reads what is done already, opens one ssh master per host, and runs the
/// ``ClustmakeScheduler/Scheduler``'s decisions (job lines, probes, stops) until the run is over.
///
/// Blocking: call ``run()`` on a thread of its own (never on Swift's cooperative pool); it talks to redis
/// (hiredis blocks) and waits in `poll(2)`. SIGINT, SIGTERM and SIGHUP during a run cancel it: the running lines
/// are stopped (their workers record their jobs interrupted), and ``run()`` returns a report whose exit status is
/// 130. A second signal kills the lines at once.
public final class Dispatcher {
    /// One running job line.
    private struct Session {
        var dispatch: Dispatch
        var process: SpawnedProcess
        var startedAt: Double
        var remote: Bool
        /// Consecutive lease checks that found one of its jobs lost (its host stopped answering).
        var lostChecks = 0
        /// Stopped by the executor because its host hung.
        var hung = false
        /// When it was sent SIGTERM, if it was.
        var stoppedAt: Double?
    }

    private let options: RunOptions
    private let plan: Plan
    /// Made by ``run()`` once the jobs' states in redis are known.
    private var scheduler: Scheduler!
    private let output: RunOutput
    private var store: JobStore!
    private var sessions: [Int: Session] = [:]
    /// For each host, its masters (none for a local host).
    private var masters: [[ControlMaster]] = []
    /// Hosts whose masters are being opened, and whether it is their first connection (else a probe).
    private var opening: [Int: Bool] = [:]
    /// At most this many ssh handshakes at a time, in all (one at a time per host).
    private static let handshakes = 8
    /// Short helper processes (remote kills), reaped as they end.
    private var helpers: [SpawnedProcess] = []
    private var hostFailures: [Int: String] = [:]
    private var cancelling = false
    private var forced = false
    private let startTime: Double
    private var lastLeaseCheck = 0.0
    private var lastElsewhereCheck = 0.0
    private let scratch: String
    private let token: String
    /// The redis password and a newline, written to each remote line's standard input (nil without a password).
    private let passwordLine: [UInt8]?

    /// Prepares a run (nothing happens until ``run()``).
    public init(options: RunOptions) {
        self.options = options
        self.plan = options.plan
        self.output = RunOutput(mode: options.output)
        self.startTime = Self.monotonic()
        self.scratch = options.directory.path
        self.token = "clustmake/\(getpid())/\(UInt32.random(in: 0...UInt32.max))"
        self.passwordLine = options.endpoint.password.map { Array(($0 + "\n").utf8) }
    }

    private static func monotonic() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private var now: Double { Self.monotonic() - startTime }

    // MARK: - The run

    /// Runs the plan to its end.
    /// - Returns: The report (summary and exit status).
    /// - Throws: ``DispatchError`` when redis cannot be reached, the push is refused, or another run of the
    ///   namespace is running.
    public func run() throws(DispatchError) -> RunReport {
        SignalPipe.install()
        defer { SignalPipe.uninstall() }
        let pidFile = try claimPidFile()
        defer { unlink(pidFile) }
        let namespace = options.settings.namespace
        do {
            store = try JobStore(endpoint: options.endpoint, namespace: namespace, commandTimeout: .seconds(30))
            if options.push {
                _ = try store.push(plan.graph, pushedBy: ClustmakeVersion.current)
            }
            try store.reapLostJobs()
        } catch {
            throw DispatchError(error.description)
        }
        keepPlan()
        let initial = try readInitialStates()
        let groups = plan.graph.jobs.indices.map { job in
            plan.graph.jobs[job].nice ?? plan.cluster.hosts[plan.slots[Int(plan.placements[job].slot)].host].nice
        }
        createMasters()
        scheduler = Scheduler(
            plan: plan, initial: initial, groups: groups, connecting: Set(opening.keys),
            configuration: options.scheduling)
        let resumed = initial.filter { $0 == .done }.count
        let adopted = initial.filter { if case .running = $0 { true } else { false } }.count
        output.event(
            "run-started", elapsed: now,
            text: "running \(plan.graph.count) jobs on \(plan.cluster.hosts.count) host"
                + (plan.cluster.hosts.count == 1 ? "" : "s") + " (\(plan.slots.count) slots), "
                + "namespace \(namespace)"
                + (resumed > 0 ? "; \(resumed) done already" : "")
                + (adopted > 0 ? "; \(adopted) running elsewhere, waited for" : ""),
            fields: [
                ("namespace", .string(namespace)), ("jobs", .int(Int64(plan.graph.count))),
                ("done", .int(Int64(resumed))), ("adopted", .int(Int64(adopted))),
            ])
        perform(scheduler.start(now: now))
        loop()
        for helper in helpers {
            _ = helper.wait()
            _ = helper.finishOutput()
        }
        for hostMasters in masters { for master in hostMasters { master.stop() } }
        output.clearProgress()
        return makeReport()
    }

    /// Keeps the plan this run follows in redis (plan.json's document), so that `clustmake stats` and `report`
    /// compare the run with it without a plan directory. A plan too large to keep is said so and left out.
    private func keepPlan() {
        let settings = options.settings
        do {
            let writer = try ScriptWriter(
                plan: plan,
                options: ScriptOptions(
                    namespace: settings.namespace, redis: settings.redis, more: settings.more,
                    waitSeconds: settings.waitSeconds))
            let document = writer.planJSON(limit: JobStore.maximumPlanBytes)
            try store.storePlan(document)
            if document == nil {
                output.event(
                    "plan-not-kept", elapsed: now,
                    text: "the plan is larger than redis keeps (\(JobStore.maximumPlanBytes >> 20) MiB); "
                        + "compare with it through `clustmake plan -o DIR` and `clustmake stats --plan DIR`")
            }
        } catch {
            output.event("plan-not-kept", elapsed: now, text: "the plan was not kept in redis: \(error)")
        }
    }

    private func claimPidFile() throws(DispatchError) -> String {
        let path = options.directory.pidFile(namespace: options.settings.namespace)
        if let text = try? readSmallFile(path), let pid = Int32(text.trimmingSpaces()), pid != getpid(),
            kill(pid, 0) == 0
        {
            throw DispatchError(
                "a run of namespace '\(options.settings.namespace)' is going on already (pid \(pid), \(path)); "
                    + "wait for it, or stop it with `clustmake cancel --namespace \(options.settings.namespace)`")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DispatchError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        RunOutput.write(descriptor, "\(getpid())\n")
        close(descriptor)
        return path
    }

    private func readInitialStates() throws(DispatchError) -> [InitialJobState] {
        let states: [String: JobState]
        do { states = try store.states() } catch { throw DispatchError(error.description) }
        let running = plan.graph.jobs.indices.filter { states[plan.graph.jobs[$0].id] == .inProgress }
        let hosts = Dictionary(
            zip(running, statuses(running.map(Int32.init)).map { $0?.host }), uniquingKeysWith: { first, _ in first })
        return plan.graph.jobs.indices.map { job in
            switch states[plan.graph.jobs[job].id] ?? .notStarted {
            case .done: .done
            case .inProgress:
                .running(host: hosts[job]?.flatMap { name in plan.cluster.hosts.firstIndex { $0.name == name } })
            default: .pending
            }
        }
    }

    /// Makes every remote host's masters (one per 10 slots) and marks the hosts as making their first
    /// connection: ``openMasters()`` opens them while the run goes on, and each host gets lines once its masters
    /// are up, so a slow or distant host delays nobody else.
    private func createMasters() {
        masters = plan.cluster.hosts.map { host in
            guard !host.isLocal, host.processors > 0 else { return [] }
            let count = (host.processors + ControlMaster.sessionsPerMaster - 1) / ControlMaster.sessionsPerMaster
            return (0..<count).map { index in
                let base = options.directory.controlPath(for: host)
                return ControlMaster(host: host, controlPath: index == 0 ? base : base + "-\(index)")
            }
        }
        for host in masters.indices where !masters[host].isEmpty { opening[host] = true }
    }

    private func loop() {
        while scheduler.stopReason == nil || !sessions.isEmpty {
            var timeout: Int32 = opening.isEmpty ? (sessions.isEmpty ? 200 : 50) : 5
            if let deadline = scheduler.nextDeadline {
                timeout = min(timeout, Int32(max(0, (deadline - now) * 1000)) + 1)
            }
            for signal in SignalPipe.wait(milliseconds: timeout) where SignalPipe.stopSignals.contains(signal) {
                cancel()
            }
            reapSessions()
            watchMasters()
            openMasters()
            perform(scheduler.tick(now: now))
            let time = now
            if time - lastLeaseCheck >= options.leaseCheckInterval {
                lastLeaseCheck = time
                checkLeases()
            }
            if time - lastElsewhereCheck >= 1 {
                lastElsewhereCheck = time
                checkElsewhere()
            }
            enforceStops()
            output.progress(scheduler, elapsed: now, eta: eta)
        }
    }

    private func cancel() {
        if cancelling {
            // A second signal: kill the lines at once.
            forced = true
            for session in sessions.values { session.process.signalGroup(SIGKILL) }
            return
        }
        cancelling = true
        output.event(
            "run-cancelling", elapsed: now,
            text: "stopping: no more jobs start; stopping \(sessions.count) running lines (again to kill them)")
        perform(scheduler.cancel(now: now))
    }

    /// Lines being stopped: a remote line whose worker did not end within 5 s gets SIGTERM locally (closing the
    /// session, which the worker takes as a hang-up); any line still there after the grace time gets SIGKILL.
    private func enforceStops() {
        let time = now
        helpers.removeAll { helper in
            guard helper.poll() != nil else { return false }
            _ = helper.finishOutput()
            return true
        }
        for session in sessions.values {
            guard let stopped = session.stoppedAt else { continue }
            if session.remote && time - stopped > 5 { session.process.signalGroup(SIGTERM) }
            if time - stopped > options.killGrace { session.process.signalGroup(SIGKILL) }
        }
    }

    /// Sends SIGTERM to the worker of a remote line on its host (its pid from the attempt in redis), over the
    /// host's master: the worker stops its job's process group and records the attempt interrupted, while its
    /// tunnel still works. Returns whether a worker was found.
    private func stopRemoteWorker(_ session: Session) -> Bool {
        let host = plan.cluster.hosts[session.dispatch.host]
        for job in session.dispatch.jobs {
            let id = plan.graph.jobs[Int(job)].id
            guard let status = try? store.status(of: id), status.state == .inProgress, status.host == host.name,
                status.currentAttempt > 0,
                let attempt = try? store.attempt(of: id, number: status.currentAttempt),
                attempt.state == .running, let pid = attempt.workerPID, pid > 1
            else { continue }
            let master = masterPath(host: session.dispatch.host, instance: plan.slots[session.dispatch.slot].instance)
            let arguments =
                JobLine.ssh(
                    host,
                    options: ["-n", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
                        + (master.map(JobLine.controlOptions(path:)) ?? []))
                + [host.destination, "kill", "-TERM", String(pid)]
            if let helper = try? SpawnedProcess(arguments, scratch: scratch) { helpers.append(helper) }
            return true
        }
        return false
    }

    private func eta() -> Double? {
        var remaining = 0.0
        for job in 0..<plan.graph.count {
            switch scheduler.phases[job] {
            case .waiting, .ready, .running, .elsewhere: remaining += plan.costs[job]
            default: break
            }
        }
        let capacity = plan.cluster.hosts.enumerated().reduce(0.0) { total, entry in
            scheduler.hosts[entry.offset].status == .up
                ? total + Double(entry.element.processors) * entry.element.speed : total
        }
        return capacity > 0 ? remaining / capacity : nil
    }

    // MARK: - Actions

    private func perform(_ actions: [SchedulerAction]) {
        var pending = actions
        while !pending.isEmpty {
            let action = pending.removeFirst()
            switch action {
            case .dispatch(let dispatch):
                pending += start(dispatch)
            case .recordBlocked(let jobs, let dependency):
                recordBlocked(jobs, dependency: dependency)
            case .recordLost(let job, let reason):
                // Recorded failed in redis too, so that its dependents are found blocked there.
                _ = try? store.abandon(plan.graph.jobs[Int(job)].id, reason: reason)
                output.event(
                    "job-failed", elapsed: now, text: "\(plan.graph.jobs[Int(job)].id) failed: \(reason)",
                    fields: [("job", .string(plan.graph.jobs[Int(job)].id)), ("reason", .string(reason))])
            case .quarantine(let host, let reason, let probeAt):
                hostFailures[host] = reason
                output.event(
                    "host-quarantined", elapsed: now,
                    text: "host \(hostName(host)) failed (\(reason)); probing it again in "
                        + Format.seconds(max(0, probeAt - now)),
                    fields: [("host", .string(hostName(host))), ("reason", .string(reason))])
            case .probe(let host):
                startProbe(host)
            case .restore(let host):
                output.event(
                    "host-restored", elapsed: now, text: "host \(hostName(host)) answers again",
                    fields: [("host", .string(hostName(host)))])
            case .stop(let ids):
                for id in ids {
                    guard var session = sessions[id] else { continue }
                    if !session.remote || !stopRemoteWorker(session) { session.process.signalGroup(SIGTERM) }
                    session.stoppedAt = now
                    sessions[id] = session
                }
            case .finish(_):
                break
            }
        }
    }

    private func hostName(_ host: Int) -> String { plan.cluster.hosts[host].name }

    private func masterPath(host: Int, instance: Int) -> String? {
        let hostMasters = masters[host]
        guard !hostMasters.isEmpty else { return nil }
        return hostMasters[min(instance / ControlMaster.sessionsPerMaster, hostMasters.count - 1)].controlPath
    }

    /// Starts a line; returns the scheduler's answer when it cannot start (a host failure, reported at once).
    private func start(_ dispatch: Dispatch) -> [SchedulerAction] {
        let slot = plan.slots[dispatch.slot]
        let host = plan.cluster.hosts[dispatch.host]
        var connection: [String] = []
        if !host.isLocal {
            let index = min(slot.instance / ControlMaster.sessionsPerMaster, masters[dispatch.host].count - 1)
            let master = masters[dispatch.host][index]
            master.poll(now: now)
            guard master.state == .up else {
                let reason = master.failure ?? "the ssh connection to \(host.name) broke"
                running(dispatch, reason)
                return scheduler.dispatchEnded(
                    dispatch.id, outcomes: dispatch.jobs.map { _ in .hostLost(reason: reason) }, now: now)
            }
            connection = JobLine.controlOptions(path: master.controlPath)
        }
        // A remote worker gets the redis password over its ssh session's standard input; a local one from
        // options.localEnvironment.
        let password = host.isLocal ? nil : passwordLine
        let line = JobLine(
            plan: plan, jobs: dispatch.jobs, slot: dispatch.slot, settings: options.settings,
            connectionOptions: connection, passwordOnStdin: password != nil, redisUser: options.endpoint.username)
        do {
            let process = try SpawnedProcess(
                line.argv, scratch: scratch, environment: host.isLocal ? options.localEnvironment : [:],
                input: password)
            sessions[dispatch.id] = Session(
                dispatch: dispatch, process: process, startedAt: now, remote: line.isRemote)
            running(dispatch, nil)
            return []
        } catch {
            running(dispatch, error.message)
            return scheduler.dispatchEnded(
                dispatch.id, outcomes: dispatch.jobs.map { _ in .hostLost(reason: error.message) }, now: now)
        }
    }

    private func ids(_ jobs: [Int32]) -> [String] { jobs.map { plan.graph.jobs[Int($0)].id } }

    private func running(_ dispatch: Dispatch, _ failure: String?) {
        guard failure == nil else { return }
        let names = ids(dispatch.jobs)
        let shown = names.count <= 3 ? names.joined(separator: " ") : "\(names[0]) and \(names.count - 1) more"
        output.event(
            "line-started", elapsed: now,
            text: "started \(shown) on \(hostName(dispatch.host)) slot \(plan.slots[dispatch.slot].instance)",
            fields: [
                ("jobs", .array(names.map(JSONValue.string))), ("host", .string(hostName(dispatch.host))),
                ("slot", .int(Int64(plan.slots[dispatch.slot].instance))),
            ])
    }

    /// Records jobs blocked in redis: taking the lease of a job with a failed or blocked dependency records it
    /// blocked atomically, with a `job-blocked` event (the same step as a worker's).
    private func recordBlocked(_ jobs: [Int32], dependency: Int32) {
        let request = LeaseRequest(
            token: token, ttl: .seconds(5), host: "clustmake", nodename: "clustmake", workerPID: Int(getpid()),
            workerVersion: ClustmakeVersion.current)
        var recorded = 0
        for job in jobs {
            let id = plan.graph.jobs[Int(job)].id
            switch try? store.acquire(id, more: false, request: request) {
            case .blocked: recorded += 1
            case .started(let lease):
                // Not expected (a dependency is failed); give the lease back without running anything.
                let time = UTCTime.now()
                _ = try? store.finish(
                    lease,
                    AttemptResult(
                        state: .interrupted, reason: "started by mistake while recording blocked jobs",
                        started: time, ended: time, wallTime: 0))
            default: break
            }
        }
        let names = ids(jobs)
        output.event(
            "jobs-blocked", elapsed: now,
            text: "\(names.count) job\(names.count == 1 ? "" : "s") blocked by \(plan.graph.jobs[Int(dependency)].id): "
                + names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : ""),
            fields: [
                ("jobs", .array(names.map(JSONValue.string))),
                ("dependency", .string(plan.graph.jobs[Int(dependency)].id)), ("recorded", .int(Int64(recorded))),
            ])
    }

    // MARK: - Lines ending

    private func reapSessions() {
        for (id, session) in sessions {
            guard let status = session.process.poll() else { continue }
            sessions[id] = nil
            let text = session.process.finishOutput()
            // A line that did not end with 0: its jobs' states, read once, say what became of each.
            let succeeded = status.code == 0 && status.signal == nil
            let statuses = succeeded ? [] : self.statuses(session.dispatch.jobs)
            let outcomes = outcomes(of: session, status: status, output: text, statuses: statuses)
            for (index, outcome) in outcomes.enumerated() {
                if case .hostLost(let reason) = outcome, let status = statuses[index] {
                    revokeAttempt(status, host: session.dispatch.host, reason)
                }
            }
            let actions = scheduler.dispatchEnded(id, outcomes: outcomes, now: now)
            report(session, outcomes)
            perform(actions)
        }
    }

    /// A job whose line ended with a host failure: its attempt there, if it still holds the job, is declared lost
    /// now, so that the job can start on another slot at once rather than when the lease expires (a worker still
    /// alive on the host finds its lease gone at its next renewal and stops the job).
    private func revokeAttempt(_ status: JobStatus, host: Int, _ reason: String) {
        let name = hostName(host)
        guard status.state == .inProgress || status.state == .lost, status.host == name, status.currentAttempt > 0
        else { return }
        _ = try? store.revokeLease(
            of: status.id, attempt: status.currentAttempt, host: name, reason: "its host \(name) failed: \(reason)")
    }

    /// The statuses of `jobs` in one round trip (`nil` each when redis cannot say).
    private func statuses(_ jobs: [Int32]) -> [JobStatus?] {
        guard let read = try? store.statuses(of: jobs.map { plan.graph.jobs[Int($0)].id }) else {
            return jobs.map { _ in nil }
        }
        return read
    }

    private func report(_ session: Session, _ outcomes: [JobOutcome]) {
        let host = hostName(session.dispatch.host)
        var done: [String] = []
        for (job, outcome) in zip(session.dispatch.jobs, outcomes) {
            let id = plan.graph.jobs[Int(job)].id
            switch outcome {
            case .done: done.append(id)
            case .failed(let reason):
                let retry = scheduler.phases[Int(job)] != .failed
                output.event(
                    "job-failed", elapsed: now,
                    text: "\(id) failed on \(host): \(reason)" + (retry ? " (trying again)" : ""),
                    fields: [("job", .string(id)), ("host", .string(host)), ("reason", .string(reason))])
            case .hostLost(let reason):
                output.event(
                    "job-requeued", elapsed: now, text: "\(id) lost its host \(host) (\(reason)); running it elsewhere",
                    fields: [("job", .string(id)), ("host", .string(host)), ("reason", .string(reason))])
            case .interrupted:
                output.event(
                    "job-interrupted", elapsed: now, text: "\(id) interrupted on \(host)",
                    fields: [("job", .string(id)), ("host", .string(host))])
            case .runningElsewhere:
                output.event(
                    "job-elsewhere", elapsed: now, text: "\(id) is running under another worker; waiting for it",
                    fields: [("job", .string(id))])
            case .blocked, .notRun: break
            }
        }
        if !done.isEmpty {
            let shown = done.count <= 3 ? done.joined(separator: " ") : "\(done[0]) and \(done.count - 1) more"
            output.event(
                "jobs-done", elapsed: now, text: "done \(shown) on \(host)",
                fields: [("jobs", .array(done.map(JSONValue.string))), ("host", .string(host))])
        }
    }

    /// What the line's exit status and redis say about each of its jobs.
    ///
    /// The worker runs a line's jobs in order and stops at the first whose status is not 0, exiting with it. So
    /// for a line of several jobs the jobs before the first that is not done in redis are done, the status
    /// applies to that one, and the rest did not run.
    private func outcomes(
        of session: Session, status: ExitStatus, output text: String, statuses: [JobStatus?]
    ) -> [JobOutcome] {
        let jobs = session.dispatch.jobs
        if status.code == 0 && status.signal == nil { return jobs.map { _ in .done } }
        let firstNotDone = statuses.firstIndex { $0?.state != .done } ?? jobs.count
        let exit = status.signal == nil ? status.code : -1
        let isRemote = session.remote
        let detail = lastLine(text).map { ": \($0)" } ?? ""
        let applied: JobOutcome
        if cancelling {
            applied = .interrupted
        } else if session.hung {
            applied = .hostLost(reason: "no heartbeat within the lease: the host stopped answering")
        } else {
            switch exit {
            case 113:
                var reason = "the command failed (worker exit 113)"
                if firstNotDone < jobs.count, let status = statuses[firstNotDone], status.currentAttempt > 0,
                    let attempt = try? store.attempt(
                        of: plan.graph.jobs[Int(jobs[firstNotDone])].id, number: status.currentAttempt),
                    let recorded = attempt.reason
                {
                    reason = recorded
                }
                applied = .failed(reason: reason)
            case 115: applied = .blocked
            case 116: applied = .notRun
            case 117, 124: applied = .runningElsewhere
            case 255 where isRemote: applied = .hostLost(reason: "ssh exited 255\(detail)")
            default:
                let name = WorkerExit.name(exit)
                applied = .hostLost(reason: "\(status)\(name.map { " (\($0))" } ?? "")\(detail)")
            }
        }
        var result: [JobOutcome] = []
        for index in jobs.indices {
            if index < firstNotDone {
                result.append(.done)
            } else if index == firstNotDone {
                result.append(applied)
            } else {
                result.append(cancelling ? .interrupted : .notRun)
            }
        }
        return result
    }

    // MARK: - Watching hosts and leases

    /// Notices masters that died: their host is taken out of use (and probed later).
    private func watchMasters() {
        for (host, hostMasters) in masters.enumerated() where opening[host] == nil {
            for master in hostMasters where master.state == .up {
                if master.poll(now: now), master.state == .down {
                    let reason = master.failure ?? "the ssh connection to \(hostName(host)) broke"
                    perform(scheduler.hostFailed(host, reason: reason, now: now))
                }
            }
        }
    }

    /// Advances the hosts whose masters are being opened (first connections and probes): one handshake at a time
    /// per host, so a run adds at most one unauthenticated connection to a host's sshd (its `MaxStartups`), and at
    /// most ``handshakes`` at a time in all. A host is done when all its masters are up, or at its first master
    /// that fails.
    private func openMasters() {
        guard !opening.isEmpty else { return }
        var pending = 0
        for host in opening.keys {
            for master in masters[host] where master.isPending {
                master.poll(now: now)
                if master.isPending { pending += 1 }
            }
        }
        for host in opening.keys.sorted() {
            let hostMasters = masters[host]
            guard !hostMasters.contains(where: \.isPending) else { continue }
            let failed = hostMasters.first { $0.state == .down && $0.failure != nil }
            if failed == nil, let next = hostMasters.first(where: { $0.state == .down }) {
                guard pending < Self.handshakes else { continue }
                // A probe of a failed host tries a dropped login again once (a host down behind a jump host
                // looks the same to ssh); a first connection, as often as a master does.
                next.start(now: now, scratch: scratch, retries: opening[host]! ? ControlMaster.maximumRefusals : 1)
                if next.isPending {
                    pending += 1
                    continue
                }
                if next.state != .up { opened(host, failure: next.failure ?? "ssh to \(hostName(host)) failed") }
                continue
            }
            opened(host, failure: failed.map { $0.failure ?? "ssh to \(hostName(host)) failed" })
        }
    }

    /// A host's masters are all up (`failure` nil), or one failed: the scheduler is told.
    private func opened(_ host: Int, failure: String?) {
        guard let first = opening.removeValue(forKey: host) else { return }
        if let failure {
            hostFailures[host] = failure
            for master in masters[host] where master.state == .up { master.stop() }
        }
        if first {
            if failure == nil {
                output.event(
                    "host-connected", elapsed: now,
                    text: "connected to \(hostName(host)) (\(masters[host].count) ssh master"
                        + (masters[host].count == 1 ? ")" : "s)"),
                    fields: [("host", .string(hostName(host)))])
                perform(scheduler.connected(host, now: now))
            } else if let failure {
                perform(scheduler.hostFailed(host, reason: failure, now: now))
            }
        } else {
            perform(scheduler.probeEnded(host: host, succeeded: failure == nil, now: now))
        }
    }

    /// A probe re-establishes the host's masters, one after the other; it succeeds when they are all up.
    private func startProbe(_ host: Int) {
        let hostMasters = masters[host]
        guard hostMasters.contains(where: { $0.state != .up }) else {
            perform(scheduler.probeEnded(host: host, succeeded: true, now: now))
            return
        }
        for master in hostMasters where master.state != .up { master.clearFailure() }
        opening[host] = false
    }

    /// A job whose lease expired while its line still runs means its host stopped answering: after two checks in
    /// a row, the line is killed and its job runs elsewhere.
    private func checkLeases() {
        let watched = sessions.filter { $0.value.remote && !$0.value.hung && $0.value.stoppedAt == nil }
        guard !watched.isEmpty else { return }
        let jobs = watched.values.flatMap(\.dispatch.jobs)
        var lostJobs = Set<Int32>()
        for (job, status) in zip(jobs, statuses(jobs)) where status?.state == .lost { lostJobs.insert(job) }
        for (id, var session) in watched {
            let lost = session.dispatch.jobs.contains(where: lostJobs.contains)
            session.lostChecks = lost ? session.lostChecks + 1 : 0
            if session.lostChecks >= 2 {
                session.hung = true
                session.process.signalGroup(SIGKILL)
            }
            sessions[id] = session
        }
    }

    /// Jobs another worker runs: their end, from redis.
    private func checkElsewhere() {
        guard scheduler.jobCounts.elsewhere > 0 else { return }
        let jobs = (0..<plan.graph.count).filter { scheduler.phases[$0] == .elsewhere }.map(Int32.init)
        for (job, read) in zip(jobs, statuses(jobs)) {
            let id = plan.graph.jobs[Int(job)].id
            guard let status = read else { continue }
            let outcome: ElsewhereOutcome
            switch status.state {
            case .inProgress: continue
            case .done: outcome = .done
            case .failed: outcome = .failed(reason: status.reason ?? "failed")
            case .blocked: outcome = .blocked
            case .notStarted, .lost, .interrupted: outcome = .lost
            }
            if outcome == .done {
                output.event(
                    "jobs-done", elapsed: now, text: "done \(id) (under an earlier worker)",
                    fields: [("jobs", .array([.string(id)])), ("host", .string(status.host ?? ""))])
            }
            perform(scheduler.elsewhereEnded(job, outcome, now: now))
        }
    }

    // MARK: - The report

    private func makeReport() -> RunReport {
        var failures: [RunReport.Failure] = []
        for job in 0..<plan.graph.count where scheduler.phases[job] == .failed {
            let id = plan.graph.jobs[job].id
            var reason = scheduler.failureReasons[Int32(job)] ?? "failed"
            var host = scheduler.lastHost[Int32(job)].map(hostName)
            var last: String?
            if let status = try? store.status(of: id), status.state == .failed, status.currentAttempt > 0,
                let attempt = try? store.attempt(of: id, number: status.currentAttempt)
            {
                // A failed attempt says why; a job given up on (it lost too many hosts) has its reason on the job.
                if attempt.state == .failed, let recorded = attempt.reason {
                    reason = recorded
                } else if let recorded = status.reason {
                    reason = recorded
                }
                host = attempt.host
                if let bytes = try? store.output(of: id, attempt: status.currentAttempt, .stderr) {
                    last = lastLine(String(decoding: bytes, as: UTF8.self))
                }
            }
            failures.append(RunReport.Failure(job: id, host: host, reason: reason, lastStderrLine: last))
        }
        let report = RunReport(
            namespace: options.settings.namespace, stopReason: scheduler.stopReason ?? .cancelled,
            counts: scheduler.jobCounts, total: plan.graph.count, wallTime: now, failures: failures,
            hostFailures: hostFailures.sorted { $0.key < $1.key }.map { (hostName($0.key), $0.value) })
        let counts = report.counts
        output.event(
            "run-finished", elapsed: now, text: "run over",
            fields: [
                ("exit", .int(Int64(report.exitStatus))), ("done", .int(Int64(counts.done))),
                ("failed", .int(Int64(counts.failed))), ("blocked", .int(Int64(counts.blocked))),
                ("interrupted", .int(Int64(counts.interrupted))), ("total", .int(Int64(report.total))),
                ("wall_time_ms", .int(Int64((report.wallTime * 1000).rounded()))),
            ])
        return report
    }
}

/// The names of the worker's exit statuses (docs/worker.md), for messages.
enum WorkerExit {
    static func name(_ status: Int32) -> String? {
        switch status {
        case 114: "worker internal error"
        case 118: "redis unreachable through the tunnel"
        case 119: "schema mismatch: install the matching compmake on the host"
        case 120: "unknown namespace or job"
        case 121: "bad worker arguments"
        case 122: "redis refused the worker's login"
        case 123: "worker interrupted"
        case 126: "the worker cannot be executed on the host"
        case 127: "the worker is not installed on the host"
        default: nil
        }
    }
}

/// Reads a small text file.
func readSmallFile(_ path: String) throws -> String {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw DispatchError("cannot open \(path)") }
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
}
