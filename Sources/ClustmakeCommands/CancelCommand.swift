import ArgumentParser
import ClustmakeDispatch
import ClustmakeHosts
import ClustmakeModel
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
            Sends SIGTERM to the run of the namespace (found by its pid file in the run directory) and waits for it \
            to end. Without --namespace, stops the last run started in this directory if it is going on, else the \
            only run going on. Run the same 'clustmake run' again to resume. A namespace handed off with \
            'clustmake submit' (redis records it) is taken back first: one scancel of its SLURM jobs (whose \
            workers record their jobs interrupted), its crontab block removed, its at job removed with atrm \
            (docs/handoff.md).
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

    @Option(
        help: ArgumentHelp(
            "A cluster file whose redis settings (url, password_file) are the defaults.", valueName: "file"))
    var cluster: String?

    func run() async throws {
        let directory: RunDirectory
        do { directory = try RunDirectory() } catch { throw CommandFailure(status: 1, error.message) }
        let runs = Self.runningRuns(in: directory)
        // A handed-off namespace (named, or the last run started here) is taken back first; when no run of it
        // goes on on this machine, that is all.
        if let handed = namespace ?? LastRun().namespace() {
            let running = runs.contains { $0.namespace == handed }
            do {
                if try await undoHandOff(namespace: handed) && !running { return }
            } catch  where running {
                // redis is not where this run's hand-off would be: stop the run as before.
            }
        }
        let chosen: (namespace: String, pid: pid_t)
        if let namespace {
            guard let found = runs.first(where: { $0.namespace == namespace }) else {
                throw CommandFailure(status: 1, "no run of namespace '\(namespace)' is going on on this machine")
            }
            chosen = found
        } else if let remembered = LastRun().namespace(), let found = runs.first(where: { $0.namespace == remembered })
        {
            chosen = found
        } else {
            guard !runs.isEmpty else { throw CommandFailure(status: 1, "no run is going on on this machine") }
            guard runs.count == 1 else {
                throw InputError(
                    .invalidValue,
                    "no --namespace given, and \(runs.count) runs are going on: "
                        + "\(runs.map(\.namespace).joined(separator: ", ")).",
                    fix: "Pass --namespace NS with the one to stop.", subject: "--namespace")
            }
            chosen = runs[0]
        }
        kill(chosen.pid, SIGTERM)
        let deadline = timeout
        var waited = 0.0
        // The run removes its pid file as it ends (a process that ended may stay a zombie until its parent reaps it).
        let pidFile = directory.pidFile(namespace: chosen.namespace)
        func ended() -> Bool { access(pidFile, F_OK) != 0 || kill(chosen.pid, 0) != 0 }
        while !ended() && waited < deadline {
            usleep(50_000)
            waited += 0.05
        }
        if !ended() {
            throw CommandFailure(
                status: 1, "the run of '\(chosen.namespace)' (pid \(chosen.pid)) did not end within \(Int(timeout)) s")
        }
        print("clustmake: cancelled the run of namespace '\(chosen.namespace)' (pid \(chosen.pid))")
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
        case .at:
            for number in handOff.ids {
                let removed = try await AtHandOff.remove(number)
                print(
                    removed
                        ? "clustmake: removed at job \(number) of namespace '\(namespace)'"
                        : "clustmake: at job \(number) of namespace '\(namespace)' is no longer queued (it ran, or "
                            + "runs now)")
            }
        case .slurm, .slurmJobs:
            do {
                try await SlurmQueue().cancel(ids: handOff.ids)
            } catch {
                throw CommandFailure(status: 1, "\(error)")
            }
            let timeout = self.timeout
            let running: Int
            do {
                running = try await DedicatedThread.run { () throws(StoreError) -> Int in
                    let store = try JobStore(endpoint: endpoint, namespace: namespace)
                    var waited = 0.0
                    while true {
                        let count = try store.states().values.filter { $0 == .inProgress }.count
                        if count == 0 || waited >= timeout { return count }
                        blockingSleep(.milliseconds(200))
                        waited += 0.2
                    }
                }
            } catch {
                throw CollectorOptions.failure(error)
            }
            let ids = handOff.ids.joined(separator: " ")
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

    /// The runs with a pid file whose process is alive.
    static func runningRuns(in directory: RunDirectory) -> [(namespace: String, pid: pid_t)] {
        guard let handle = opendir(directory.path) else { return [] }
        defer { closedir(handle) }
        var runs: [(String, pid_t)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix("run-"), name.hasSuffix(".pid") else { continue }
            let namespace = String(name.dropFirst(4).dropLast(4))
            if let pid = PidFile.read(directory.pidFile(namespace: namespace)), kill(pid, 0) == 0 {
                runs.append((namespace, pid))
            }
        }
        return runs.sorted { $0.0 < $1.0 }
    }
}
