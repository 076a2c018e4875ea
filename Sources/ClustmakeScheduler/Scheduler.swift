import ClustmakeModel
public import ClustmakePlanner

/// Decides what a run does next: which jobs go to which free slot, what a failed job or a failed host means, when
/// the run is over. A value type with no I/O and no clock (postgres-nio's `ConnectionStateMachine` pattern): the
/// executor reports events (a dispatch ended, a probe answered, time passed, cancel) and carries out the
/// ``SchedulerAction``s returned.
///
/// Rules (docs/run.md):
/// - A job is ready when all its dependencies are done; ready jobs go to free slots in planner priority (the
///   planned start), on the planned slot when it is free, else on the least busy host that is up. With
///   ``Configuration/followPlan`` each slot runs its planned sequence in order, as the host scripts do.
/// - A job failure (``JobOutcome/failed(reason:)``) is retried `retries` times; then the job is failed and its
///   dependents, transitively, blocked. The run goes on, or with ``Configuration/haltOnFailure`` dispatches nothing
///   more and ends when the running lines end.
/// - A host failure (``JobOutcome/hostLost(reason:)``) is not the job's: the job runs again on another host (it
///   fails after losing ``Configuration/maximumHostLosses`` hosts); the host is quarantined and probed again with
///   exponential backoff. When every host has failed more than ``Configuration/probesBeforeGivingUp`` probes and
///   nothing runs, the run ends with ``StopReason/noHostsLeft``.
/// - With ``Configuration/lookAhead``, when ready jobs wait and no slot is free, a slot whose running line is short
///   gets its next line at once, queued behind it (``Dispatch/after``): the executor sends it into the slot's
///   streamed session, and the worker takes its first job in the same script call that records the line's last.
/// - A host still making its first connection (``HostStatus/connecting``) gets no line until ``connected(_:now:)``;
///   jobs planned on it count on it meanwhile. Its failure is a host failure like any other.
public struct Scheduler: Sendable {
    /// How the run behaves.
    public struct Configuration: Sendable, Hashable {
        /// Stop dispatching at the first job that fails for good (`--halt-on-failure`); default: keep going.
        public var haltOnFailure: Bool
        /// A job that lost this many hosts fails.
        public var maximumHostLosses: Int
        /// How short jobs are grouped into one line.
        public var bundle: BundlePolicy
        /// With ``BundlePolicy/auto``: the estimated seconds one line should take at least.
        public var bundleTarget: Double
        /// ``bundleTarget`` for lines that each start an ssh session and a worker (`run --no-stream`, srun steps):
        /// half a second makes their start-up (7 ms or more) small beside the jobs.
        public static let lineBundleTarget = 0.5
        /// ``bundleTarget`` for lines sent into streamed sessions, whose cost is one answer (about a millisecond):
        /// lines of 20 ms keep the balance of spreading ready jobs over free slots. Measured on epigenomics-1000
        /// (docs/run.md, "Streamed sessions").
        public static let streamedBundleTarget = 0.02
        /// The most jobs in one line.
        public var maximumBundle: Int
        /// Seconds from a host's failure to its first probe; doubled after each failed probe.
        public var probeDelay: Double
        /// The longest wait between probes.
        public var maximumProbeDelay: Double
        /// A host whose failures (its quarantine and the failed probes since) exceed this is given up on.
        public var probesBeforeGivingUp: Int
        /// Run each slot's planned sequence in order (`clustmake run --plan DIR`).
        public var followPlan: Bool
        /// Queue a slot's next line behind its running one when that line is estimated to take at most this many
        /// seconds and ready jobs wait for a slot (with ``followPlan``: when the slot's next planned job is ready);
        /// streamed sessions only; 0: never.
        public var lookAhead: Double
        /// ``lookAhead`` for streamed sessions: lines of up to 0.1 s. Behind longer lines the millisecond a line's
        /// start costs is nothing, and a job queued behind a line whose estimate is wrong waits for it.
        public static let streamedLookAhead = 0.1

