import ClustmakeHosts
import ClustmakeModel
import ClustmakeRedis
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem
import Logging

/// `clustmake submit` of a plan written with `--target slurm-jobs` (docs/handoff.md, "SLURM, one job per job"):
/// the plan's `slurm/submit.sh` queues one SLURM job per job not done in redis, at most `max_submit` of the
/// namespace's jobs in the queue at once; with `--follow`, more as earlier ones leave the queue.
extension HandOff {
    /// The state file `submit.sh` reads, in the plan directory (rewritten before every call).
    static let slurmJobsStateName = "slurm/submit-state.txt"

    /// What a per-job submission has queued so far: the SLURM id of every job submitted, in order.
    struct SlurmJobsProgress {
        /// Each submitted job's SLURM id.
        private(set) var ids: [String: String] = [:]
        /// The SLURM ids in the order they were submitted.
        private(set) var slurmIDs: [String] = []

        mutating func add(_ submitted: [(job: String, id: String)]) {
            for (job, id) in submitted where ids[job] == nil {
                ids[job] = id
                slurmIDs.append(id)
            }
        }

        /// How many of the jobs that `states` does not have done were never submitted.
        func unsubmitted(in states: [String: JobState]) -> Int {
            states.filter { $0.value != .done && ids[$0.key] == nil }.count
        }
    }

    /// Checks as for allocation mode, then submits the jobs not done in redis through `slurm/submit.sh` and
    /// records the hand-off (target `slurm-jobs`, every SLURM id); with `follow`, goes on submitting as jobs leave
    /// the queue until every job that can still run is submitted, recording the ids after each call.
    /// - Returns: The recorded hand-off, and the number of jobs left out because a parent failed.
    /// - Throws: ``InputError`` (exit 2): the checks of ``checkSlurmSubmission``, more jobs than `max_submit`
    ///   without `follow`; ``CommandFailure`` (exit 1) for an earlier hand-off that still goes on (SLURM jobs of an
    ///   earlier submission still queued, ``checkSlurmSubmission``), or when sbatch or redis fails (what was queued
    ///   before is recorded).
    static func submitSlurmJobs(
        _ plan: PlanFile, cluster: Cluster, clusterFile: String?, resolver: RedisResolver, check: Bool,
        follow: Bool, logger: Logger
    ) async throws -> (handOff: HandOff?, held: Int) {
        let (slurm, endpoint) = try await checkSlurmSubmission(
            plan, cluster: cluster, clusterFile: clusterFile, resolver: resolver, check: check, logger: logger)
        let namespace = plan.namespace
        let queue = SlurmQueue()
        // The states and where the event stream stands, in one visit: the events after it wake --follow.
        let (initialStates, firstEvent) = try await SubmitCommand.withStore(endpoint, namespace) {
            store throws(StoreError) in (try store.states(), try store.lastEventID())
        }
        let waiting = initialStates.filter { $0.value != .done }.count
        guard waiting > 0 else { return (nil, 0) }
        if waiting > slurm.maxSubmit && !follow {
            throw InputError(
                .invalidValue,
                "\(Format.count(waiting, "job")) to submit, more than the cluster file's slurm: max_submit "
                    + "(\(slurm.maxSubmit)) allows in the queue at once; nothing was submitted.",
                fix: "Submit with --follow (it submits \(slurm.maxSubmit) and more as earlier ones leave the queue, "
                    + "staying until every job is submitted), or raise max_submit up to what the site allows.",
                file: clusterFile)
        }
        // A stop signal is taken between two calls of submit.sh, never during one: submit.sh runs in a process
        // group of its own, so it would go on queueing jobs that nothing records.
        SignalPipe.install()
        defer { SignalPipe.uninstall() }
        let submittedAt = UTCTime.now()
        var progress = SlurmJobsProgress()
        var lastEvent = firstEvent
        var states = initialStates
        var inQueue = Set<String>()
        var lastRefresh = ContinuousClock.now
        while true {
            let limit = slurm.maxSubmit - inQueue.count
            var batch: [(job: String, id: String)] = []
            if limit > 0 {
                let stateFile = plan.directory + "/" + slurmJobsStateName
                try writeStateFile(stateFile, states: states, progress: progress, inQueue: inQueue)
                let result: SlurmQueue.JobsSubmission
                do {
                    result = try await queue.submitJobs(
                        script: plan.directory + "/slurm/submit.sh", stateFile: stateFile, limit: limit,
                        timeout: .seconds(60 + limit))
                } catch {
                    throw CommandFailure(status: 1, "\(error)")
                }
                batch = result.submitted
                progress.add(batch)
                inQueue.formUnion(batch.map(\.id))
                if !batch.isEmpty || result.failure != nil {
                    let record = HandOff(
                        target: .slurmJobs, submitted: submittedAt, planDirectory: plan.directory,
                        ids: progress.slurmIDs)
                    try await record.record(
                        endpoint: endpoint, namespace: namespace,
                        submitted: "\(Format.count(record.ids.count, "SLURM job")) were submitted",
                        undo: "Cancel them with scancel --name=clustmake-\(namespace) if they should not run.")
                }
                if let failure = result.failure {
                    throw CommandFailure(
                        status: 1,
                        "\(failure); \(Format.count(progress.slurmIDs.count, "job")) were submitted and recorded. "
                            + "Submit again to submit the rest.")
                }
                logger.info("submitted \(batch.count) jobs, \(inQueue.count) in the queue")
            }
            let unsubmitted = progress.unsubmitted(in: states)
            if !follow || unsubmitted == 0 { break }
            // Nothing of ours queued and nothing submitted: the rest waits on a parent that failed.
            if batch.isEmpty && inQueue.isEmpty && limit > 0 {
                return (recorded(progress, plan: plan, at: submittedAt), unsubmitted)
            }
            // Wake on the workers' events (a job ending), or after a while for jobs SLURM removed.
            let after = lastEvent
            let events = try await SubmitCommand.withStore(endpoint, namespace) { store throws(StoreError) in
                try store.waitForEvents(after: after, timeout: .seconds(2))
            }
            if let last = events.last { lastEvent = last.id }
            // At most one refresh (one squeue) a second, however fast the events come.
            let since = ContinuousClock.now - lastRefresh
            if since < .seconds(1) { try await Task.sleep(for: .seconds(1) - since) }
            lastRefresh = ContinuousClock.now
            if SignalPipe.drain().contains(where: SignalPipe.stopSignals.contains) {
                throw CommandFailure(
                    status: 130,
                    "interrupted: \(Format.count(progress.slurmIDs.count, "job")) submitted and recorded, "
                        + "\(unsubmitted) not; submit again (with --follow) to submit the rest.")
            }
            // The queue first, then redis: a job that leaves the queue after this call is still counted queued,
            // and one that left before has its outcome in redis already.
            // Only the ids still queued at the last look (and those just submitted): SLURM never gives an id twice,
            // so one that left the queue is not asked about again.
            inQueue = Set(try await queueEntries(queue, ids: progress.slurmIDs.filter(inQueue.contains)).map(\.id))
            states = try await SubmitCommand.withStore(endpoint, namespace) { store throws(StoreError) in
                try store.states()
            }
        }
        let held = progress.unsubmitted(in: states)
        return (recorded(progress, plan: plan, at: submittedAt), held)
    }

