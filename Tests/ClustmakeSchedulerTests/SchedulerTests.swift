import ClustmakeModel
import ClustmakePlanner
import ClustmakeScheduler
import PropertyBased
import Testing

@Suite struct SchedulerTests {
    // MARK: - Properties over random runs

    /// A random graph of up to 60 jobs, planned on 1 to 4 hosts of 1 to 3 slots, and the configuration of `mode`:
    /// 0 one job per line, 1 bundles of 4, 2 automatic bundles, 3 following the plan; modes 1, 2 and 3 also send
    /// look-ahead lines (behind lines of up to 3 s).
    static func randomRun(mode: Int, random: inout SplitMix) -> (JobGraph, Plan, Scheduler.Configuration) {
        let graph = Fixtures.randomGraph(jobs: Int.random(in: 1...60, using: &random), random: &random)
        let slots = (0..<Int.random(in: 1...4, using: &random)).map { _ in Int.random(in: 1...3, using: &random) }
        let configuration = Scheduler.Configuration(
            bundle: mode == 1 ? .fixed(4) : mode == 2 ? .auto : .off, bundleTarget: 3, probeDelay: 1,
            probesBeforeGivingUp: 1000, followPlan: mode == 3, lookAhead: mode == 0 ? 0 : 3)
        return (graph, Fixtures.plan(graph, slots), configuration)
    }