        public init(
            haltOnFailure: Bool = false, maximumHostLosses: Int = 3, bundle: BundlePolicy = .off,
            bundleTarget: Double = lineBundleTarget, maximumBundle: Int = 64, probeDelay: Double = 1,
            maximumProbeDelay: Double = 30, probesBeforeGivingUp: Int = 3, followPlan: Bool = false,
            lookAhead: Double = 0
        ) {
            self.haltOnFailure = haltOnFailure
            self.maximumHostLosses = max(1, maximumHostLosses)
            self.bundle = bundle
            self.bundleTarget = bundleTarget
            self.maximumBundle = max(1, maximumBundle)
            self.probeDelay = probeDelay
            self.maximumProbeDelay = maximumProbeDelay
            self.probesBeforeGivingUp = probesBeforeGivingUp
            self.followPlan = followPlan
            self.lookAhead = lookAhead.isFinite ? max(0, lookAhead) : 0
        }
    }

    /// Where a job stands in this run.
    public enum JobPhase: Sendable, Hashable {
        /// Some dependency is not done.
        case waiting
        /// Its dependencies are done; it waits for a slot.
        case ready
        /// A dispatch of this run runs it.
        case running
        /// A worker of another run (or another executor) runs it; the executor watches redis for its end.
        case elsewhere
        case done
        case failed
        case blocked
        /// The run was cancelled while it ran.
        case interrupted
    }

    /// Whether a host is used.
    public enum HostStatus: Sendable, Hashable {
        case up
        /// Its first connection is being made: no lines yet, but jobs planned there wait for it (``connected(_:now:)``
        /// or ``hostFailed(_:reason:now:)`` tells how it went).
        case connecting
        /// Failed; probed at ``Scheduler/HostState/probeAt``.
        case quarantined
        /// A probe is running.
        case probing
    }

    /// One host's state.
    public struct HostState: Sendable, Hashable {
        public internal(set) var status: HostStatus = .up
        /// Failures since it last ran a job to its end: the quarantine and each failed probe.
        public internal(set) var failures = 0
        /// When to probe it next (quarantined hosts).
        public internal(set) var probeAt = 0.0
        /// Lines running on it now.
        public internal(set) var busy = 0
        /// Its slots (indices in ``ClustmakePlanner/Plan/slots``).
        public let slots: [Int]
        /// The last failure's reason.
        public internal(set) var lastFailure: String?
        /// Free slots, highest index first (taken from the end).
        var free: [Int]

        /// Up, or making its first connection: jobs may count on it.
        var isUsable: Bool { status == .up || status == .connecting }

        init(slots: [Int]) {
            self.slots = slots
            free = slots.reversed()
        }
    }

    public let plan: Plan
    public let configuration: Configuration
    /// Each job's phase, by index in the graph.
    public private(set) var phases: [JobPhase]
    /// Each host's state, by index in the cluster.
    public private(set) var hosts: [HostState]
    /// The dispatches running now, by id.
    public private(set) var running: [Int: Dispatch] = [:]
    /// Why each failed job failed (the last reason).
    public private(set) var failureReasons: [Int32: String] = [:]
    /// The failed job that blocked each blocked job.
    public private(set) var blockedBy: [Int32: Int32] = [:]
    /// The host each job last ran on (a dispatch of this run).
    public private(set) var lastHost: [Int32: Int] = [:]
    /// Why the run ended, once it has.
    public private(set) var stopReason: StopReason?

    /// Look-ahead lines: the dispatch each running line has queued behind it, by the running line's id.
    private var queuedBehind: [Int: Int] = [:]
    /// When each line that runs now is estimated to end (look-ahead goes behind the ones ending first).
    private var estimatedEnds: [Int: Double] = [:]
    /// Running lines that take no look-ahead line: one sent into their session could not be (it was ending).
    private var closedToLookAhead: Set<Int> = []
    private let groups: [Int]
    private var unmet: [Int32]
    private var failures: [Int32]
    private var lostHosts: [[Int]]
    private var homeless: [Bool]
    private var pointers: [Int]
    private var queue = ReadyQueue()
    private var nextDispatchID = 1
    private var halting: Int32?
    private var cancelling = false
    private var counts = Counts()

    /// How many jobs are in each phase.
    public struct Counts: Sendable, Hashable {
        public var waiting = 0
        public var ready = 0
        public var running = 0
        public var elsewhere = 0
        public var done = 0
        public var failed = 0
        public var blocked = 0
        public var interrupted = 0