    private static func recorded(_ progress: SlurmJobsProgress, plan: PlanFile, at time: UTCTime) -> HandOff? {
        progress.slurmIDs.isEmpty
            ? nil
            : HandOff(target: .slurmJobs, submitted: time, planDirectory: plan.directory, ids: progress.slurmIDs)
    }

    /// The queue's entries of `ids`, from one `squeue` call.
    static func queueEntries(_ queue: SlurmQueue, ids: [String]) async throws -> [SlurmQueue.Entry] {
        do {
            return try await queue.entries(ids: ids)
        } catch {
            throw CommandFailure(status: 1, "\(error)")
        }
    }

    /// Writes what `submit.sh` leaves out: jobs done in redis; jobs submitted and still queued (their SLURM id);
    /// jobs submitted that left the queue without being done, which their children can no longer wait for.
    private static func writeStateFile(
        _ path: String, states: [String: JobState], progress: SlurmJobsProgress, inQueue: Set<String>
    ) throws {
        var text = ""
        // Ids come from redis: only valid ones reach the file, one per line.
        for (job, state) in states.sorted(by: { $0.key < $1.key }) where JobID.problem(with: job) == nil {
            if state == .done {
                text += "done \(job)\n"
            } else if let id = progress.ids[job] {
                text += inQueue.contains(id) ? "queued \(job) \(id)\n" : "held \(job)\n"
            }
        }
        do {
            try FileSystem.removeTree(path)
            // Read by submit.sh at once and written again on every round: no fsync.
            try FileSystem.writeFile(Array(text.utf8), to: path, mode: 0o644, durable: false)
        } catch {
            throw CommandFailure(status: 1, "cannot write the submission state: \(error)")
        }
    }
}

