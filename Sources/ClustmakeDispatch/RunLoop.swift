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

/// The dispatch loop of a run whose store, scheduler and masters exist: it waits for signals and children, carries
/// out the scheduler's actions (start lines, record blocked or lost jobs, quarantine and probe hosts, stop lines),
/// and tells the scheduler what ended, until the run is over.
///
/// Deciding is the scheduler's, classifying a line's end is ``ClustmakeScheduler/LineOutcome``'s, the masters are
/// ``MasterPool``'s and showing events is ``RunOutput``'s; what stays here is acting on them, and the two watches
/// that need redis (leases of running lines, jobs running under other workers).
final class RunLoop {
    /// One running job line.
    private struct Session {
        var dispatch: Dispatch
        var process: SpawnedProcess
        /// Its worker runs on another machine (over ssh, or through srun on a SLURM node).
        var remote: Bool
        /// Consecutive lease checks that found one of its jobs lost (its host stopped answering).
        var lostChecks = 0
        /// Stopped by the executor because its host hung.
        var hung = false
        /// When it was sent SIGTERM, if it was.
        var stoppedAt: Double?
        /// For a line sent into a streamed session: the session's argument vector, which later lines of its slot
        /// must have to go into it too.
        var stream: [String]?
        /// What the session's worker answered so far (a status and a newline ends the line).
        var answers: [UInt8] = []
        /// Why the session was killed because of what it answered, if it was.
        var brokenAnswer: String?
        /// Its standard output ended (its worker is ending): no more answers to wait for.
        var answersEnded = false
        /// Where this line's part of the session's output file begins: a line's last output line (its failure's
        /// detail) is never an earlier line's message.
        var outputStart = 0
        /// The look-ahead line sent into the session behind this one (``ClustmakeScheduler/Dispatch/after``): its
        /// worker runs it when this line ends.
        var queued: Dispatch?

        /// The session going on with the look-ahead line behind this one, from `answers` on; its part of the output
        /// from `outputStart` on.
        func goingOn(with next: Dispatch, answers rest: [UInt8], outputStart: Int) -> Session {
            var following = Session(
                dispatch: next, process: process, remote: remote, stream: stream, outputStart: outputStart)
            following.hung = hung
            following.stoppedAt = stoppedAt
            following.answers = rest
            following.answersEnded = answersEnded
            return following
        }
    }

    /// A streamed session between two lines of its slot.
    private struct IdleStream {
        var process: SpawnedProcess
        var argv: [String]
    }

    private let options: RunOptions
    private let plan: Plan
    private let store: JobStore
    private var scheduler: Scheduler
    private let masters: MasterPool
    /// The redis sockets of the hosts with `tunnel: unix`.
    private let tunnels: UnixTunnels
    private let output: RunOutput
    private let clock: RunClock
    /// The run's lease on the namespace in redis, renewed as the loop turns.
    private let lease: RunLeaseKeeper
    private var sessions: [Int: Session] = [:]
    /// Streamed sessions waiting for their slot's next line, by slot.
    private var idleStreams: [Int: IdleStream] = [:]
    /// Streamed sessions told to end (their standard input closed), and since when; reaped as they end, killed
    /// if they do not within ``streamEndGrace`` seconds.
    private var endingStreams: [(process: SpawnedProcess, since: Double)] = []
    private static let streamEndGrace = 5.0
    /// Short helper processes (remote kills), reaped as they end.
    private var helpers: [SpawnedProcess] = []
    /// The last failure of each host that failed, for the report.
    private var hostFailures: [Int: String] = [:]
    private var cancelling = false
    private var lastLeaseCheck = 0.0
    private var lastElsewhereCheck = 0.0
    private var lastReconnect = 0.0
    /// The lease token of the executor's own redis steps (recording jobs blocked).
    private let token: String
    /// The redis password and a newline, written to every line's standard input (nil without a password).
    private let passwordLine: [UInt8]?
    /// The push writing the graph while the first jobs run, until it ends.
    private var pusher: GraphPusher?
    /// How many jobs of the push's order the scheduler knows are written.
    private var written = 0
    /// Each job's place in the push's order (empty without a push going on at the start).
    private let writePosition: [Int32]
    /// Jobs to record blocked once they are written (in the order found), with the last place among them.
    private var deferredBlocked: [(jobs: [Int32], dependency: Int32, last: Int32)] = []
    /// Why the push failed, when the run stops for that.
    private var pushFailure: String?