        subscript(phase: JobPhase) -> Int {
            get {
                switch phase {
                case .waiting: waiting
                case .ready: ready
                case .running: running
                case .elsewhere: elsewhere
                case .done: done
                case .failed: failed
                case .blocked: blocked
                case .interrupted: interrupted
                }
            }
            set {
                switch phase {
                case .waiting: waiting = newValue
                case .ready: ready = newValue
                case .running: running = newValue
                case .elsewhere: elsewhere = newValue
                case .done: done = newValue
                case .failed: failed = newValue
                case .blocked: blocked = newValue
                case .interrupted: interrupted = newValue
                }
            }
        }
    }

    /// The number of jobs in each phase.
    public var jobCounts: Counts { counts }

    /// Jobs of look-ahead lines that wait behind their slot's running line (counted ``JobPhase/running``, but not
    /// started yet).
    public var queuedJobCount: Int {
        queuedBehind.values.reduce(0) { $0 + (running[$1]?.jobs.count ?? 0) }
    }

    /// A scheduler for `plan`.
    /// - Parameters:
    ///   - plan: The plan: its graph, cluster, slots, costs (for bundling), placements (the priority: earlier
    ///     planned start first, and the preferred slot) and sequences (with ``Configuration/followPlan``).
    ///   - initial: Each job's state in redis when the run starts, by index; all pending when empty.
    ///   - groups: Jobs bundle only with jobs of the same group (e.g. the same nice level); one group when empty.
    ///   - configuration: How the run behaves.
    /// - Parameters:
    ///   - plan: The plan.
    ///   - initial: Each job's state in redis when the run starts (all pending when empty).
    ///   - groups: Each job's nice level: only jobs of one group share a line.
    ///   - connecting: Hosts whose connection is still being made; the others are up.
    ///   - unwritten: The jobs are not in redis yet (a push writes them while the run starts): none is ready before
    ///     ``written(_:now:)`` says it is written, as if the push were one more dependency of every job.
    ///   - configuration: How the run behaves.
    public init(
        plan: Plan, initial: [InitialJobState] = [], groups: [Int] = [], connecting: Set<Int> = [],
        unwritten: Bool = false, configuration: Configuration = Configuration()
    ) {
        self.plan = plan
        self.configuration = configuration
        let count = plan.graph.count
        self.groups = groups.count == count ? groups : []
        phases = Array(repeating: .waiting, count: count)
        unmet = Array(repeating: 0, count: count)
        failures = Array(repeating: 0, count: count)
        lostHosts = Array(repeating: [], count: count)
        homeless = Array(repeating: false, count: count)
        pointers = Array(repeating: 0, count: plan.slots.count)
        var slotsByHost = Array(repeating: [Int](), count: plan.cluster.hosts.count)
        for (index, slot) in plan.slots.enumerated() { slotsByHost[slot.host].append(index) }
        hosts = slotsByHost.map(HostState.init(slots:))
        for host in connecting where hosts.indices.contains(host) { hosts[host].status = .connecting }
        for job in 0..<count {
            switch initial.count == count ? initial[job] : .pending {
            case .pending: phases[job] = .waiting
            case .done: phases[job] = .done
            case .running: phases[job] = .elsewhere
            }
            counts[phases[job]] += 1
        }
        let known = phases
        let push: Int32 = unwritten ? 1 : 0
        for job in 0..<count where known[job] == .waiting {
            unmet[job] = Int32(plan.graph.predecessors[job].filter { known[Int($0)] != .done }.count) + push
        }
        for job in 0..<count where phases[job] == .waiting && unmet[job] == 0 {
            makeReady(Int32(job))
        }
    }

    // MARK: - Events

    /// Starts the run: the first dispatches (or the end, when nothing is left to do).
    public mutating func start(now: Double) -> [SchedulerAction] {
        var actions = dispatchAvailable(now: now)
        actions += finishIfOver()
        return actions
    }

    /// Jobs are written to redis now (a scheduler made with `unwritten`): each is ready once its dependencies are
    /// done too, and is dispatched from then on.
    /// - Parameters:
    ///   - jobs: The jobs written since the last call, each once.
    ///   - now: The clock.
    public mutating func written(_ jobs: some Sequence<Int32>, now: Double) -> [SchedulerAction] {
        for job in jobs where phases[Int(job)] == .waiting {
            unmet[Int(job)] -= 1
            if unmet[Int(job)] == 0 { makeReady(job) }
        }
        var actions = dispatchAvailable(now: now)
        actions += finishIfOver()
        return actions
    }

