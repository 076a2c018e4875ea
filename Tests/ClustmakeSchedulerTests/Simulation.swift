import ClustmakeModel
import ClustmakePlanner
import ClustmakeScheduler
import Testing

/// A small deterministic random number generator (SplitMix64), so that a failing case replays.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drives a scheduler the way the executor does, with random outcomes, and checks every rule it can see on the
/// way: no job dispatched before its dependencies are done, no slot running two lines, no job done twice.
struct Simulation {
    var scheduler: Scheduler
    var random: SplitMix
    /// Probability that a dispatched job fails, that a dispatch loses its host, that a probe fails.
    var failureRate = 0.0
    var hostLossRate = 0.0
    var probeFailureRate = 0.0
    var now = 0.0
    var running: [Dispatch] = []
    /// Look-ahead lines sent into a running line's session, by slot: each starts when that line ends.
    var queued: [Int: Dispatch] = [:]
    /// Probability that a look-ahead line is refused (its session was ending when it was sent).
    var refusalRate = 0.0
    /// Probability that a line's session cannot start (the executor then ends the line, its host lost, at once),
    /// and the lines whose session never started: a look-ahead line behind one is refused.
    var startFailureRate = 0.0
    var failedStarts: Set<Int> = []
    /// Look-ahead lines behind a line that is not running yet: one that the scheduler takes as going on with a slot
    /// whose session never started, until the executor finds that out (it refuses it, and then these).
    var orphans: [Dispatch] = []
    var lookAheadLines = 0
    var probing: [Int] = []
    var busySlots: Set<Int> = []
    var doneCount: [Int32: Int] = [:]
    var dispatchCount: [Int32: Int] = [:]
    var recordedBlocked: [Int32] = []
    var recordedLost: [Int32] = []
    var quarantined: [Int] = []
    var finished: StopReason?
    var problems: [String] = []
    var bundleSizes: [Int] = []
    /// For a scheduler made with `unwritten`: the order the push writes the jobs in, a few at a time at random
    /// steps, and the jobs written so far.
    var pushOrder: [Int32] = []
    var written: Set<Int32> = []
    var writtenCount = 0

    init(_ scheduler: Scheduler, seed: UInt64) {
        self.scheduler = scheduler
        random = SplitMix(state: seed)
    }

    /// A simulation with every kind of trouble the property tests give: failed jobs, lost hosts, failed probes,
    /// refused look-ahead lines and sessions that cannot start.
    static func troubled(_ scheduler: Scheduler, seed: UInt64) -> Simulation {
        var simulation = Simulation(scheduler, seed: seed)
        simulation.refusalRate = 0.1
        simulation.failureRate = 0.1
        simulation.hostLossRate = 0.05
        simulation.probeFailureRate = 0.3
        simulation.startFailureRate = 0.03
        return simulation
    }

    /// Expects a run that kept every rule and finished.
    func expectFinished(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(problems.isEmpty, "\(context): \(problems)", sourceLocation: sourceLocation)
        #expect(finished == .finished, "\(context)", sourceLocation: sourceLocation)
    }

    mutating func apply(_ actions: [SchedulerAction]) {
        for action in actions {
            switch action {
            case .dispatch(let dispatch):
                if let after = dispatch.after {
                    if failedStarts.contains(after) {
                        // No session to go into: refused, and so are the lines queued behind this one.
                        failedStarts.insert(dispatch.id)
                        apply(scheduler.lookAheadRefused(dispatch.id, now: now))
                        apply(adopt(behind: dispatch.id))
                        continue
                    }
                    guard running.contains(where: { $0.id == after && $0.slot == dispatch.slot }),
                        queued[dispatch.slot] == nil
                    else {
                        if startFailureRate > 0 && !running.contains(where: { $0.id == after }) {
                            orphans.append(dispatch)
                            continue
                        }
                        problems.append("look-ahead line \(dispatch.id) is not behind the running line of its slot")
                        continue
                    }
                    if Double.random(in: 0..<1, using: &random) < refusalRate {
                        apply(scheduler.lookAheadRefused(dispatch.id, now: now))
                        continue
                    }
                    queued[dispatch.slot] = dispatch
                    lookAheadLines += 1
                } else {
                    if busySlots.contains(dispatch.slot) { problems.append("slot \(dispatch.slot) got two lines") }
                    if Double.random(in: 0..<1, using: &random) < startFailureRate {
                        failedStarts.insert(dispatch.id)
                        apply(
                            scheduler.dispatchEnded(
                                dispatch.id, every: .hostLost(reason: "cannot start nice"), now: now))
                        apply(adopt(behind: dispatch.id))
                        continue
                    }
                    busySlots.insert(dispatch.slot)
                }
                let graph = scheduler.plan.graph
                for (position, job) in dispatch.jobs.enumerated() {
                    if !pushOrder.isEmpty && !written.contains(job) {
                        problems.append("job \(job) dispatched before it was written")
                    }
                    dispatchCount[job, default: 0] += 1
                    if doneCount[job, default: 0] > 0 { problems.append("job \(job) dispatched after it was done") }
                    for dep in graph.predecessors[Int(job)] where doneCount[dep, default: 0] == 0 {
                        // A bundle may hold a job whose dependency comes earlier in the same line: not allowed
                        // here (every job of a line must be ready when it starts).
                        problems.append(
                            "job \(graph.jobs[Int(job)].id) dispatched before \(graph.jobs[Int(dep)].id) was done"
                                + " (position \(position))")
                    }
                }
                bundleSizes.append(dispatch.jobs.count)
                if dispatch.after == nil {
                    running.append(dispatch)
                    apply(adopt(behind: dispatch.id))
                }
            case .probe(let host): probing.append(host)
            case .quarantine(let host, _, _): quarantined.append(host)
            case .recordBlocked(let jobs, _): recordedBlocked += jobs
            case .recordLost(let job, _): recordedLost.append(job)
            case .restore, .stop: break
            case .finish(let reason):
                if finished != nil { problems.append("finished twice") }
                finished = reason
            }
        }
    }