extension SubmitCommand {
    /// `clustmake submit` of a plan for `slurm-jobs`: ``HandOff/submitSlurmJobs``, then a summary.
    func submitSlurmJobs(_ plan: PlanFile, cluster given: Cluster, resolver: RedisResolver) async throws {
        let (handOff, held) = try await HandOff.submitSlurmJobs(
            plan, cluster: given, clusterFile: cluster.cluster, resolver: resolver, check: !noCheck, follow: follow,
            logger: logging.logger(label: "clustmake.submit"))
        let options = ShellQuote.join(
            ["--namespace", plan.namespace] + (cluster.cluster.map { ["--cluster", $0] } ?? []))
        guard let handOff else {
            print("Nothing to submit: every job of namespace \(plan.namespace) is done in redis.")
            return
        }
        let ids = handOff.ids
        let range = ids.count == 1 ? ids[0] : "\(ids[0])…\(ids[ids.count - 1])"
        print(
            "Submitted \(Format.count(ids.count, "SLURM job")) (\(range)), one per job, of namespace \(plan.namespace)"
                + (held > 0 ? "; \(Format.count(held, "job")) not submitted: a parent failed" : "")
                + ": clustmake status \(options) shows them, clustmake cancel \(options) cancels them.")
    }
}

extension HandOff {
    /// The jobs that have not started and never will under SLURM: a parent (or an ancestor) failed, was blocked,
    /// lost or interrupted, so SLURM removed their jobs from the queue (`--kill-on-invalid-dep`) before their
    /// workers could record them blocked. In the snapshot's order (the graph's).
    /// - Parameter jobs: The jobs of a namespace as ``NamespaceSnapshot`` read them: ids, dependencies, states.
    static func waitingOnFailure(_ jobs: [NamespaceSnapshot.Job]) -> [String] {
        var position: [String: Int] = [:]
        position.reserveCapacity(jobs.count)
        for (index, job) in jobs.enumerated() { position[job.id] = index }
        var successors = [[Int]](repeating: [], count: jobs.count)
        var hopeless = [Bool](repeating: false, count: jobs.count)
        var pending: [Int] = []
        for (index, job) in jobs.enumerated() {
            for dependency in job.deps { if let parent = position[dependency] { successors[parent].append(index) } }
            switch job.status.state {
            case .failed, .blocked, .lost, .interrupted:
                hopeless[index] = true
                pending.append(index)
            case .notStarted, .inProgress, .done: break
            }
        }
        // Hope is lost downstream of them, through jobs that have not started (one running or done has its result).
        var found: [Int] = []
        while let index = pending.popLast() {
            for successor in successors[index] where !hopeless[successor] && jobs[successor].status.state == .notStarted
            {
                hopeless[successor] = true
                found.append(successor)
                pending.append(successor)
            }
        }
        return found.sorted().map { jobs[$0].id }
    }

    /// What `clustmake status` shows of a per-job hand-off: the queue's states of its jobs counted, from one
    /// `squeue` call, and the jobs that wait on a failed parent (from redis), shown blocked rather than pending.
    static func slurmJobsQueueLines(
        _ handOff: HandOff, entries: [SlurmQueue.Entry]?, error: String?, blocked: [String]
    ) -> [String] {
        var lines: [String] = []
        if let entries {
            var running = 0
            var pending: [String: Int] = [:]
            var never = 0
            for entry in entries {
                if entry.state == "PENDING" {
                    if entry.reason == "DependencyNeverSatisfied" {
                        never += 1
                    } else {
                        pending[entry.reason, default: 0] += 1
                    }
                } else {
                    running += 1
                }
            }
            let waiting = pending.values.reduce(0, +)
            let reasons = pending.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append(
                "  SLURM jobs: \(handOff.ids.count) submitted, \(entries.count) in the queue: running \(running), "
                    + "pending \(waiting)\(reasons.isEmpty ? "" : " (\(reasons))")"
                    + (never > 0 ? ", never to run \(never)" : "") + "; "
                    + "\(handOff.ids.count - entries.count) left the queue")
        } else {
            lines.append("  SLURM jobs: \(handOff.ids.count) submitted; the queue cannot be read: \(error ?? "")")
        }
        if !blocked.isEmpty {
            let shown = blocked.prefix(10).joined(separator: ", ") + (blocked.count > 10 ? ", …" : "")
            lines.append(
                "  blocked: \(Format.count(blocked.count, "job")) wait on a failed parent and will not run "
                    + "(SLURM removed them from the queue): \(shown)")
        }
        return lines
    }
}

extension HandOff {
    /// The ids for a message: all of them when there are a few, else the first and the last and how many (a
    /// per-job hand-off may have thousands).
    func idsText(separator: String) -> String {
        ids.count <= 5 ? ids.joined(separator: separator) : "\(ids[0])…\(ids[ids.count - 1]) (\(ids.count))"
    }
}