    /// A dispatch ended with the same outcome for every one of its jobs (a line that could not start, or none of
    /// whose jobs ran).
    public mutating func dispatchEnded(_ id: Int, every outcome: JobOutcome, now: Double) -> [SchedulerAction] {
        guard let dispatch = running[id] else { return [] }
        return dispatchEnded(id, outcomes: dispatch.jobs.map { _ in outcome }, now: now)
    }

    /// A dispatch ended.
    /// - Parameters:
    ///   - id: The dispatch's id.
    ///   - outcomes: One outcome per job of the dispatch, in its order (missing ones count as ``JobOutcome/notRun``).
    ///   - now: The clock.
    public mutating func dispatchEnded(_ id: Int, outcomes: [JobOutcome], now: Double) -> [SchedulerAction] {
        guard let dispatch = running.removeValue(forKey: id) else { return [] }
        var actions: [SchedulerAction] = []
        let host = dispatch.host
        estimatedEnds[id] = nil
        closedToLookAhead.remove(id)
        if let after = dispatch.after, queuedBehind[after] == id {
            // A look-ahead line that ended before the line it follows (their session ended): the slot stays that
            // line's, which gets no other look-ahead line.
            queuedBehind[after] = nil
            closedToLookAhead.insert(after)
        } else if let next = queuedBehind.removeValue(forKey: id) {
            // The slot goes on with the line queued behind this one.
            if let queued = running[next] { estimatedEnds[next] = now + lineEstimate(queued.jobs, host: host) }
        } else {
            hosts[host].busy -= 1
            hosts[host].free.append(dispatch.slot)
            hosts[host].free.sort(by: >)
        }
        var hostFailure: String?
        var healthy = false
        for (position, job) in dispatch.jobs.enumerated() {
            let outcome = position < outcomes.count ? outcomes[position] : .notRun
            guard phases[Int(job)] == .running else { continue }
            switch outcome {
            case .done:
                healthy = true
                complete(job)
            case .failed(let reason):
                healthy = true
                actions += jobFailed(job, reason: reason)
            case .blocked:
                healthy = true
                actions += block(job, by: nil)
            case .notRun:
                requeue(job)
            case .runningElsewhere:
                setPhase(job, .elsewhere)
            case .interrupted:
                setPhase(job, .interrupted)
            case .hostLost(let reason):
                hostFailure = reason
                lostHosts[Int(job)].append(host)
                if lostHosts[Int(job)].count >= configuration.maximumHostLosses {
                    let text =
                        "lost \(Format.count(lostHosts[Int(job)].count, "host")) "
                        + "(\(hostNames(lostHosts[Int(job)]))); last: \(reason)"
                    actions.append(.recordLost(job: job, reason: text))
                    actions += fail(job, reason: text)
                } else {
                    requeue(job)
                }
            }
        }
        if let reason = hostFailure {
            actions += quarantine(host, reason: reason, now: now)
        } else if healthy {
            hosts[host].failures = 0
        }
        actions += dispatchAvailable(now: now)
        actions += finishIfOver()
        return actions
    }

    /// A look-ahead line (``Dispatch/after``) could not be sent into the session of the line it follows (that
    /// session was ending): its jobs wait for a slot again, as if never dispatched, and that line gets no other.
    ///
    /// If the line it follows has ended meanwhile (its session could not even start), the slot went on with this
    /// line: it ends as a line none of whose jobs ran, and the slot is free.
    public mutating func lookAheadRefused(_ id: Int, now: Double) -> [SchedulerAction] {
        guard let dispatch = running[id], let after = dispatch.after else { return [] }
        guard queuedBehind[after] == id else {
            return dispatchEnded(id, every: .notRun, now: now)
        }
        running[id] = nil
        queuedBehind[after] = nil
        closedToLookAhead.insert(after)
        for job in dispatch.jobs where phases[Int(job)] == .running { makeReady(job) }
        // Following a plan, they were the next of their slot's sequence: the slot takes them up again from there.
        if configuration.followPlan, let first = dispatch.jobs.first,
            let position = plan.sequences[dispatch.slot].firstIndex(of: first)
        {
            pointers[dispatch.slot] = min(pointers[dispatch.slot], position)
        }
        var actions = dispatchAvailable(now: now)
        actions += finishIfOver()
        return actions
    }

