import ClustmakeModel
import ClustmakePlanner
import ClustmakeRedis
import ClustmakeScheduler
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem

/// Executes a plan: pushes the graph, reads what is done already, opens one ssh master per host, and runs the
/// ``ClustmakeScheduler/Scheduler``'s decisions (job lines, probes, stops) until the run is over.
///
/// Blocking: call ``run()`` on a thread of its own (never on Swift's cooperative pool); it talks to redis
/// (hiredis blocks) and waits in `poll(2)`. SIGINT, SIGTERM and SIGHUP during a run cancel it: the running lines
/// are stopped (their workers record their jobs interrupted), and ``run()`` returns a report whose exit status is
/// 130. A second signal kills the lines at once.
public final class Dispatcher {
    private let options: RunOptions
    private let output: RunOutput
    private let clock = RunClock()

    /// Prepares a run (nothing happens until ``run()``).
    public init(options: RunOptions) {
        self.options = options
        self.output = RunOutput(mode: options.output)
    }

    /// Runs the plan to its end.
    /// - Returns: The report (summary and exit status).
    /// - Throws: ``DispatchError`` when redis cannot be reached, the push is refused, or another run of the
    ///   namespace is running (on this machine: its ``RunLock``; anywhere: its lease in redis; exit status 2).
    public func run() throws(DispatchError) -> RunReport {
        SignalPipe.install()
        defer { SignalPipe.uninstall() }
        let namespace = options.settings.namespace
        let redis = options.endpoint.description
        let lock = try RunLock.claim(
            options.directory.lockFile(namespace: namespace, redis: redis), namespace: namespace, redis: redis)
        defer { lock.release() }
        let plan = options.plan
        let store: JobStore
        var pushed: PushReport?
        do {
            store = try JobStore(endpoint: options.endpoint, namespace: namespace, commandTimeout: .seconds(30))
        } catch {
            throw DispatchError(error.description)
        }
        let lease = try RunLeaseKeeper(
            store: store, namespace: namespace, ttl: options.runLeaseTTL, output: output, clock: clock)
        defer { lease.release() }
        // A large graph pushed into a namespace this push makes gets its jobs written while the first ones run
        // (`writing`); an existing namespace, or a small graph, is pushed whole before anything runs.
        var writing: GraphPusher?
        if options.push && plan.graph.count < GraphPusher.minimumJobs {
            do {
                pushed = try store.push(plan.graph, pushedBy: ClustmakeVersion.current)
            } catch {
                throw DispatchError(error.description)
            }
            options.step?("pushed the graph")
        } else if options.push {
            let pusher = try GraphPusher(
                graph: plan.graph, placements: plan.placements, endpoint: options.endpoint, namespace: namespace)
            pusher.waitForStart()
            switch pusher.result {
            case .success(let report)?:
                pushed = report
                pusher.join()
                options.step?("pushed the graph")
            case .failure(let error)?:
                pusher.join()
                throw DispatchError(error.description)
            case nil:
                writing = pusher
                pushed = PushReport(namespace: namespace, jobCount: plan.graph.count, createdNamespace: true)
                options.step?("made the namespace; its jobs are written as the first ones run")
            }
        }
        do {
            try store.reapLostJobs()
        } catch {
            writing?.progress.stop()
            writing?.join()
            throw DispatchError(error.description)
        }
        // A changed graph is reported as `clustmake push` reports it: what changed, and what is no longer done.
        for change in pushed?.changes ?? [] where pushed?.createdNamespace == false {
            output.event(.graphChanged(kind: change.kind, jobs: change.jobs), elapsed: clock.now)
        }
        // A namespace this push made has every job not started: nothing to read. (A worker of the plan's scripts
        // that claims a job meanwhile is met as at any dispatch: the job's lease is its own, and the line reports the
        // job as running elsewhere.)
        let initial: [InitialJobState]
        if pushed?.createdNamespace == true {
            initial = [InitialJobState](repeating: .pending, count: plan.graph.count)
        } else {
            initial = try readInitialStates(store)
            options.step?("read the jobs' states")
        }
        // The plan kept is the one the last run that started jobs followed: a run with none to start (every job done,
        // or left to an earlier run's workers) leaves it, so `stats` and `report` still compare the work with the plan
        // it ran under, not with one made afterwards from its own runtimes.
        if initial.contains(.pending) {
            keepPlan(in: store)
            options.step?("kept the plan in redis")
        } else {
            options.step?("left the earlier plan in redis (no job to start)")
        }
        let groups = plan.graph.jobs.indices.map { job in
            plan.graph.jobs[job].nice ?? plan.cluster.hosts[plan.slots[Int(plan.placements[job].slot)].host].nice
        }
        let masters = MasterPool(hosts: plan.cluster.hosts, directory: options.directory)
        let scheduler = Scheduler(
            plan: plan, initial: initial, groups: groups, connecting: masters.connecting, unwritten: writing != nil,
            configuration: options.scheduling)
        let resumed = initial.filter { $0 == .done }.count
        let adopted = initial.filter { if case .running = $0 { true } else { false } }.count
        output.event(
            .runStarted(
                namespace: namespace, jobs: plan.graph.count, hosts: plan.cluster.hosts.count, slots: plan.slots.count,
                done: resumed, adopted: adopted),
            elapsed: clock.now)
        let loop = RunLoop(
            options: options, store: store, scheduler: scheduler, masters: masters, output: output, clock: clock,
            lease: lease, pusher: writing)
        options.step?("ready to dispatch")
        return loop.run()
    }