    /// The look-ahead lines sent behind `line` before it was started (the executor starts lines in the order they
    /// come, so it sees them after it), taken out of ``orphans``, to be applied now.
    mutating func adopt(behind line: Int) -> [SchedulerAction] {
        let behind = orphans.filter { $0.after == line }
        orphans.removeAll { $0.after == line }
        return behind.map { .dispatch($0) }
    }

    /// Runs to the end (or `limit` steps).
    mutating func run(limit: Int = 100_000) {
        apply(scheduler.start(now: now))
        var steps = 0
        while finished == nil && steps < limit {
            steps += 1
            now += 0.1
            if writtenCount < pushOrder.count && (running.isEmpty || Double.random(in: 0..<1, using: &random) < 0.3) {
                let end = min(pushOrder.count, writtenCount + Int.random(in: 1...5, using: &random))
                let chunk = pushOrder[writtenCount..<end]
                writtenCount = end
                written.formUnion(chunk)
                apply(scheduler.written(chunk, now: now))
                continue
            }
            if !probing.isEmpty && (running.isEmpty || Double.random(in: 0..<1, using: &random) < 0.3) {
                let host = probing.removeFirst()
                let ok = Double.random(in: 0..<1, using: &random) >= probeFailureRate
                apply(scheduler.probeEnded(host: host, succeeded: ok, now: now))
                continue
            }
            if !running.isEmpty {
                let index = Int.random(in: 0..<running.count, using: &random)
                let dispatch = running.remove(at: index)
                let next = queued.removeValue(forKey: dispatch.slot)
                if next == nil { busySlots.remove(dispatch.slot) }
                var outcomes: [JobOutcome] = []
                if Double.random(in: 0..<1, using: &random) < hostLossRate {
                    outcomes = dispatch.jobs.map { _ in .hostLost(reason: "ssh exited 255") }
                    apply(scheduler.dispatchEnded(dispatch.id, outcomes: outcomes, now: now))
                    if let next {
                        // The session died: the line queued behind never started, or its first job was taken.
                        busySlots.remove(dispatch.slot)
                        let taken = Double.random(in: 0..<1, using: &random) < 0.5
                        let lost: [JobOutcome] =
                            taken
                            ? [.hostLost(reason: "ssh exited 255")] + next.jobs.dropFirst().map { _ in .notRun }
                            : next.jobs.map { _ in .notRun }
                        apply(scheduler.dispatchEnded(next.id, outcomes: lost, now: now))
                    }
                    continue
                } else {
                    var stopped = false
                    for job in dispatch.jobs {
                        if stopped {
                            outcomes.append(.notRun)
                        } else if Double.random(in: 0..<1, using: &random) < failureRate {
                            outcomes.append(.failed(reason: "exited with status 1"))
                            stopped = true
                        } else {
                            outcomes.append(.done)
                            doneCount[job, default: 0] += 1
                        }
                    }
                }
                // The slot goes on with its look-ahead line, if it has one (the worker runs it next).
                if let next { running.append(next) }
                apply(scheduler.dispatchEnded(dispatch.id, outcomes: outcomes, now: now))
                continue
            }
            if let deadline = scheduler.nextDeadline {
                now = max(now, deadline)
                apply(scheduler.tick(now: now))
                continue
            }
            if probing.isEmpty {
                problems.append("stuck: nothing runs, nothing to probe, not finished")
                return
            }
        }
        if finished == nil { problems.append("did not finish in \(limit) steps") }
        if !orphans.isEmpty { problems.append("look-ahead lines behind no line: \(orphans.map(\.id))") }
    }
}

/// Graphs and clusters for the tests.
enum Fixtures {
    /// `jobs`: id and deps; every job of cost `cost`.
    static func graph(_ jobs: [(String, [String])], cost: Double = 1, retries: Int = 0) -> JobGraph {
        try! JobGraph(
            jobs: jobs.map { Job(id: $0.0, command: .shell("true"), deps: $0.1, cost: cost, retries: retries) })
    }

    static func cluster(_ slots: [Int]) -> Cluster {
        Cluster(hosts: slots.enumerated().map { Host(name: "h\($0.offset + 1)", processors: $0.element) })
    }

    static func plan(_ graph: JobGraph, _ slots: [Int]) -> Plan {
        Planner().plan(graph, on: cluster(slots))
    }

    /// A random graph: job i depends on up to three of the six jobs before it.
    static func randomGraph(jobs: Int, random: inout SplitMix, cost: Double? = nil, retries: Int = 0) -> JobGraph {
        var list: [Job] = []
        for index in 0..<jobs {
            var deps: Set<String> = []
            for _ in 0..<Int.random(in: 0...3, using: &random) where index > 0 {
                deps.insert("j\(index - Int.random(in: 1...min(6, index), using: &random))")
            }
            list.append(
                Job(
                    id: "j\(index)", command: .shell("true"), deps: deps.sorted(),
                    cost: cost ?? Double(Int.random(in: 0...5, using: &random)), retries: retries))
        }
        return try! JobGraph(jobs: list)
    }
}