    /// A job that another worker was running (``InitialJobState/running(host:)`` or
    /// ``JobOutcome/runningElsewhere``) ended.
    public mutating func elsewhereEnded(_ job: Int32, _ outcome: ElsewhereOutcome, now: Double) -> [SchedulerAction] {
        guard phases[Int(job)] == .elsewhere else { return [] }
        var actions: [SchedulerAction] = []
        switch outcome {
        case .done: complete(job)
        case .failed(let reason): actions += jobFailed(job, reason: reason)
        case .blocked: actions += block(job, by: nil)
        case .lost: requeue(job)
        }
        actions += dispatchAvailable(now: now)
        actions += finishIfOver()
        return actions
    }

    /// A probe of a quarantined host ended.
    public mutating func probeEnded(host: Int, succeeded: Bool, now: Double) -> [SchedulerAction] {
        guard hosts[host].status == .probing else { return [] }
        var actions: [SchedulerAction] = []
        if succeeded {
            hosts[host].status = .up
            actions.append(.restore(host: host))
            actions += dispatchAvailable(now: now)
        } else {
            hosts[host].failures += 1
            hosts[host].status = .quarantined
            hosts[host].probeAt = now + probeDelay(failures: hosts[host].failures)
        }
        actions += finishIfOver()
        return actions
    }

    /// Time passed: probes that are due.
    public mutating func tick(now: Double) -> [SchedulerAction] {
        guard stopReason == nil else { return [] }
        var actions: [SchedulerAction] = []
        for host in hosts.indices where hosts[host].status == .quarantined && hosts[host].probeAt <= now {
            hosts[host].status = .probing
            actions.append(.probe(host: host))
        }
        return actions
    }

    /// The next time ``tick(now:)`` has something to do, if any.
    public var nextDeadline: Double? {
        guard stopReason == nil else { return nil }
        return hosts.filter { $0.status == .quarantined }.map(\.probeAt).min()
    }

    /// Cancels the run: nothing more is dispatched, running lines are stopped, and the run ends once they have.
    public mutating func cancel(now: Double) -> [SchedulerAction] {
        guard stopReason == nil else { return [] }
        cancelling = true
        var actions: [SchedulerAction] = []
        if !running.isEmpty { actions.append(.stop(dispatches: running.keys.sorted())) }
        actions += finishIfOver()
        return actions
    }

    /// A host's first connection is made: it gets lines from now on.
    public mutating func connected(_ host: Int, now: Double) -> [SchedulerAction] {
        guard hosts[host].status == .connecting else { return [] }
        hosts[host].status = .up
        var actions = dispatchAvailable(now: now)
        actions += finishIfOver()
        return actions
    }

    /// Takes a host out of use (the executor found it failed outside a dispatch: its connection broke, or its first
    /// connection could not be made).
    public mutating func hostFailed(_ host: Int, reason: String, now: Double) -> [SchedulerAction] {
        var actions = quarantine(host, reason: reason, now: now)
        actions += finishIfOver()
        return actions
    }

    // MARK: - Internals

    private func hostNames(_ indices: [Int]) -> String {
        indices.map { plan.cluster.hosts[$0].name }.joined(separator: ", ")
    }

    private func probeDelay(failures: Int) -> Double {
        var delay = configuration.probeDelay
        var count = 1
        while count < failures && delay < configuration.maximumProbeDelay {
            delay *= 2
            count += 1
        }
        return min(delay, configuration.maximumProbeDelay)
    }

    private mutating func setPhase(_ job: Int32, _ phase: JobPhase) {
        counts[phases[Int(job)]] -= 1
        phases[Int(job)] = phase
        counts[phase] += 1
    }

    private mutating func makeReady(_ job: Int32) {
        setPhase(job, .ready)
        if configuration.followPlan && !homeless[Int(job)] {
            let slot = Int(plan.placements[Int(job)].slot)
            if hosts[plan.slots[slot].host].isUsable { return }
            homeless[Int(job)] = true
        }
        queue.push(job, priority: plan.placements[Int(job)].start)
    }

    private mutating func requeue(_ job: Int32) {
        homeless[Int(job)] = true
        makeReady(job)
    }