    /// Keeps the plan this run follows in redis (plan.json's document), so that `clustmake stats` and `report`
    /// compare the run with it without a plan directory. A plan too large to keep is said so and left out.
    private func keepPlan(in store: JobStore) {
        let settings = options.settings
        do {
            // A plan sure to be too large is not made at all (a million jobs: seconds before the first job).
            guard ScriptWriter.planJSONMinimumBytes(options.plan) <= JobStore.maximumPlanBytes else {
                try store.storePlan(nil)
                output.event(.planTooLarge(limit: JobStore.maximumPlanBytes), elapsed: clock.now)
                return
            }
            let writer = try ScriptWriter(
                plan: options.plan,
                options: ScriptOptions(
                    namespace: settings.namespace, redis: settings.redis, more: settings.more,
                    waitSeconds: settings.waitSeconds,
                    // A run inside a SLURM allocation plans the allocation's nodes: its plan is one for SLURM.
                    target: options.plan.cluster.slurm == nil ? .local : .slurm))
            let document = writer.planJSON(limit: JobStore.maximumPlanBytes)
            try store.storePlan(document)
            if document == nil {
                output.event(.planTooLarge(limit: JobStore.maximumPlanBytes), elapsed: clock.now)
            }
        } catch {
            output.event(.planNotKept(error: "\(error)"), elapsed: clock.now)
        }
    }

    /// Each job's state at the start, from redis: done, running under a worker of an earlier run (on which host),
    /// or to run. With `more` (`run --more`, the workers' `more=True`) a done job is to run again: the scheduler
    /// dispatches it once its dependencies are done in this run, so every job runs again in dependency order.
    private func readInitialStates(_ store: JobStore) throws(DispatchError) -> [InitialJobState] {
        let plan = options.plan
        let states: [JobState]
        do { states = try store.states(of: plan.graph.jobs.map(\.id)) } catch {
            throw DispatchError(error.description)
        }
        let running = states.indices.filter { states[$0] == .inProgress }
        let read =
            (try? store.statuses(of: running.map { plan.graph.jobs[$0].id })) ?? running.map { _ in nil }
        let hosts = Dictionary(zip(running, read.map { $0?.host }), uniquingKeysWith: { first, _ in first })
        return plan.graph.jobs.indices.map { job in
            switch states[job] {
            case .done: options.settings.more ? .pending : .done
            case .inProgress:
                .running(host: hosts[job]?.flatMap { name in plan.cluster.hosts.firstIndex { $0.name == name } })
            default: .pending
            }
        }
    }
}
