import ArgumentParser
import ClustmakeDispatch
import ClustmakeHosts
import ClustmakeModel
import ClustmakeRedis
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// `clustmake cancel`: stop a `clustmake run` going on on this machine, as Ctrl-C in its terminal would.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract:
            "Stop a running 'clustmake run': its running jobs are stopped on every host and recorded interrupted.",
        discussion: """
            Sends SIGTERM to the run of the namespace and waits for it to end. Only a process that holds the run's \
            lock (a file in the run directory, locked for the run's whole life) is signalled: a lock file left by \
            a run that was killed names a process that holds nothing, and is reported, not obeyed. Without \
            --namespace, stops the last run started in this directory if it is going on, else the only run going \
            on. Run the same 'clustmake run' again to resume. A namespace handed off with 'clustmake submit' (redis \
            records it) is taken back first: one scancel of its SLURM jobs (whose workers record their jobs \
            interrupted), its crontab block removed, its at job removed with atrm, and a run that cron or at started and \
            that goes on on this machine stopped (its running jobs recorded interrupted) (docs/handoff.md).
            """)

    @Option(
        help: ArgumentHelp(
            "The namespace of the run to stop (default: the last run started here if it goes on, else the only run "
                + "going on)."))
    var namespace: String?

    @Option(help: ArgumentHelp("How long to wait for the run to end, in seconds.", valueName: "seconds"))
    var timeout = 60.0

    /// Where the hand-off record of the namespace is read (``RedisResolver``; the embedded redis when it was ever
    /// started here).
    @OptionGroup(title: "Redis") var redis: RedisOptions

    @OptionGroup(title: "Redis") var clusterRedis: ClusterRedisOptions
    /// The cluster file whose redis settings are the defaults.
    var cluster: String? { clusterRedis.cluster }

    func run() async throws {
        let directory: RunDirectory
        do { directory = try RunDirectory() } catch { throw CommandFailure(status: 1, error.message) }
        // A handed-off namespace (named, or the last run started here) is taken back first; when no run of it
        // goes on on this machine, that is all.
        var undone = false
        if let handed = namespace ?? LastRun().namespace() {
            let running = RunLock.all(in: directory).contains { entry in
                if case .held(let holder) = entry.state { holder.namespace == handed } else { false }
            }
            do {
                undone = try await undoHandOff(namespace: handed)
                if undone && !running { return }
            } catch  where running {
                // redis is not where this run's hand-off would be: stop the run as before.
            }
        }
        let chosen: RunLock.Holder
        do {
            chosen = try Self.chooseRun(in: directory, namespace: namespace, remembered: LastRun().namespace())
            try Self.signal(chosen)
        } catch is CommandFailure where undone {
            // The run was the hand-off's own (dynamic dispatch in an allocation on this machine): it ended with it.
            return
        }
        guard try await Self.waitForEnd(of: chosen, timeout: timeout) else {
            throw CommandFailure(
                status: 1,
                "the run of '\(chosen.namespace)' (pid \(chosen.process.pid)) did not end within \(Int(timeout)) s")
        }
        print("clustmake: cancelled the run of namespace '\(chosen.namespace)' (pid \(chosen.process.pid))")
    }

    /// Takes back the hand-off of `namespace` (``HandOff``), then removes the record: one `scancel` of its SLURM
    /// jobs, after which it waits (reading redis, not SLURM) until none of its jobs is in progress, for the workers,
    /// stopped by SLURM's SIGTERM, record them interrupted; its crontab block removed; its at job removed.
    /// - Returns: Whether there was one.
    private func undoHandOff(namespace: String) async throws -> Bool {
        let endpoint = try await CollectorOptions.endpoint(redis: redis, cluster: cluster)
        let handOff: HandOff?
        do {
            handOff = try await DedicatedThread.run { () throws(StoreError) -> HandOff? in
                try JobStore(endpoint: endpoint, namespace: namespace).handOff()
            }
        } catch {
            // A namespace redis does not know, or no redis here: nothing was handed off from it.
            if error.code == .unknownNamespace || error.code == .unreachable { return false }
            throw CommandFailure(status: 1, PushCommand.message(error, namespace: namespace))
        }
        guard let handOff else { return false }
        switch handOff.target {
        case .cron:
            let removed = try await CronHandOff.remove(namespace: namespace)
            let block = CronHandOff.block(namespace: namespace)
            print(
                removed
                    ? "clustmake: removed the crontab block '\(block.begin)' of namespace '\(namespace)'"
                    : "clustmake: the crontab held no block '\(block.begin)' of namespace '\(namespace)' any more")
            try await stopGuardedRun(of: handOff, endpoint: endpoint, namespace: namespace)
        case .at:
            for number in handOff.ids {
                let removed = try await AtHandOff.remove(number)
                print(
                    removed
                        ? "clustmake: removed at job \(number) of namespace '\(namespace)'"
                        : "clustmake: at job \(number) of namespace '\(namespace)' is no longer queued (it ran, or "
                            + "runs now)")
            }
            try await stopGuardedRun(of: handOff, endpoint: endpoint, namespace: namespace)
        case .slurm, .slurmJobs:
            do {
                try await SlurmQueue().cancel(ids: handOff.ids)
            } catch {
                throw CommandFailure(status: 1, "\(error)")
            }
            let running = try await waitUntilNoJobInProgress(endpoint: endpoint, namespace: namespace)
            let ids = handOff.idsText(separator: " ")
            if running > 0 {
                throw CommandFailure(
                    status: 1,
                    "cancelled SLURM job \(ids) of namespace '\(namespace)', but \(Format.count(running, "job")) still in "
                        + "progress after \(Int(timeout)) s; their leases expire if their workers are gone")
            }
            print("clustmake: cancelled SLURM job \(ids) of namespace '\(namespace)'; no job of it is in progress")
        }
        try await SubmitCommand.withStore(endpoint, namespace) { store throws(StoreError) in try store.clearHandOff() }
        return true
    }

    /// Stops the run of a cron or at hand-off that goes on on this machine now: the `/bin/sh PLAN/run-all.sh` that
    /// `flock` started while holding the plan's `run.lock` (``GuardedRun``) gets SIGTERM, which its host scripts
    /// pass on to their jobs; then it waits (reading redis) until none of the namespace's jobs is in progress.
    /// Only a child of the process the kernel lists as holding that lock, running exactly that script, is signalled.
    private func stopGuardedRun(of handOff: HandOff, endpoint: RedisEndpoint, namespace: String) async throws {
        let run = GuardedRun.runArguments(planDirectory: handOff.planDirectory)
        let holders = ProcessIdentity.flockHolders(of: GuardedRun.lockPath(planDirectory: handOff.planDirectory))
        let runs = holders.flatMap(ProcessIdentity.children(of:)).filter { ProcessIdentity.arguments(of: $0) == run }
        let script = GuardedRun.runAll(handOff.planDirectory)
        guard !runs.isEmpty else { return }
        let signalled = runs.filter { kill($0, SIGTERM) == 0 }
        guard !signalled.isEmpty else { return }
        let pids = signalled.map(String.init).joined(separator: ", ")
        let running = try await waitUntilNoJobInProgress(endpoint: endpoint, namespace: namespace)
        if running > 0 {
            throw CommandFailure(
                status: 1,
                "stopped the run of \(script) (pid \(pids)) of namespace '\(namespace)', but "
                    + "\(Format.count(running, "job")) still in progress after \(Int(timeout)) s; their leases expire "
                    + "if their workers are gone")
        }
        print(
            "clustmake: stopped the run of \(script) (pid \(pids)) that \(handOff.target.rawValue) started; no job of "
                + "namespace '\(namespace)' is in progress")
    }

    /// Waits, reading redis every 200 ms up to `--timeout` (on the clock, however long each read takes), until no
    /// job of `namespace` is in progress (``ClustmakeStore/JobStore/inProgressCount()``: the running jobs only, not
    /// every job's state).
    /// - Returns: How many still are.
    private func waitUntilNoJobInProgress(endpoint: RedisEndpoint, namespace: String) async throws -> Int {
        let timeout = self.timeout
        let running: Int
        do {
            running = try await DedicatedThread.run { () throws(StoreError) -> Int in
                let store = try JobStore(endpoint: endpoint, namespace: namespace)
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(timeout)
                while true {
                    let count = try store.inProgressCount()
                    if count == 0 || clock.now >= deadline { return count }
                    blockingSleep(.milliseconds(200))
                }
            }
        } catch {
            throw CollectorOptions.failure(error)
        }
        return running
    }

    /// The run to stop among those whose run lock a live process holds (``ClustmakeDispatch/RunLock``): the one of
    /// `namespace`, else the `remembered` one if it goes on, else the only one. A lock file that no process holds
    /// (left by a run that was killed) is said so, and never chosen.
    /// - Throws: ``CommandFailure`` (status 1) when there is nothing to cancel, ``InputError`` when the choice is
    ///   ambiguous.
    static func chooseRun(in directory: RunDirectory, namespace: String?, remembered: String?) throws
        -> RunLock.Holder
    {
        let locks = RunLock.all(in: directory)
        let runs = locks.compactMap { entry in if case .held(let holder) = entry.state { holder } else { nil } }
        func nothing(_ what: String, namespace: String?) -> CommandFailure {
            let stale = locks.compactMap { entry -> String? in
                guard case .stale(let found, let pid) = entry.state, namespace == nil || found == namespace else {
                    return nil
                }
                return "\(entry.path) names \(pid.map { "pid \($0)" } ?? "no pid"), which does not hold it"
            }
            return CommandFailure(
                status: 1,
                "nothing to cancel: \(what) is going on on this machine"
                    + (stale.isEmpty
                        ? "" : " (a run that ended abnormally left its lock file: \(stale.joined(separator: "; ")))")
                    + "; nothing was signalled")
        }
        if let namespace {
            let matching = runs.filter { $0.namespace == namespace }
            guard !matching.isEmpty else { throw nothing("no run of namespace '\(namespace)'", namespace: namespace) }
            guard matching.count == 1 else {
                throw InputError(
                    .invalidValue,
                    "\(matching.count) runs of namespace '\(namespace)' are going on, into different redis servers: "
                        + matching.map { "pid \($0.process.pid) (\($0.redis))" }.joined(separator: ", ") + ".",
                    fix: "Stop the one you mean with `kill -TERM PID`.", subject: "--namespace")
            }
            return matching[0]
        }
        if let remembered, let found = runs.first(where: { $0.namespace == remembered }) { return found }
        guard !runs.isEmpty else { throw nothing("no run", namespace: nil) }
        guard runs.count == 1 else {
            throw InputError(
                .invalidValue,
                "no --namespace given, and \(runs.count) runs are going on: "
                    + "\(runs.map(\.namespace).joined(separator: ", ")).",
                fix: "Pass --namespace NS with the one to stop.", subject: "--namespace")
        }
        return runs[0]
    }

    /// Sends SIGTERM to the run, checking once more, just before, that its process still holds its lock.
    static func signal(_ run: RunLock.Holder) throws {
        guard RunLock.state(of: run.path) == .held(run), kill(run.process.pid, SIGTERM) == 0 else {
            throw CommandFailure(
                status: 1,
                "nothing to cancel: the run of '\(run.namespace)' (pid \(run.process.pid)) ended meanwhile; "
                    + "nothing was signalled")
        }
    }

    /// Waits for the run to let its lock go (as it ends, or when its process is gone), polling every 50 ms.
    /// - Returns: Whether it did within `timeout` seconds.
    static func waitForEnd(of run: RunLock.Holder, timeout: Double) async throws -> Bool {
        let polls = Int(max(0, timeout) * 20)
        for _ in 0...polls {
            if RunLock.state(of: run.path) != .held(run) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return RunLock.state(of: run.path) != .held(run)
    }
}