    private mutating func complete(_ job: Int32) {
        setPhase(job, .done)
        for successor in plan.graph.successors[Int(job)] where phases[Int(successor)] == .waiting {
            unmet[Int(successor)] -= 1
            if unmet[Int(successor)] == 0 { makeReady(successor) }
        }
    }

    private mutating func jobFailed(_ job: Int32, reason: String) -> [SchedulerAction] {
        failures[Int(job)] += 1
        if Int(failures[Int(job)]) <= plan.graph.jobs[Int(job)].retries {
            requeue(job)
            return []
        }
        return fail(job, reason: reason)
    }

    private mutating func fail(_ job: Int32, reason: String) -> [SchedulerAction] {
        setPhase(job, .failed)
        failureReasons[job] = reason
        if configuration.haltOnFailure && halting == nil { halting = job }
        return blockDependents(of: job)
    }

    private mutating func block(_ job: Int32, by dependency: Int32?) -> [SchedulerAction] {
        setPhase(job, .blocked)
        if let dependency { blockedBy[job] = dependency }
        return blockDependents(of: job)
    }

    /// Blocks every job downstream of `job` that has not run, each listed after the job through which it was
    /// found (so each has a failed or blocked dependency when it is recorded).
    private mutating func blockDependents(of job: Int32) -> [SchedulerAction] {
        var order: [Int32] = []
        var stack: [Int32] = [job]
        let root = blockedBy[job] ?? job
        while let current = stack.popLast() {
            for successor in plan.graph.successors[Int(current)] {
                let phase = phases[Int(successor)]
                guard phase == .waiting || phase == .ready else { continue }
                setPhase(successor, .blocked)
                blockedBy[successor] = root
                order.append(successor)
                stack.append(successor)
            }
        }
        return order.isEmpty ? [] : [.recordBlocked(jobs: order, dependency: job)]
    }

    private mutating func quarantine(_ host: Int, reason: String, now: Double) -> [SchedulerAction] {
        hosts[host].lastFailure = reason
        guard hosts[host].isUsable else { return [] }
        hosts[host].status = .quarantined
        hosts[host].failures += 1
        hosts[host].probeAt = now + probeDelay(failures: hosts[host].failures)
        if configuration.followPlan {
            // Jobs waiting for this host's slots may run anywhere now.
            for slot in hosts[host].slots {
                for job in plan.sequences[slot].dropFirst(pointers[slot])
                where phases[Int(job)] == .ready && !homeless[Int(job)] {
                    homeless[Int(job)] = true
                    queue.push(job, priority: plan.placements[Int(job)].start)
                }
            }
        }
        return [.quarantine(host: host, reason: reason, probeAt: hosts[host].probeAt)]
    }

    private func isGivenUp(_ host: Int) -> Bool {
        hosts[host].status != .up && hosts[host].failures > configuration.probesBeforeGivingUp
    }

    private mutating func finishIfOver() -> [SchedulerAction] {
        guard stopReason == nil, running.isEmpty else { return [] }
        var reason: StopReason?
        if cancelling {
            reason = .cancelled
        } else if let job = halting {
            reason = .halted(job: job)
        } else if counts.waiting + counts.ready + counts.elsewhere == 0 {
            reason = .finished
        } else if counts.elsewhere == 0 && hosts.indices.allSatisfy(isGivenUp) {
            reason = .noHostsLeft
        }
        guard let reason else { return [] }
        stopReason = reason
        return [.finish(reason)]
    }

    // MARK: - Dispatching

    private var freeSlotCount: Int {
        hosts.reduce(0) { $0 + ($1.status == .up ? $1.free.count : 0) }
    }

    private mutating func dispatchAvailable(now: Double) -> [SchedulerAction] {
        guard halting == nil, !cancelling, stopReason == nil else { return [] }
        var actions: [SchedulerAction] = []
        if configuration.followPlan {
            for host in hosts.indices where hosts[host].status == .up {
                for slot in hosts[host].free.reversed() {
                    guard let jobs = nextPlannedLine(slot: slot, host: host) else { continue }
                    actions.append(.dispatch(start(jobs, slot: slot, host: host, now: now)))
                }
            }
        }
        var deferred: [Int32] = []
        while freeSlotCount > 0, let job = queue.pop() {
            guard phases[Int(job)] == .ready, !configuration.followPlan || homeless[Int(job)] else { continue }
            guard let (slot, host) = chooseSlot(for: job) else {
                deferred.append(job)
                continue
            }
            actions.append(.dispatch(start(bundle(startingWith: job, host: host), slot: slot, host: host, now: now)))
        }
        for job in deferred { queue.push(job, priority: plan.placements[Int(job)].start) }
        actions += lookAheadLines(now: now)
        return actions
    }