    init(
        options: RunOptions, store: JobStore, scheduler: Scheduler, masters: MasterPool, output: RunOutput,
        clock: RunClock, lease: RunLeaseKeeper, pusher: GraphPusher? = nil
    ) {
        self.lease = lease
        self.pusher = pusher
        var positions: [Int32] = []
        if let order = pusher?.progress.order {
            positions = [Int32](repeating: 0, count: order.count)
            for (place, job) in order.enumerated() { positions[Int(job)] = Int32(place) }
        }
        self.writePosition = positions
        self.options = options
        self.plan = options.plan
        self.store = store
        self.scheduler = scheduler
        self.masters = masters
        self.tunnels = UnixTunnels(
            hosts: options.plan.cluster.hosts, namespace: options.settings.namespace, redis: options.settings.redis,
            scratch: options.directory.path)
        self.output = output
        self.clock = clock
        self.token = "clustmake/\(getpid())/\(UInt32.random(in: 0...UInt32.max))"
        self.passwordLine = options.endpoint.password.map { Array(($0 + "\n").utf8) }
    }

    private var now: Double { clock.now }
    private var scratch: String { options.directory.path }

    /// Runs until the scheduler says the run is over and no line is left, then closes the masters.
    /// - Returns: The report.
    func run() -> RunReport {
        perform(scheduler.start(now: now))
        while scheduler.stopReason == nil || !sessions.isEmpty {
            step()
        }
        endIdleStreams()
        finishPush()
        while !endingStreams.isEmpty {
            _ = SignalPipe.wait(milliseconds: 50)
            reapStreams()
        }
        for helper in helpers {
            _ = helper.wait()
            _ = helper.finishOutput()
        }
        tunnels.removeSockets()
        masters.stopAll()
        output.clearProgress()
        var report = RunReport(
            namespace: options.settings.namespace, scheduler: scheduler, wallTime: now, hostFailures: hostFailures,
            recorded: recordedFailures())
        report.pushFailure = pushFailure
        output.event(
            .runFinished(
                exit: report.exitStatus, counts: report.counts, total: report.total, wallTime: report.wallTime),
            elapsed: now)
        return report
    }