    @Test("random runs with failures and host losses keep every rule and end with every job settled")
    func randomRunsKeepTheRules() async {
        await propertyCheck(count: 300, input: zip(Gen.int(in: 0...1_000_000), Gen.int(in: 0...3))) { input in
            let (seed, mode) = input
            var random = SplitMix(state: UInt64(seed))
            let (graph, plan, configuration) = Self.randomRun(mode: mode, random: &random)
            var simulation = Simulation.troubled(
                Scheduler(plan: plan, configuration: configuration), seed: UInt64(seed))
            simulation.run()
            simulation.expectFinished("seed \(seed) mode \(mode)")
            let scheduler = simulation.scheduler
            for job in 0..<graph.count {
                let phase = scheduler.phases[job]
                #expect([.done, .failed, .blocked].contains(phase), "job \(job) ended \(phase)")
                #expect(simulation.doneCount[Int32(job), default: 0] == (phase == .done ? 1 : 0))
                if phase == .blocked {
                    // Blocked only downstream of a failed or blocked dependency.
                    #expect(
                        graph.predecessors[job].contains {
                            [.failed, .blocked].contains(scheduler.phases[Int($0)])
                        })
                }
            }
        }
    }

    @Test("jobs written to redis as the run goes (in any order) start only once written, and the rules still hold")
    func jobsWrittenDuringTheRun() async {
        await propertyCheck(count: 200, input: zip(Gen.int(in: 0...1_000_000), Gen.int(in: 0...3))) { input in
            let (seed, mode) = input
            var random = SplitMix(state: UInt64(seed))
            let (graph, plan, configuration) = Self.randomRun(mode: mode, random: &random)
            let scheduler = Scheduler(plan: plan, unwritten: true, configuration: configuration)
            // Nothing starts before a job is written.
            var idle = scheduler
            #expect(idle.start(now: 0).isEmpty, "seed \(seed)")
            var simulation = Simulation.troubled(scheduler, seed: UInt64(seed))
            simulation.pushOrder = Array(Int32(0)..<Int32(graph.count)).shuffled(using: &random)
            simulation.run()
            simulation.expectFinished("seed \(seed) mode \(mode)")
            for job in 0..<graph.count {
                let phase = simulation.scheduler.phases[job]
                #expect([.done, .failed, .blocked].contains(phase), "job \(job) ended \(phase)")
                // The run may end before a job is written only if that job was blocked meanwhile.
                #expect(simulation.written.contains(Int32(job)) || phase == .blocked, "seed \(seed): job \(job)")
                #expect(simulation.doneCount[Int32(job), default: 0] == (phase == .done ? 1 : 0))
            }
        }
    }

    @Test("a look-ahead line refused after the line it follows failed to start frees its slot; a cancel then ends")
    func lookAheadBehindALineThatNeverStarted() {
        let graph = Fixtures.graph([("a", []), ("b", []), ("c", [])], cost: 0.01)
        var scheduler = Scheduler(
            plan: Fixtures.plan(graph, [1]), configuration: .init(bundle: .off, probeDelay: 1, lookAhead: 1))
        let first = scheduler.start(now: 0).compactMap(\.dispatch)
        guard first.count == 2, first[1].after == first[0].id else {
            Issue.record("expected a line and a look-ahead line behind it: \(first)")
            return
        }
        // The executor could not start the first line's session (its spawn failed): the line ends, its host lost.
        _ = scheduler.dispatchEnded(first[0].id, outcomes: [.hostLost(reason: "cannot start nice")], now: 0)
        // The look-ahead line behind it then finds no session to go into.
        _ = scheduler.lookAheadRefused(first[1].id, now: 0)
        #expect(scheduler.running.isEmpty)
        #expect(scheduler.phases.filter { $0 == .ready }.count == 3)
        let ending = scheduler.cancel(now: 0)
        #expect(ending.last == .finish(.cancelled) && scheduler.stopReason == .cancelled)
    }

    @Test("a failure blocks its dependents whether they are written yet or not")
    func blockedBeforeWritten() {
        let graph = Fixtures.graph([("a", []), ("b", ["a"]), ("c", ["b"]), ("d", [])])
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [1]), unwritten: true)
        #expect(scheduler.start(now: 0).isEmpty)
        let first = scheduler.written([0], now: 0).compactMap(\.dispatch)
        #expect(first.map(\.jobs) == [[0]])
        let ended = scheduler.dispatchEnded(first[0].id, outcomes: [.failed(reason: "exited with status 1")], now: 1)
        #expect(ended.contains(.recordBlocked(jobs: [1, 2], dependency: 0)))
        // Not over: d is not written yet.
        #expect(!ended.contains { if case .finish = $0 { true } else { false } })
        let rest = scheduler.written([2, 1, 3], now: 2)
        #expect(rest.compactMap(\.dispatch).map(\.jobs) == [[3]])
        #expect(scheduler.phases == [.failed, .blocked, .blocked, .running])
    }

    @Test(
        "without failures every job runs exactly once", arguments: [BundlePolicy.off, .fixed(3), .auto], [0, 0.1])
    func exactlyOnce(bundle: BundlePolicy, lookAhead: Double) {
        var lookAheadLines = 0
        for seed in 0..<50 {
            var random = SplitMix(state: UInt64(seed))
            let graph = Fixtures.randomGraph(jobs: 80, random: &random, cost: 0.01)
            let plan = Fixtures.plan(graph, [2, 2, 1])
            var simulation = Simulation(
                Scheduler(plan: plan, configuration: .init(bundle: bundle, lookAhead: lookAhead)), seed: UInt64(seed))
            simulation.run()
            #expect(simulation.problems.isEmpty)
            #expect(simulation.finished == .finished)
            #expect(simulation.dispatchCount.values.allSatisfy { $0 == 1 })
            #expect(simulation.dispatchCount.count == graph.count)
            if bundle != .off { #expect(simulation.bundleSizes.contains { $0 > 1 }, "seed \(seed)") }
            lookAheadLines += simulation.lookAheadLines
        }
        // Auto bundles share every ready job among the free slots, so few are left for look-ahead there.
        #expect(lookAhead > 0 || lookAheadLines == 0)
        if lookAhead > 0 && bundle != .auto { #expect(lookAheadLines > 0) }
    }

    // MARK: - Job failures

    @Test("a failed job blocks its dependents, transitively, and the rest goes on")
    func failureBlocksDependents() {
        let graph = Fixtures.graph([("a", []), ("b", ["a"]), ("c", ["b"]), ("d", []), ("e", ["d"])])
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [1]))
        var actions = scheduler.start(now: 0)
        var dispatches = actions.compactMap(\.dispatch)
        #expect(dispatches.count == 1)
        var ran: [String] = []
        while let dispatch = dispatches.first {
            let id = graph.jobs[Int(dispatch.jobs[0])].id
            ran.append(id)
            actions = scheduler.dispatchEnded(
                dispatch.id, outcomes: [id == "a" ? .failed(reason: "exited with status 1") : .done], now: 1)
            if id == "a" {
                #expect(actions.contains(.recordBlocked(jobs: [1, 2], dependency: 0)))
            }
            dispatches = actions.compactMap(\.dispatch)
        }
        #expect(Set(ran) == ["a", "d", "e"])
        #expect(scheduler.phases == [.failed, .blocked, .blocked, .done, .done])
        #expect(actions.last == .finish(.finished))
        #expect(scheduler.failureReasons[0] == "exited with status 1")
        #expect(scheduler.blockedBy[2] == 0)
    }

    @Test("a failed job is tried again as many times as its retries")
    func retries() {
        let graph = Fixtures.graph([("a", []), ("b", ["a"])], retries: 2)
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [1]))
        var dispatch = scheduler.start(now: 0).compactMap(\.dispatch).first!
        for _ in 0..<2 {
            let next = scheduler.dispatchEnded(dispatch.id, outcomes: [.failed(reason: "x")], now: 1)
            dispatch = next.compactMap(\.dispatch).first!
            #expect(dispatch.jobs == [0])
        }
        let last = scheduler.dispatchEnded(dispatch.id, outcomes: [.failed(reason: "x")], now: 1)
        #expect(last.contains(.recordBlocked(jobs: [1], dependency: 0)))
        #expect(last.last == .finish(.finished))
    }

    @Test("halt on failure dispatches nothing more and ends when the running lines end")
    func haltOnFailure() {
        let graph = Fixtures.graph([("a", []), ("b", []), ("c", []), ("d", [])])
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [2]), configuration: .init(haltOnFailure: true))
        let first = scheduler.start(now: 0).compactMap(\.dispatch)
        #expect(first.count == 2)
        let afterFailure = scheduler.dispatchEnded(first[0].id, outcomes: [.failed(reason: "x")], now: 1)
        #expect(afterFailure.compactMap(\.dispatch).isEmpty)
        let end = scheduler.dispatchEnded(first[1].id, outcomes: [.done], now: 2)
        #expect(end == [.finish(.halted(job: first[0].jobs[0]))])
    }

    // MARK: - Host failures

    @Test("a host failure requeues the job on another host and quarantines the host until a probe answers")
    func hostFailureRequeues() {
        let graph = Fixtures.graph([("a", []), ("b", [])])
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [1, 1]))
        let first = scheduler.start(now: 0).compactMap(\.dispatch)
        #expect(Set(first.map(\.host)) == [0, 1])
        let lost = first[0]
        let actions = scheduler.dispatchEnded(lost.id, outcomes: [.hostLost(reason: "ssh exited 255")], now: 10)
        #expect(actions.contains(.quarantine(host: lost.host, reason: "ssh exited 255", probeAt: 11)))
        #expect(actions.compactMap(\.dispatch).isEmpty, "the other host is busy; the failed one is out")
        let other = scheduler.dispatchEnded(first[1].id, outcomes: [.done], now: 10.5)
        let retry = other.compactMap(\.dispatch)
        #expect(retry.count == 1 && retry[0].jobs == lost.jobs && retry[0].host != lost.host)
        #expect(scheduler.tick(now: 10.9).isEmpty)
        #expect(scheduler.tick(now: 11) == [.probe(host: lost.host)])
        #expect(scheduler.probeEnded(host: lost.host, succeeded: true, now: 11.1) == [.restore(host: lost.host)])
        #expect(scheduler.hosts[lost.host].status == .up)
        #expect(scheduler.dispatchEnded(retry[0].id, outcomes: [.done], now: 12) == [.finish(.finished)])
    }

    @Test("probes back off exponentially")
    func backoff() {
        let graph = Fixtures.graph([("a", [])])
        var scheduler = Scheduler(
            plan: Fixtures.plan(graph, [1, 1]), configuration: .init(probeDelay: 1, maximumProbeDelay: 4))
        let dispatch = scheduler.start(now: 0).compactMap(\.dispatch)[0]
        _ = scheduler.dispatchEnded(dispatch.id, outcomes: [.hostLost(reason: "x")], now: 0)
        var expected = [1.0, 3, 7, 11]
        var now = 0.0
        while let deadline = scheduler.nextDeadline, !expected.isEmpty {
            #expect(deadline == expected.removeFirst())
            now = deadline
            #expect(scheduler.tick(now: now) == [.probe(host: dispatch.host)])
            _ = scheduler.probeEnded(host: dispatch.host, succeeded: false, now: now)
        }
    }

    @Test("a job that lost too many hosts fails with that reason")
    func tooManyHostLosses() {
        let graph = Fixtures.graph([("a", []), ("b", ["a"])])
        var scheduler = Scheduler(
            plan: Fixtures.plan(graph, [1, 1, 1, 1]), configuration: .init(maximumHostLosses: 2))
        var dispatch = scheduler.start(now: 0).compactMap(\.dispatch)[0]
        var actions = scheduler.dispatchEnded(dispatch.id, outcomes: [.hostLost(reason: "ssh exited 255")], now: 1)
        dispatch = actions.compactMap(\.dispatch)[0]
        actions = scheduler.dispatchEnded(dispatch.id, outcomes: [.hostLost(reason: "ssh exited 255")], now: 2)
        #expect(scheduler.phases == [.failed, .blocked])
        #expect(
            actions.contains {
                if case .recordLost(0, let reason) = $0 { reason.hasPrefix("lost 2 hosts") } else { false }
            })
        #expect(actions.last == .finish(.finished))
    }

    @Test("when every host has failed and none answers, the run stops")
    func noHostsLeft() {
        let graph = Fixtures.graph([("a", []), ("b", [])])
        var scheduler = Scheduler(
            plan: Fixtures.plan(graph, [1]), configuration: .init(probeDelay: 1, probesBeforeGivingUp: 2))
        let dispatch = scheduler.start(now: 0).compactMap(\.dispatch)[0]
        _ = scheduler.dispatchEnded(dispatch.id, outcomes: [.hostLost(reason: "x")], now: 0)
        var last: [SchedulerAction] = []
        while let deadline = scheduler.nextDeadline {
            #expect(scheduler.tick(now: deadline) == [.probe(host: 0)])
            last = scheduler.probeEnded(host: 0, succeeded: false, now: deadline)
        }
        #expect(last == [.finish(.noHostsLeft)])
        #expect(scheduler.stopReason == .noHostsLeft)
    }

    // MARK: - Hosts joining

    @Test("a host still connecting gets no line; it gets lines once connected, and the others do not wait for it")
    func connectingHost() {
        let graph = Fixtures.graph((0..<6).map { ("j\($0)", []) })
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [2, 2]), connecting: [1])
        #expect(scheduler.hosts[1].status == .connecting)
        let first = scheduler.start(now: 0).compactMap(\.dispatch)
        #expect(first.count == 2 && first.allSatisfy { $0.host == 0 })
        let joined = scheduler.connected(1, now: 1).compactMap(\.dispatch)
        #expect(joined.count == 2 && joined.allSatisfy { $0.host == 1 })
        #expect(scheduler.connected(1, now: 2).isEmpty, "connected twice changes nothing")
    }

    @Test("a host whose first connection fails is quarantined and probed like a failed host")
    func connectingHostFails() {
        let graph = Fixtures.graph([("a", []), ("b", [])])
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [1, 1]), connecting: [0, 1])
        #expect(scheduler.start(now: 0).isEmpty)
        let actions = scheduler.hostFailed(1, reason: "ssh to h1 exited with status 255", now: 0)
        #expect(actions == [.quarantine(host: 1, reason: "ssh to h1 exited with status 255", probeAt: 1)])
        #expect(scheduler.connected(0, now: 0.5).compactMap(\.dispatch).count == 1)
        #expect(scheduler.tick(now: 1) == [.probe(host: 1)])
        #expect(scheduler.probeEnded(host: 1, succeeded: true, now: 1.2).compactMap(\.dispatch).count == 1)
    }

    @Test("following a plan, jobs planned on a connecting host wait for it; if it fails they run elsewhere")
    func connectingHostFollowingPlan() {
        let graph = Fixtures.graph([("a", []), ("b", []), ("c", []), ("d", [])])
        let plan = Fixtures.plan(graph, [1, 1])
        let onSecond = Set(graph.jobs.indices.filter { plan.slots[Int(plan.placements[$0].slot)].host == 1 })
        #expect(!onSecond.isEmpty)
        var waiting = Scheduler(plan: plan, connecting: [1], configuration: .init(followPlan: true))
        var ran = waiting.start(now: 0).compactMap(\.dispatch)
        #expect(ran.allSatisfy { $0.host == 0 })
        while let dispatch = ran.first {
            ran.removeFirst()
            ran += waiting.dispatchEnded(dispatch.id, outcomes: [.done], now: 1).compactMap(\.dispatch)
            #expect(ran.allSatisfy { $0.host == 0 })
        }
        #expect(onSecond.allSatisfy { waiting.phases[$0] == .ready }, "they wait for their host")
        var second = waiting.connected(1, now: 2).compactMap(\.dispatch)
        var ranOnSecond: Set<Int> = []
        while let dispatch = second.first {
            second.removeFirst()
            #expect(dispatch.host == 1)
            ranOnSecond.formUnion(dispatch.jobs.map(Int.init))
            second += waiting.dispatchEnded(dispatch.id, outcomes: [.done], now: 3).compactMap(\.dispatch)
        }
        #expect(ranOnSecond == onSecond, "each ran on its planned host once it connected")

        var failing = Scheduler(plan: plan, connecting: [1], configuration: .init(followPlan: true))
        var lines = failing.start(now: 0).compactMap(\.dispatch)
        let moved = failing.hostFailed(1, reason: "ssh failed", now: 0)
        #expect(moved.contains { if case .quarantine(host: 1, _, _) = $0 { true } else { false } })
        lines += moved.compactMap(\.dispatch)
        while let dispatch = lines.first {
            lines.removeFirst()
            #expect(dispatch.host == 0)
            lines += failing.dispatchEnded(dispatch.id, outcomes: [.done], now: 1).compactMap(\.dispatch)
        }
        #expect(failing.phases.allSatisfy { $0 == .done }, "the first host ran its jobs and the moved ones")
    }

    // MARK: - Resume and cancel

    @Test("resuming skips done jobs and waits for jobs running elsewhere instead of starting them")
    func resume() {
        let graph = Fixtures.graph([("a", []), ("b", []), ("c", ["a", "b"]), ("d", [])])
        var scheduler = Scheduler(
            plan: Fixtures.plan(graph, [2]), initial: [.done, .running(host: 0), .pending, .pending])
        let first = scheduler.start(now: 0).compactMap(\.dispatch)
        #expect(first.map(\.jobs) == [[3]])
        #expect(scheduler.phases[1] == .elsewhere)
        let next = scheduler.elsewhereEnded(1, .done, now: 1)
        #expect(next.compactMap(\.dispatch).map(\.jobs) == [[2]])
    }

    @Test("a lease held elsewhere is waited for; a lost one runs again")
    func runningElsewhere() {
        let graph = Fixtures.graph([("a", [])])
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [1]))
        let dispatch = scheduler.start(now: 0).compactMap(\.dispatch)[0]
        #expect(scheduler.dispatchEnded(dispatch.id, outcomes: [.runningElsewhere], now: 1).isEmpty)
        let again = scheduler.elsewhereEnded(0, .lost, now: 2).compactMap(\.dispatch)
        #expect(again.map(\.jobs) == [[0]])
    }

    @Test("cancel stops every running line and ends once they have ended")
    func cancel() {
        let graph = Fixtures.graph([("a", []), ("b", []), ("c", [])])
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [2]))
        let first = scheduler.start(now: 0).compactMap(\.dispatch)
        #expect(scheduler.cancel(now: 1) == [.stop(dispatches: first.map(\.id).sorted())])
        #expect(scheduler.dispatchEnded(first[0].id, outcomes: [.interrupted], now: 2).isEmpty)
        #expect(scheduler.dispatchEnded(first[1].id, outcomes: [.interrupted], now: 2) == [.finish(.cancelled)])
        #expect(scheduler.jobCounts.interrupted == 2)
    }

    // MARK: - Look-ahead

    @Test("with ready jobs and no free slot, each short line gets the next line of its slot queued behind it")
    func lookAheadQueues() throws {
        let graph = Fixtures.graph((0..<5).map { ("j\($0)", []) }, cost: 0.01)
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [2]), configuration: .init(lookAhead: 0.1))
        let first = scheduler.start(now: 0).compactMap(\.dispatch)
        // Two lines start on the two slots; two more are queued behind them, one each; the fifth job waits.
        #expect(first.count == 4)
        let (running, ahead) = (first.filter { $0.after == nil }, first.filter { $0.after != nil })
        #expect(running.count == 2 && ahead.count == 2)
        for line in ahead {
            let behind = try #require(running.first { $0.id == line.after })
            #expect(line.slot == behind.slot && line.host == behind.host)
        }
        #expect(scheduler.jobCounts.ready == 1 && scheduler.jobCounts.running == 4)
        // The first line ends: its slot goes on with the line queued behind it (no line starts on a free slot),
        // and that line, running now, gets the last job queued behind it.
        let ended = running[0]
        let next = scheduler.dispatchEnded(ended.id, outcomes: [.done], now: 0.01).compactMap(\.dispatch)
        let queuedBehind = try #require(ahead.first { $0.after == ended.id })
        #expect(next.count == 1 && next.first?.after == queuedBehind.id && next.first?.slot == ended.slot)
        #expect(scheduler.hosts[0].busy == 2)
    }

    @Test("no look-ahead behind long lines, while a slot is free, or when it is off")
    func lookAheadOnlyWhenItPays() {
        let long = Fixtures.graph((0..<5).map { ("j\($0)", []) }, cost: 1)
        var behindLong = Scheduler(plan: Fixtures.plan(long, [2]), configuration: .init(lookAhead: 0.1))
        #expect(behindLong.start(now: 0).compactMap(\.dispatch).allSatisfy { $0.after == nil })
        let short = Fixtures.graph((0..<5).map { ("j\($0)", []) }, cost: 0.01)
        var off = Scheduler(plan: Fixtures.plan(short, [2]))
        #expect(off.start(now: 0).compactMap(\.dispatch).count == 2)
        let two = Fixtures.graph([("a", []), ("b", [])], cost: 0.01)
        var enough = Scheduler(plan: Fixtures.plan(two, [2]), configuration: .init(lookAhead: 0.1))
        #expect(enough.start(now: 0).compactMap(\.dispatch).allSatisfy { $0.after == nil })
    }

    @Test("following a plan with look-ahead, a slot's next planned line is queued behind its line, in planned order")
    func lookAheadFollowingPlan() throws {
        var random = SplitMix(state: 11)
        let graph = Fixtures.randomGraph(jobs: 60, random: &random, cost: 0.01)
        let plan = Fixtures.plan(graph, [2, 1])
        var scheduler = Scheduler(plan: plan, configuration: .init(followPlan: true, lookAhead: 0.1))
        // Lines run in the order they were dispatched on their slot; a look-ahead line starts when the line it
        // follows ends, so the slot's order is the dispatch order.
        var order: [Int: [Int32]] = [:]
        var running: [Int: Dispatch] = [:]
        var queued: [Int: Dispatch] = [:]
        var ahead = 0
        func take(_ actions: [SchedulerAction]) {
            for dispatch in actions.compactMap(\.dispatch) {
                order[dispatch.slot, default: []] += dispatch.jobs
                if dispatch.after == nil {
                    running[dispatch.slot] = dispatch
                } else {
                    #expect(running[dispatch.slot]?.id == dispatch.after && queued[dispatch.slot] == nil)
                    queued[dispatch.slot] = dispatch
                    ahead += 1
                }
            }
        }
        take(scheduler.start(now: 0))
        var now = 0.0
        while let slot = running.keys.sorted().first {
            now += 0.01
            let line = running.removeValue(forKey: slot)!
            if let next = queued.removeValue(forKey: slot) { running[slot] = next }
            take(scheduler.dispatchEnded(line.id, outcomes: line.jobs.map { _ in .done }, now: now))
        }
        #expect(scheduler.stopReason == .finished)
        #expect(ahead > 0)
        for slot in plan.slots.indices { #expect(order[slot, default: []] == plan.sequences[slot]) }
        // A refused look-ahead line goes back to its place in the slot's sequence.
        var refusing = Scheduler(plan: plan, configuration: .init(followPlan: true, lookAhead: 0.1))
        var dispatched: [Int: [Int32]] = [:]
        var pending = refusing.start(now: 0).compactMap(\.dispatch)
        var lines: [Int: Dispatch] = [:]
        while !pending.isEmpty || !lines.isEmpty {
            if let dispatch = pending.first {
                pending.removeFirst()
                if dispatch.after != nil {
                    pending += refusing.lookAheadRefused(dispatch.id, now: 0).compactMap(\.dispatch)
                } else {
                    dispatched[dispatch.slot, default: []] += dispatch.jobs
                    lines[dispatch.slot] = dispatch
                }
                continue
            }
            let (slot, line) = lines.sorted { $0.key < $1.key }.first!
            lines[slot] = nil
            pending += refusing.dispatchEnded(line.id, outcomes: line.jobs.map { _ in .done }, now: 1)
                .compactMap(\.dispatch)
        }
        #expect(refusing.stopReason == .finished)
        for slot in plan.slots.indices { #expect(dispatched[slot, default: []] == plan.sequences[slot]) }
    }

    /// Three short jobs on one slot, started: one line runs, one is queued behind it, the third job waits.
    static func oneSlotWithALineAhead() throws -> (Scheduler, running: Dispatch, ahead: Dispatch) {
        let graph = Fixtures.graph((0..<3).map { ("j\($0)", []) }, cost: 0.01)
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [1]), configuration: .init(lookAhead: 0.1))
        let first = scheduler.start(now: 0).compactMap(\.dispatch)
        let running = try #require(first.first { $0.after == nil })
        let ahead = try #require(first.first { $0.after != nil })
        return (scheduler, running, ahead)
    }

    @Test("a refused look-ahead line's jobs wait for a slot again; the line it followed gets no other")
    func lookAheadRefused() throws {
        var (scheduler, running, ahead) = try Self.oneSlotWithALineAhead()
        #expect(scheduler.lookAheadRefused(ahead.id, now: 0).isEmpty)
        #expect(scheduler.jobCounts.ready == 2 && scheduler.jobCounts.running == 1)
        #expect(scheduler.running.keys.sorted() == [running.id])
        // When the line ends, the slot takes the waiting jobs as usual: one line now, one queued behind it.
        let next = scheduler.dispatchEnded(running.id, outcomes: [.done], now: 0.01).compactMap(\.dispatch)
        #expect(next.count == 2 && next[0].after == nil && next[1].after == next[0].id)
    }

    @Test("a look-ahead line whose session ended first leaves the slot to its line; cancel stops it with that line")
    func lookAheadEndsFirst() throws {
        var (scheduler, running, ahead) = try Self.oneSlotWithALineAhead()
        // Its job never started: it waits again, and the slot still holds the running line (nothing starts).
        #expect(scheduler.dispatchEnded(ahead.id, outcomes: [.notRun], now: 0).compactMap(\.dispatch).isEmpty)
        #expect(scheduler.hosts[0].busy == 1 && scheduler.jobCounts.ready == 2)
        let again = scheduler.dispatchEnded(running.id, outcomes: [.done], now: 0.01).compactMap(\.dispatch)
        #expect(again.count == 2)
        let stops = scheduler.cancel(now: 0.02)
        #expect(stops == [.stop(dispatches: again.map(\.id).sorted())])
        #expect(scheduler.dispatchEnded(again[0].id, outcomes: [.interrupted], now: 0.03).isEmpty)
        #expect(scheduler.dispatchEnded(again[1].id, outcomes: [.interrupted], now: 0.03) == [.finish(.cancelled)])
    }

    // MARK: - Plans and bundles

    @Test("following a plan runs each slot's sequence in planned order")
    func followPlan() {
        var random = SplitMix(state: 7)
        let graph = Fixtures.randomGraph(jobs: 40, random: &random)
        let plan = Fixtures.plan(graph, [2, 1])
        var simulation = Simulation(Scheduler(plan: plan, configuration: .init(followPlan: true)), seed: 7)
        var order: [Int: [Int32]] = [:]
        var scheduler = simulation.scheduler
        var pending = scheduler.start(now: 0).compactMap(\.dispatch)
        while !pending.isEmpty {
            let dispatch = pending.removeFirst()
            order[dispatch.slot, default: []] += dispatch.jobs
            pending += scheduler.dispatchEnded(dispatch.id, outcomes: [.done], now: 0).compactMap(\.dispatch)
        }
        for slot in plan.slots.indices {
            #expect(order[slot, default: []] == plan.sequences[slot])
        }
        simulation.scheduler = scheduler
    }

    @Test("auto bundling groups short jobs, never more than the free slots can share, and leaves long jobs alone")
    func autoBundles() {
        let short = Fixtures.graph((0..<100).map { ("s\($0)", []) }, cost: 0.001)
        var scheduler = Scheduler(plan: Fixtures.plan(short, [2, 2]), configuration: .init(bundle: .auto))
        let lines = scheduler.start(now: 0).compactMap(\.dispatch)
        #expect(lines.count == 4)
        #expect(lines.map(\.jobs.count) == [25, 25, 25, 25])
        let long = Fixtures.graph((0..<10).map { ("l\($0)", []) }, cost: 5)
        var other = Scheduler(plan: Fixtures.plan(long, [2, 2]), configuration: .init(bundle: .auto))
        #expect(other.start(now: 0).compactMap(\.dispatch).allSatisfy { $0.jobs.count == 1 })
    }

    @Test("a bundle stopped by a failure runs the jobs after it again, without counting them failed")
    func bundleStopped() {
        let graph = Fixtures.graph([("a", []), ("b", []), ("c", [])], cost: 0)
        var scheduler = Scheduler(plan: Fixtures.plan(graph, [1]), configuration: .init(bundle: .fixed(3)))
        let line = scheduler.start(now: 0).compactMap(\.dispatch)[0]
        #expect(line.jobs.count == 3)
        let next = scheduler.dispatchEnded(line.id, outcomes: [.done, .failed(reason: "x"), .notRun], now: 1)
        #expect(next.compactMap(\.dispatch).map(\.jobs) == [[line.jobs[2]]])
    }
}

extension SchedulerAction {
    var dispatch: Dispatch? {
        if case .dispatch(let dispatch) = self { dispatch } else { nil }
    }
}