    /// Look-ahead: with ready jobs left and no free slot, each short running line without one gets the next line of
    /// its slot, queued behind it, those estimated to end first first (``Configuration/lookAhead``). Following a
    /// plan, a short running line gets its slot's next planned line when that line's first job is ready, whatever
    /// other slots do: the slot's planned order stays.
    private mutating func lookAheadLines(now: Double) -> [SchedulerAction] {
        guard configuration.lookAhead > 0, counts.ready > 0, configuration.followPlan || freeSlotCount == 0 else {
            return []
        }
        let candidates = running.values.filter { line in
            line.after.map { queuedBehind[$0] != line.id } ?? true
        }.filter { line in
            queuedBehind[line.id] == nil && !closedToLookAhead.contains(line.id) && hosts[line.host].status == .up
                && lineEstimate(line.jobs, host: line.host) <= configuration.lookAhead
        }.sorted { (estimatedEnds[$0.id] ?? now, $0.id) < (estimatedEnds[$1.id] ?? now, $1.id) }
        var actions: [SchedulerAction] = []
        for line in candidates {
            if configuration.followPlan {
                guard let jobs = nextPlannedLine(slot: line.slot, host: line.host, like: line.jobs[0]) else { continue }
                actions.append(.dispatch(queue(jobs, behind: line)))
                continue
            }
            // The first ready job of the session's command (its nice level) that may run on the line's host.
            var first: Int32?
            var skipped: [Int32] = []
            var inspected = 0
            while first == nil && inspected < 16, let job = queue.pop() {
                inspected += 1
                guard phases[Int(job)] == .ready else { continue }
                if sameGroup(job, line.jobs[0]) && !excluded(job, from: line.host) {
                    first = job
                } else {
                    skipped.append(job)
                }
            }
            for job in skipped { queue.push(job, priority: plan.placements[Int(job)].start) }
            guard let first else { continue }
            actions.append(.dispatch(queue(bundle(startingWith: first, host: line.host), behind: line)))
            if counts.ready == 0 { break }
        }
        return actions
    }

    /// A line for `host` that starts with `first` (taken from the ready queue): the ready jobs after it in the queue
    /// that may share its line, up to ``bundleLimit(for:host:)`` (looking at twice that many at most); the others go
    /// back to the queue.
    private mutating func bundle(startingWith first: Int32, host: Int) -> [Int32] {
        var jobs = [first]
        let limit = bundleLimit(for: first, host: host)
        var skipped: [Int32] = []
        var inspected = 0
        while jobs.count < limit && inspected < 2 * limit, let candidate = queue.pop() {
            inspected += 1
            guard phases[Int(candidate)] == .ready, !configuration.followPlan || homeless[Int(candidate)],
                !jobs.contains(candidate)
            else { continue }
            if sameGroup(candidate, first) && bundleLimit(for: candidate, host: host) > 1
                && !excluded(candidate, from: host)
            {
                jobs.append(candidate)
            } else {
                skipped.append(candidate)
            }
        }
        for job in skipped { queue.push(job, priority: plan.placements[Int(job)].start) }
        return jobs
    }

    /// A look-ahead line of `jobs` behind the running `line`, on its slot.
    private mutating func queue(_ jobs: [Int32], behind line: Dispatch) -> Dispatch {
        for job in jobs {
            setPhase(job, .running)
            lastHost[job] = line.host
        }
        let dispatch = Dispatch(id: nextDispatchID, slot: line.slot, host: line.host, jobs: jobs, after: line.id)
        nextDispatchID += 1
        running[dispatch.id] = dispatch
        queuedBehind[line.id] = dispatch.id
        return dispatch
    }

    /// A line's estimated seconds on `host`.
    private func lineEstimate(_ jobs: [Int32], host: Int) -> Double {
        jobs.reduce(0.0) { $0 + plan.costs[Int($1)] } / max(plan.cluster.hosts[host].speed, 1e-9)
    }