    /// One turn: wait for a signal or the next deadline, then reap, watch, open, tick and check.
    private func step() {
        var timeout: Int32 = masters.isOpening ? 5 : (sessions.isEmpty ? 200 : 50)
        if let deadline = scheduler.nextDeadline {
            timeout = min(timeout, Int32(max(0, (deadline - now) * 1000)) + 1)
        }
        var readable = sessions.values.compactMap {
            $0.stream == nil || $0.answersEnded || $0.brokenAnswer != nil ? nil : $0.process.answers
        }
        if let pusher { readable.append(pusher.wakeDescriptor) }
        let (signals, ready) = SignalPipe.wait(milliseconds: timeout, readable: readable)
        takeStopSignals(signals)
        followPush()
        readAnswers(Set(ready))
        reapSessions()
        reapStreams()
        handle(masters.watch(now: now))
        handle(masters.open(now: now))
        perform(scheduler.tick(now: now))
        let time = now
        // A failure (redis restarted, the network cut) drops the store's connection: every later call would fail
        // until it connects again, so try that once a second; the watches below catch up once it is back.
        if !store.isConnected && time - lastReconnect >= 1 {
            lastReconnect = time
            try? store.reconnect()
        }
        if let other = lease.renewIfDue(now: time), !cancelling {
            output.event(.runLeaseLost(host: other.host, pid: other.pid), elapsed: time)
            cancel()
        }
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

    private func cancel() {
        if cancelling {
            // A second signal: kill the lines at once.
            for session in sessions.values { session.process.signalGroup(SIGKILL) }
            for stream in endingStreams { stream.process.signalGroup(SIGKILL) }
            return
        }
        cancelling = true
        pusher?.progress.stop()
        endIdleStreams()
        output.event(.runCancelling(lines: sessions.count), elapsed: now)
        perform(scheduler.cancel(now: now))
    }

    // MARK: - The push going on

    /// Tells the scheduler which jobs the push wrote since the last turn, records the jobs blocked meanwhile that
    /// are written now, and takes the push's end: every job written, or a failure that stops the run.
    private func followPush() {
        guard let pusher else { return }
        pusher.takeWakeUps()
        // The outcome first: once there is one, the count read after it is the last.
        let outcome = pusher.result
        let count = pusher.progress.written
        if count > written {
            let jobs = pusher.progress.order[written..<count]
            written = count
            perform(scheduler.written(jobs, now: now))
        }
        recordDeferredBlocked()
        guard let outcome else { return }
        pusher.join()
        self.pusher = nil
        switch outcome {
        case .success:
            output.event(.graphWritten(jobs: plan.graph.count), elapsed: now)
        case .failure(let error):
            output.event(.graphNotWritten(error: error.message, stopped: cancelling), elapsed: now)
            // Stopped by a cancel, the run ends as cancelled; otherwise it stops for the failure (if it has not
            // ended already, its jobs that could run having run).
            guard !cancelling else { return }
            pushFailure = error.message
            if scheduler.stopReason == nil { cancel() }
        }
    }

    /// At the end of the run: waits for the push (it stops early if the run was cancelled), renewing the run's
    /// lease meanwhile, then records the jobs blocked while they were not written.
    private func finishPush() {
        while let pusher {
            let (signals, _) = SignalPipe.wait(milliseconds: 200, readable: [pusher.wakeDescriptor])
            if signals.contains(where: SignalPipe.stopSignals.contains) { pusher.progress.stop() }
            _ = lease.renewIfDue(now: now)
            followPush()
        }
        recordDeferredBlocked()
    }

    /// Records the deferred blocked jobs that are written now, in the order they were found.
    private func recordDeferredBlocked() {
        while let first = deferredBlocked.first, pusher == nil || Int(first.last) < written {
            deferredBlocked.removeFirst()
            record(blocked: first.jobs, dependency: first.dependency)
        }
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
    /// host's master (or in a step of its own on a SLURM node: srun turns a SIGTERM it gets into SIGKILL for its
    /// tasks): the worker stops its job's process group and records the attempt interrupted, while its tunnel
    /// still works. Returns whether a worker was found.
    private func stopRemoteWorker(_ session: Session) -> Bool {
        let host = plan.cluster.hosts[session.dispatch.host]
        for job in session.dispatch.jobs + (session.queued?.jobs ?? []) {
            let id = plan.graph.jobs[Int(job)].id
            guard let status = try? store.status(of: id), status.state == .inProgress, status.host == host.name,
                status.currentAttempt > 0,
                let attempt = try? store.attempt(of: id, number: status.currentAttempt),
                attempt.state == .running, let pid = attempt.workerPID, pid > 1
            else { continue }
            let kill = ["kill", "-TERM", String(pid)]
            let master = masters.controlPath(
                host: session.dispatch.host, instance: plan.slots[session.dispatch.slot].instance)
            let arguments =
                options.allocation.map {
                    SrunLine(allocation: $0, node: host.name, namespace: options.settings.namespace, command: kill)
                        .argv
                }
                ?? JobLine.ssh(
                    host,
                    options: ["-n", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
                        + (master.map(JobLine.controlOptions(path:)) ?? []))
                + [host.destination] + kill
            if let helper = try? SpawnedProcess(arguments, scratch: scratch) { helpers.append(helper) }
            return true
        }
        return false
    }

    /// Seconds of work left over the speed of the slots that are up (nil when none is).
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
                _ = try? store.abandon(id(job), reason: reason)
                output.event(.jobGivenUp(job: id(job), reason: reason), elapsed: now)
            case .quarantine(let host, let reason, let probeAt):
                hostFailures[host] = reason
                output.event(
                    .hostQuarantined(host: hostName(host), reason: reason, probeIn: probeAt - now), elapsed: now)
            case .probe(let host):
                if let ended = masters.startProbe(host) { handle([ended]) }
            case .restore(let host):
                output.event(.hostRestored(host: hostName(host)), elapsed: now)
            case .stop(let ids):
                // A look-ahead line is stopped with the line whose session it is queued in.
                var stopping: [Int] = []
                for id in ids {
                    let key = sessions[id] != nil ? id : sessions.first { $0.value.queued?.id == id }?.key
                    if let key, !stopping.contains(key) { stopping.append(key) }
                }
                for id in stopping {
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

    /// Tells the scheduler what happened to hosts' masters.
    private func handle(_ events: [MasterPool.Event]) {
        for event in events {
            switch event {
            case .connected(let host, let count):
                if let failure = prepareTunnels(host) {
                    hostFailures[host] = failure
                    perform(scheduler.hostFailed(host, reason: failure, now: now))
                    continue
                }
                output.event(.hostConnected(host: hostName(host), masters: count), elapsed: now)
                perform(scheduler.connected(host, now: now))
            case .connectFailed(let host, let reason):
                hostFailures[host] = reason
                perform(scheduler.hostFailed(host, reason: reason, now: now))
            case .probeEnded(let host, var failure):
                if failure == nil { failure = prepareTunnels(host) }
                if let failure { hostFailures[host] = failure }
                perform(scheduler.probeEnded(host: host, succeeded: failure == nil, now: now))
            case .broke(let host, let reason):
                perform(scheduler.hostFailed(host, reason: reason, now: now))
            }
        }
    }

    /// Prepares the socket of a host with `tunnel: unix` whose masters just came up, forwarded by its first master,
    /// before any of its lines starts. Returns why the host cannot be used, or nil.
    private func prepareTunnels(_ host: Int) -> String? {
        guard tunnels.usesSockets(host) else { return nil }
        guard let controlPath = masters.controlPath(host: host, instance: 0) else {
            return "\(hostName(host)) has no ssh master"
        }
        return tunnels.prepare(host: host, controlPath: controlPath)
    }

    private func hostName(_ host: Int) -> String { plan.cluster.hosts[host].name }

    private func id(_ job: Int32) -> String { plan.graph.jobs[Int(job)].id }

    /// The command that runs a line, and whether its worker is on another machine; or why its host cannot run it.
    private func command(for dispatch: Dispatch) -> Result<(argv: [String], remote: Bool), DispatchError> {
        let slot = plan.slots[dispatch.slot]
        let host = plan.cluster.hosts[dispatch.host]
        var connection: [String] = []
        switch masters.connection(host: dispatch.host, instance: slot.instance, now: now) {
        case .local: break
        case .master(let controlPath): connection = JobLine.controlOptions(path: controlPath)
        case .down(let reason): return .failure(DispatchError(reason))
        }
        // A host with tunnel: unix never falls back to a TCP port.
        let tunnelSocket = tunnels.socket(host: dispatch.host)
        if tunnels.usesSockets(dispatch.host) && tunnelSocket == nil {
            return .failure(DispatchError("its tunnel socket is not forwarded"))
        }
        // Every worker gets the redis password as the first line of its standard input: over the ssh session for
        // a remote one, over srun's for one on a node of a SLURM allocation, directly for a local one; never in its
        // environment or on its command line.
        let line = JobLine(
            plan: plan, jobs: dispatch.jobs, slot: dispatch.slot, settings: options.settings,
            connectionOptions: connection, passwordOnStdin: passwordLine != nil, tunnelSocket: tunnelSocket,
            stream: options.streams)
        let argv =
            options.allocation.map {
                SrunLine(allocation: $0, node: host.name, namespace: options.settings.namespace, command: line.command)
                    .argv
            } ?? line.argv
        return .success((argv, line.isRemote || options.allocation != nil))
    }

    /// Starts a line; returns the scheduler's answer when it cannot start (a host failure, reported at once).
    private func start(_ dispatch: Dispatch) -> [SchedulerAction] {
        if let after = dispatch.after { return sendAhead(dispatch, after: after) }
        let slot = plan.slots[dispatch.slot]
        let host = plan.cluster.hosts[dispatch.host]
        let argv: [String]
        let remote: Bool
        switch command(for: dispatch) {
        case .success(let built): (argv, remote) = built
        case .failure(let error):
            return scheduler.dispatchEnded(dispatch.id, every: .hostLost(reason: error.message), now: now)
        }
        do {
            let (process, outputStart) =
                options.streams
                ? try streamedSession(argv, slot: dispatch.slot, jobs: dispatch.jobs)
                : (try SpawnedProcess(argv, scratch: scratch, input: passwordLine), 0)
            sessions[dispatch.id] = Session(
                dispatch: dispatch, process: process, remote: remote, stream: options.streams ? argv : nil,
                outputStart: outputStart)
            output.event(
                .lineStarted(jobs: dispatch.jobs.map(id), host: host.name, slot: slot.instance), elapsed: now)
            return []
        } catch {
            // A stop signal sent to the executor's process group (Ctrl-C in a terminal) reaches a new session
            // before it leaves that group, and ends it at once: that is the run's cancel, not the host's failure.
            let outcome: JobOutcome = stopSignalPending() ? .notRun : .hostLost(reason: error.message)
            return scheduler.dispatchEnded(dispatch.id, every: outcome, now: now)
        }
    }

    /// Whether the run is cancelled, or a stop signal came that the loop has not read yet (then the run is cancelled
    /// now).
    private func stopSignalPending() -> Bool {
        cancelling || takeStopSignals(SignalPipe.drain())
    }

    /// Cancels the run for each stop signal among `signals` (a second one kills the lines); the others (SIGCHLD)
    /// only wake the loop, which reaps on every turn.
    /// - Returns: Whether there was a stop signal.
    @discardableResult
    private func takeStopSignals(_ signals: [Int32]) -> Bool {
        let stops = signals.filter(SignalPipe.stopSignals.contains)
        for _ in stops { cancel() }
        return !stops.isEmpty
    }

    /// Sends a look-ahead line's ids into the streamed session of the line `after` (docs/run.md, "Look-ahead"): its
    /// worker runs them when that line ends, taking the first job in the script call that records that line's last.
    /// Refused, its jobs waiting for a slot again, when that session cannot take them: it is ending, stopped or
    /// killed, has a line queued already, or runs another command (a job of another nice level).
    private func sendAhead(_ dispatch: Dispatch, after: Int) -> [SchedulerAction] {
        guard var session = sessions[after], session.queued == nil, session.stoppedAt == nil, !session.hung,
            session.brokenAnswer == nil, !session.answersEnded, let sessionArgv = session.stream,
            case .success(let built) = command(for: dispatch), built.argv == sessionArgv,
            session.process.send(Array((dispatch.jobs.map(id).joined(separator: " ") + "\n").utf8))
        else { return scheduler.lookAheadRefused(dispatch.id, now: now) }
        session.queued = dispatch
        sessions[after] = session
        return []
    }

    /// The streamed session that runs `jobs` on `slot` with the line `argv`, the jobs' ids sent: the slot's idle
    /// session when it has the same line, is still running, said nothing since its last answer, and takes them;
    /// else a new one (an idle session with another line, for a job with a nice level of its own, is ended). Also
    /// returns where the line's part of the session's output begins (taken before the ids are sent).
    private func streamedSession(
        _ argv: [String], slot: Int, jobs: [Int32]
    ) throws(DispatchError) -> (SpawnedProcess, outputStart: Int) {
        let batch = Array((jobs.map(id).joined(separator: " ") + "\n").utf8)
        if let idle = idleStreams.removeValue(forKey: slot) {
            var stray: [UInt8] = []
            let open = idle.process.readAnswers(into: &stray)
            if idle.process.poll() != nil {
                // Ended (and reaped just now): never waited for again, its pid may be another child's soon.
                _ = idle.process.finishOutput()
            } else {
                let start = idle.process.outputSize
                if idle.argv == argv && open && stray.isEmpty && idle.process.send(batch) {
                    return (idle.process, start)
                }
                endStream(idle.process)
            }
        }
        return (try SpawnedProcess(stream: argv, scratch: scratch, input: (passwordLine ?? []) + batch), 0)
    }

    /// Closes a streamed session's standard input (its worker ends) and watches it until it ends.
    private func endStream(_ process: SpawnedProcess) {
        var process = process
        process.closeInput()
        endingStreams.append((process, now))
    }

    private func endIdleStreams() {
        for idle in idleStreams.values { endStream(idle.process) }
        idleStreams.removeAll()
    }

    /// Reaps streamed sessions that ended between lines, and kills those told to end that did not in time.
    private func reapStreams() {
        for (slot, idle) in idleStreams where idle.process.poll() != nil {
            idleStreams[slot] = nil
            _ = idle.process.finishOutput()
        }
        let time = now
        endingStreams.removeAll { entry in
            if entry.process.poll() != nil {
                _ = entry.process.finishOutput()
                return true
            }
            if time - entry.since > Self.streamEndGrace { entry.process.signalGroup(SIGKILL) }
            return false
        }
    }

    /// Records jobs blocked in redis: taking the lease of a job with a failed or blocked dependency records it
    /// blocked atomically, with a `job-blocked` event (the same step as a worker's).
    private func recordBlocked(_ jobs: [Int32], dependency: Int32) {
        // A job not written yet is not in redis: recorded once it is (after any found blocked before it).
        if pusher != nil, !writePosition.isEmpty {
            let last = jobs.lazy.map { self.writePosition[Int($0)] }.max() ?? 0
            if !deferredBlocked.isEmpty || Int(last) >= written {
                deferredBlocked.append((jobs, dependency, last))
                return
            }
        }
        record(blocked: jobs, dependency: dependency)
    }

    /// Records `jobs` blocked in redis now.
    private func record(blocked jobs: [Int32], dependency: Int32) {
        let request = LeaseRequest(
            token: token, ttl: .seconds(5), host: "clustmake", nodename: "clustmake", workerPID: Int(getpid()),
            workerVersion: ClustmakeVersion.current)
        var recorded = 0
        for job in jobs {
            switch try? store.acquire(id(job), more: false, request: request) {
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
        output.event(
            .jobsBlocked(jobs: jobs.map(id), dependency: id(dependency), recorded: recorded), elapsed: now)
    }

    // MARK: - Lines ending

    /// Lines whose streamed session answered: the line is over (its session waits for the slot's next line, or
    /// goes on with the look-ahead line queued behind it).
    private func readAnswers(_ ready: Set<Int32>) {
        for dispatchID in Array(sessions.keys) {
            guard var session = sessions[dispatchID], session.stream != nil, session.brokenAnswer == nil,
                ready.contains(session.process.answers)
            else { continue }
            session.answersEnded = !session.process.readAnswers(into: &session.answers)
            takeAnswers(dispatchID, session)
        }
    }

    /// Ends the session's line if its whole answer came, then the look-ahead line behind it if its answer came too.
    private func takeAnswers(_ dispatchID: Int, _ session: Session) {
        var dispatchID = dispatchID
        var session = session
        while true {
            switch Self.answer(session.answers, more: session.queued != nil) {
            case nil:
                // Not a whole answer yet; at the end of the output, the session's end says what happened.
                sessions[dispatchID] = session
                return
            case .failure(let problem):
                // Not what a worker of this version answers: the session is not to be trusted with more lines.
                session.brokenAnswer = problem.description
                session.process.signalGroup(SIGKILL)
                sessions[dispatchID] = session
                return
            case .success(let (status, rest)):
                sessions[dispatchID] = nil
                let actions = lineEnded(dispatchID, session, exit: .exited(status), lastOutput: nil, answered: true)
                guard let next = session.queued else {
                    // A session that was told to stop, or whose output ended with the answer, serves no more lines.
                    if !cancelling && session.stoppedAt == nil && !session.hung && !session.answersEnded,
                        let argv = session.stream
                    {
                        if let other = idleStreams[session.dispatch.slot] { endStream(other.process) }
                        idleStreams[session.dispatch.slot] = IdleStream(process: session.process, argv: argv)
                    } else {
                        endStream(session.process)
                    }
                    perform(actions)
                    return
                }
                // The worker went on with the look-ahead line (its first job taken as it recorded this one's last).
                sessions[next.id] = session.goingOn(
                    with: next, answers: rest, outputStart: session.process.outputSize)
                output.event(
                    .lineStarted(
                        jobs: next.jobs.map(id), host: hostName(next.host), slot: plan.slots[next.slot].instance,
                        ahead: true),
                    elapsed: now)
                perform(actions)
                guard let following = sessions[next.id] else { return }
                dispatchID = next.id
                session = following
            }
        }
    }

    /// A streamed session's first answer and what follows it: nil until a whole line came; the status when it is
    /// one a worker answers with (`WorkerExitStatus.streamAnswers`) and nothing follows it unless `more` (a
    /// look-ahead line is queued), else what is wrong.
    private static func answer(_ bytes: [UInt8], more: Bool) -> Result<(Int32, rest: [UInt8]), AnswerProblem>? {
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            return bytes.count > 16 ? .failure(AnswerProblem(bytes)) : nil
        }
        let text = String(decoding: bytes[..<newline], as: UTF8.self)
        guard more || newline == bytes.count - 1, text.count <= 3,
            text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let status = Int32(text),
            WorkerExitStatus.streamAnswers.contains(status)
        else { return .failure(AnswerProblem(bytes)) }
        return .success((status, Array(bytes[(newline + 1)...])))
    }

    /// What a streamed session answered that no worker answers.
    private struct AnswerProblem: Error, CustomStringConvertible {
        var description: String
        init(_ bytes: [UInt8]) {
            description =
                "its session answered \(Format.escaped(String(decoding: bytes.prefix(64), as: UTF8.self), limit: 64)),"
                + " not a worker's status"
        }
    }

    private func reapSessions() {
        for dispatchID in Array(sessions.keys) {
            guard var session = sessions[dispatchID], let status = session.process.poll() else { continue }
            sessions[dispatchID] = nil
            if session.stream != nil && session.brokenAnswer == nil {
                // An answer that came just before the session ended counts.
                _ = session.process.readAnswers(into: &session.answers)
                if case .success(let (answered, rest)) = Self.answer(session.answers, more: session.queued != nil) {
                    perform(lineEnded(dispatchID, session, exit: .exited(answered), lastOutput: nil, answered: true))
                    guard let next = session.queued else {
                        _ = session.process.finishOutput()
                        continue
                    }
                    // The look-ahead line behind it was the session's line when it ended.
                    let following = session.goingOn(with: next, answers: rest, outputStart: session.outputStart)
                    if case .success(let (nextAnswer, _)) = Self.answer(rest, more: false) {
                        _ = session.process.finishOutput()
                        perform(
                            lineEnded(next.id, following, exit: .exited(nextAnswer), lastOutput: nil, answered: true))
                    } else {
                        let text = session.process.finishOutput(since: session.outputStart)
                        perform(lineEnded(next.id, following, exit: status.lineExit, lastOutput: lastLine(text)))
                    }
                    continue
                }
            }
            let text = session.process.finishOutput(since: session.outputStart)
            let lastOutput = session.brokenAnswer ?? lastLine(text)
            perform(lineEnded(dispatchID, session, exit: status.lineExit, lastOutput: lastOutput))
            if let next = session.queued {
                perform(queuedLineEnded(next, session, exit: status.lineExit, lastOutput: lastOutput))
            }
        }
    }

    /// A look-ahead line whose session ended before the line it followed was answered. Its worker took its first job
    /// only if it recorded that line's last (then redis has the job in progress on this host; the worker answers
    /// that line before it records the job, so redis cannot show it ended): then the line ended as its session did.
    /// Otherwise it never started, and its jobs wait for a slot again.
    private func queuedLineEnded(
        _ next: Dispatch, _ session: Session, exit: LineExit, lastOutput: String?
    ) -> [SchedulerAction] {
        let host = hostName(next.host)
        let first = readStatuses(Array(next.jobs.prefix(1)))?.first
        let taken = first.map { $0.state == .inProgress && $0.host == host } ?? true
        guard taken else {
            // Its worker may have reserved its first job while running the line before it.
            releaseReservations(of: next)
            return scheduler.dispatchEnded(next.id, every: cancelling ? .interrupted : .notRun, now: now)
        }
        let following = session.goingOn(with: next, answers: [], outputStart: session.outputStart)
        return lineEnded(next.id, following, exit: exit, lastOutput: lastOutput)
    }

    /// What became of a line's jobs, told to the scheduler and shown; returns the scheduler's answer. `answered`:
    /// the status is a streamed session's answer, the worker's own word, rather than how a process ended.
    private func lineEnded(
        _ dispatchID: Int, _ session: Session, exit: LineExit, lastOutput: String?, answered: Bool = false
    ) -> [SchedulerAction] {
        // A line that did not end with 0: its jobs' states, read once, say what became of each. Inside an
        // allocation srun's 0 is checked too: a step whose node fails can end 0 without its worker's word (an
        // answer is that word).
        let verified = exit.succeeded && options.allocation != nil && !answered
        let read: [JobStatus]? = exit.succeeded && !verified ? [] : readStatuses(session.dispatch.jobs)
        let statuses = read.map { $0.map(Optional.some) } ?? session.dispatch.jobs.map { _ in nil }
        let line = LineOutcome(
            exit: exit, doneInRedis: statuses.map { $0?.state == .done },
            remote: session.remote && options.allocation == nil,
            lastOutputLine: lastOutput, cancelling: cancelling, hung: session.hung, verified: verified,
            redisAnswered: read != nil)
        var recordedReason: String?
        if line.needsRecordedReason, let status = statuses[line.statusJob], status.currentAttempt > 0 {
            recordedReason = (try? store.attempt(of: status.id, number: status.currentAttempt))?.reason
        }
        let outcomes = line.outcomes(count: session.dispatch.jobs.count, recordedReason: recordedReason)
        for (index, outcome) in outcomes.enumerated() {
            if case .hostLost(let reason) = outcome, let status = statuses[index] {
                revokeAttempt(status, host: session.dispatch.host, reason)
            }
        }
        if !exit.succeeded && !answered { releaseReservations(of: session.dispatch) }
        let actions = scheduler.dispatchEnded(dispatchID, outcomes: outcomes, now: now)
        if line.outcomeUnread {
            output.event(
                .outcomeUnread(jobs: session.dispatch.jobs.map(id), host: hostName(session.dispatch.host)),
                elapsed: now)
        } else {
            report(session.dispatch, outcomes)
        }
        return actions
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

    /// Gives back the reservations that workers on the line's host hold on its jobs (docs/run.md, "Reservations"): a
    /// line that ended without its worker's word may have left one (a worker gives its own back when it answers or
    /// exits), and the job would wait for it to expire before it could start elsewhere. Only that line's worker
    /// could have reserved them: a job is in one line at a time.
    private func releaseReservations(of dispatch: Dispatch) {
        _ = try? store.releaseReservations(dispatch.jobs.map(id), host: hostName(dispatch.host))
    }

    /// The statuses of `jobs` in one round trip (`nil` each when redis cannot say).
    private func statuses(_ jobs: [Int32]) -> [JobStatus?] {
        readStatuses(jobs) ?? jobs.map { _ in nil }
    }

    /// The statuses of `jobs` in one round trip, or `nil` when redis cannot say.
    private func readStatuses(_ jobs: [Int32]) -> [JobStatus]? {
        try? store.statuses(of: jobs.map(id))
    }

    /// Shows what became of a line's jobs.
    private func report(_ dispatch: Dispatch, _ outcomes: [JobOutcome]) {
        let host = hostName(dispatch.host)
        var done: [String] = []
        for (job, outcome) in zip(dispatch.jobs, outcomes) {
            let id = id(job)
            switch outcome {
            case .done: done.append(id)
            case .failed(let reason):
                let retrying = scheduler.phases[Int(job)] != .failed
                output.event(.jobFailed(job: id, host: host, reason: reason, retrying: retrying), elapsed: now)
            case .hostLost(let reason):
                output.event(.jobRequeued(job: id, host: host, reason: reason), elapsed: now)
            case .interrupted:
                output.event(.jobInterrupted(job: id, host: host), elapsed: now)
            case .runningElsewhere:
                output.event(.jobElsewhere(job: id), elapsed: now)
            case .blocked, .notRun: break
            }
        }
        if !done.isEmpty { output.event(.jobsDone(jobs: done, host: host), elapsed: now) }
    }

    // MARK: - Watching leases and other workers

    /// A job whose lease expired while its line still runs means its host stopped answering: after two checks in
    /// a row, the line is killed and its job runs elsewhere.
    private func checkLeases() {
        let watched = sessions.filter { $0.value.remote && !$0.value.hung && $0.value.stoppedAt == nil }
        guard !watched.isEmpty else { return }
        let jobs = watched.values.flatMap(\.dispatch.jobs)
        var lostJobs = Set<Int32>()
        for (job, status) in zip(jobs, statuses(jobs)) where status?.state == .lost { lostJobs.insert(job) }
        for (dispatchID, var session) in watched {
            let lost = session.dispatch.jobs.contains(where: lostJobs.contains)
            session.lostChecks = lost ? session.lostChecks + 1 : 0
            if session.lostChecks >= 2 {
                session.hung = true
                session.process.signalGroup(SIGKILL)
            }
            sessions[dispatchID] = session
        }
    }

    /// Jobs another worker runs: their end, from redis.
    private func checkElsewhere() {
        guard scheduler.jobCounts.elsewhere > 0 else { return }
        let jobs = (0..<plan.graph.count).filter { scheduler.phases[$0] == .elsewhere }.map(Int32.init)
        for (job, read) in zip(jobs, statuses(jobs)) {
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
                output.event(.doneElsewhere(job: id(job), host: status.host ?? ""), elapsed: now)
            }
            perform(scheduler.elsewhereEnded(job, outcome, now: now))
        }
    }

    // MARK: - The report

    /// What redis recorded about each failed job's last attempt (its reason, host and last stderr line).
    private func recordedFailures() -> [Int32: RunReport.RecordedFailure] {
        var recorded: [Int32: RunReport.RecordedFailure] = [:]
        for job in RunReport.failedJobs(scheduler) {
            let id = id(job)
            guard let status = try? store.status(of: id), status.state == .failed, status.currentAttempt > 0,
                let attempt = try? store.attempt(of: id, number: status.currentAttempt)
            else { continue }
            // A failed attempt says why; a job given up on (it lost too many hosts) has its reason on the job.
            let reason = attempt.state == .failed && attempt.reason != nil ? attempt.reason : status.reason
            let last = (try? store.output(of: id, attempt: status.currentAttempt, .stderr)).flatMap {
                lastLine(String(decoding: $0, as: UTF8.self))
            }
            recorded[job] = RunReport.RecordedFailure(reason: reason, host: attempt.host, lastStderrLine: last)
        }
        return recorded
    }
}