    /// Following a plan: the next line of `slot`'s sequence when its first job is ready (and, with `like`, of that
    /// job's group), its ready successors in the sequence bundled with it; the slot's place in its sequence moves
    /// past it. `nil` when the slot's next job is not ready (it waits for it, keeping the planned order).
    private mutating func nextPlannedLine(slot: Int, host: Int, like: Int32? = nil) -> [Int32]? {
        let sequence = plan.sequences[slot]
        while pointers[slot] < sequence.count {
            let job = sequence[pointers[slot]]
            let phase = phases[Int(job)]
            if (phase == .waiting || phase == .ready) && !homeless[Int(job)] { break }
            pointers[slot] += 1
        }
        guard pointers[slot] < sequence.count else { return nil }
        let first = sequence[pointers[slot]]
        guard phases[Int(first)] == .ready, like.map({ sameGroup(first, $0) }) ?? true else { return nil }
        var jobs = [first]
        let limit = bundleLimit(for: first, host: host)
        var next = pointers[slot] + 1
        while jobs.count < limit && next < sequence.count {
            let job = sequence[next]
            guard phases[Int(job)] == .ready, !homeless[Int(job)], sameGroup(job, first),
                bundleLimit(for: job, host: host) > 1
            else { break }
            jobs.append(job)
            next += 1
        }
        pointers[slot] = next
        return jobs
    }

    private func sameGroup(_ a: Int32, _ b: Int32) -> Bool {
        groups.isEmpty || groups[Int(a)] == groups[Int(b)]
    }

    /// How many jobs one line starting with `job` may hold on `host`: the policy's size, but never so many that
    /// free slots stay idle while one line holds several ready jobs.
    private func bundleLimit(for job: Int32, host: Int) -> Int {
        var limit: Int
        switch configuration.bundle {
        case .off: return 1
        case .fixed(let size): limit = max(1, size)
        case .auto:
            let seconds = plan.costs[Int(job)] / max(plan.cluster.hosts[host].speed, 1e-9)
            guard seconds < configuration.bundleTarget else { return 1 }
            limit = Int((configuration.bundleTarget / max(seconds, 1e-6)).rounded(.down))
        }
        limit = min(limit, configuration.maximumBundle)
        let spread = (counts.ready + freeSlotCount - 1) / max(1, freeSlotCount)
        return max(1, min(limit, spread))
    }

    private func excluded(_ job: Int32, from host: Int) -> Bool {
        let lost = lostHosts[Int(job)]
        guard lost.contains(host) else { return false }
        // Only while some other usable host remains.
        return hosts.indices.contains { $0 != host && hosts[$0].isUsable && !lost.contains($0) }
    }

    private func chooseSlot(for job: Int32) -> (slot: Int, host: Int)? {
        let planned = Int(plan.placements[Int(job)].slot)
        let plannedHost = plan.slots[planned].host
        if hosts[plannedHost].status == .up && hosts[plannedHost].free.contains(planned)
            && !excluded(job, from: plannedHost)
        {
            return (planned, plannedHost)
        }
        var best: Int?
        var bestLoad = Double.infinity
        for host in hosts.indices where hosts[host].status == .up && !hosts[host].free.isEmpty {
            guard !excluded(job, from: host) else { continue }
            let load = Double(hosts[host].busy) / Double(max(1, hosts[host].slots.count))
            let faster = best.map { plan.cluster.hosts[host].speed > plan.cluster.hosts[$0].speed } ?? false
            if load < bestLoad || (load == bestLoad && faster) {
                best = host
                bestLoad = load
            }
        }
        guard let host = best, let slot = hosts[host].free.last else { return nil }
        return (slot, host)
    }

    private mutating func start(_ jobs: [Int32], slot: Int, host: Int, now: Double) -> Dispatch {
        if let position = hosts[host].free.firstIndex(of: slot) { hosts[host].free.remove(at: position) }
        hosts[host].busy += 1
        for job in jobs {
            setPhase(job, .running)
            lastHost[job] = host
        }
        let dispatch = Dispatch(id: nextDispatchID, slot: slot, host: host, jobs: jobs)
        nextDispatchID += 1
        running[dispatch.id] = dispatch
        estimatedEnds[dispatch.id] = now + lineEstimate(jobs, host: host)
        return dispatch
    }
}
