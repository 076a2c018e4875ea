public import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem

/// `clustmake push`: loading a graph into the namespace.
extension JobStore {
    /// How many times a push starts over when jobs start or finish while it computes its changes.
    static let pushAttempts = 10

    /// How many jobs' writes a push groups into one command where redis takes many keys or members at once.
    static let pushGroup = 500

    /// Writes `graph` into the namespace as one transaction: all jobs or none.
    ///
    /// Pushing the graph that is already there writes nothing. Otherwise the report says what changed: new and
    /// removed jobs, jobs whose command (command, working directory, environment) or dependencies changed, jobs
    /// whose other settings changed. A job whose command or dependencies changed, and every job downstream of it,
    /// is no longer up to date (as in compmake): it goes back to ``JobState/notStarted``. A push that would change,
    /// remove or invalidate a job in progress now is refused unless `force` is set; a forced push leaves running
    /// attempts alone, and their results are then not taken as up to date (or, for removed jobs, not recorded).
    ///
    /// The transaction watches the namespace's running set, so a job that starts or finishes while the push
    /// computes its changes makes it start over (up to ``pushAttempts`` times).
    /// - Parameters:
    ///   - graph: The graph.
    ///   - force: Push even if jobs in progress are affected.
    ///   - dryRun: Compute the report but write nothing.
    ///   - pushedBy: The clustmake version, recorded in the metadata.
    ///   - progress: For a namespace that does not exist yet: make it first and write the jobs in the progress's
    ///     order, saying how far the push got (``PushProgress``). A namespace that exists is pushed as without it.
    /// - Returns: What changed; ``PushReport/wrote`` says whether anything was written.
    /// - Throws: ``StoreError``: ``StoreError/Code/pushRefused`` (the message names the running jobs),
    ///   ``StoreError/Code/schemaMismatch``, ``StoreError/Code/busy``, ``StoreError/Code/corruptRecord``, or redis
    ///   trouble.
    @discardableResult
    public func push(
        _ graph: JobGraph, force: Bool = false, dryRun: Bool = false, pushedBy: String, progress: PushProgress? = nil
    ) throws(StoreError) -> PushReport {
        for _ in 0..<Self.pushAttempts {
            if let report = try pushOnce(graph, force: force, dryRun: dryRun, pushedBy: pushedBy, progress: progress) {
                return report
            }
        }
        throw StoreError(
            .busy,
            "jobs of namespace '\(namespace)' kept starting and finishing while the push computed its changes "
                + "(\(Self.pushAttempts) tries); push again, or when fewer jobs are running")
    }

    /// One try; `nil` when the transaction was aborted because the running set changed.
    private func pushOnce(
        _ graph: JobGraph, force: Bool, dryRun: Bool, pushedBy: String, progress: PushProgress?
    ) throws(StoreError) -> PushReport? {
        _ = try command(
            ["WATCH", RedisArgument(keys.schema), RedisArgument(keys.running), RedisArgument(keys.pushing)],
            "watching the namespace")
        var watching = true
        defer { if watching { _ = try? connection.command("UNWATCH") } }

        let recorded = try namespaceOnRecord()
        if recorded.beingPushed { throw Self.firstPushBusy(namespace) }
        // The graph's fingerprint, hashed once, when first needed (0.8 s for a million jobs).
        var hashed: String?
        func fingerprint() -> String {
            if let hashed { return hashed }
            let value = graph.fingerprint
            hashed = value
            return value
        }
        let stored = recorded.exists ? try storedFingerprints() : StoredFingerprints()
        if stored.holds(fingerprint(), pushedBy: pushedBy) {
            return PushReport(namespace: namespace, jobCount: graph.count, createdNamespace: false)
        }
        let old = try recorded.exists ? readExisting() : ExistingGraph()
        let now = UTCTime.now().iso8601

        var report = PushReport(namespace: namespace, jobCount: graph.count, createdNamespace: !recorded.exists)
        // What each job needs (see `JobWrite`); its commands are built only as the transaction is sent, a batch at
        // a time, so a push of a million jobs does not hold millions of commands at once.
        var jobWrites = [JobWrite](repeating: .none, count: graph.count)
        var changedRoots: [Int] = []
        for (index, job) in graph.jobs.enumerated() {
            guard let stored = old.fields[job.id] else {
                report.added.append(job.id)
                jobWrites[index] = .added
                continue
            }
            let fields = JobCodec.fields(of: job, index: index, dependents: Self.dependents(of: index, in: graph))
            guard !Self.same(fields, stored) else { continue }
            let previous = try JobCodec.decode(stored, key: keys.job(job.id)).job
            var differs = false
            if previous.command != job.command || previous.cwd != job.cwd || previous.env != job.env {
                report.changedCommand.append(job.id)
                differs = true
            }
            if Set(previous.deps) != Set(job.deps) {
                report.changedDependencies.append(job.id)
                differs = true
            }
            if differs { changedRoots.append(index) }
            if previous.cost != job.cost || previous.nice != job.nice || previous.cores != job.cores
                || previous.memory != job.memory || previous.retries != job.retries
                || previous.timeout != job.timeout || previous.tags != job.tags
            {
                report.changedSettings.append(job.id)
            }
            report.rewritten = true
            jobWrites[index] = .rewritten
        }
        // The writes after the jobs' own: as many as jobs changed or removed.
        var writes: [[RedisArgument]] = []
        report.removed = old.ids.filter { graph.index(of: $0) == nil }

        // The changed jobs and everything downstream of them are no longer up to date.
        var affected = [Bool](repeating: false, count: graph.count)
        var queue = changedRoots
        for root in changedRoots { affected[root] = true }
        while let node = queue.popLast() {
            for next in graph.successors[node] where !affected[Int(next)] {
                affected[Int(next)] = true
                queue.append(Int(next))
            }
        }
        for index in graph.jobs.indices where affected[index] {
            let id = graph.jobs[index].id
            guard let state = old.states[id], state != .notStarted else { continue }
            if old.live.contains(id) {
                report.running.append(id)
                continue
            }
            if state == .inProgress { continue }
            if state == .done { report.invalidated.append(id) }
            writes.append(["HSET", RedisArgument(keys.states), RedisArgument(id), "not-started"])
            writes.append([
                "HSET", RedisArgument(keys.status(id)), "reason",
                "no longer up to date: its command or dependencies, or those of a job upstream, changed", "updated",
                RedisArgument(now),
            ])
        }
        for id in report.removed {
            if old.live.contains(id) { report.running.append(id) }
            var doomed = [keys.job(id), keys.status(id), keys.lease(id)]
            for attempt in stride(from: 1, through: old.attempts[id] ?? 0, by: 1) {
                doomed += [
                    keys.attempt(id, attempt), keys.output(id, attempt, .stdout), keys.output(id, attempt, .stderr),
                    keys.summary(id, attempt),
                ]
            }
            writes.append(["DEL"] + doomed.map { RedisArgument($0) })
            writes.append(["HDEL", RedisArgument(keys.states), RedisArgument(id)])
            writes.append(["HDEL", RedisArgument(keys.definitions), RedisArgument(id)])
            writes.append(["HDEL", RedisArgument(keys.outcomes), RedisArgument(id)])
            writes.append(["ZREM", RedisArgument(keys.jobs), RedisArgument(id)])
            writes.append(["SREM", RedisArgument(keys.running), RedisArgument(id)])
        }

        if !report.running.isEmpty && !force {
            let shown = report.running.prefix(20).map { "'\($0)'" }.joined(separator: ", ")
            let more = report.running.count > 20 ? " and \(report.running.count - 20) more" : ""
            throw StoreError(
                .pushRefused,
                "the push would change, remove or invalidate \(report.running.count) job(s) of namespace "
                    + "'\(namespace)' that are running now: \(shown)\(more). Wait for them to finish, stop them, or "
                    + "push the graph with `clustmake push --force` (their results will then not count as up to date)")
        }
        // Copies out of step with the definitions (``StoredFingerprints/copiesInStep``): this push writes every job's.
        let copiesInStep = stored.copiesInStep
        if dryRun || (report.isUnchanged && copiesInStep) { return report }
        let written = graph.jobs.indices.filter { jobWrites[$0] != .none }
        if !recorded.exists {
            // pushFresh keeps or ends the watch itself.
            watching = false
            return try pushFresh(
                graph, jobs: progress.map { $0.order.map(Int.init) } ?? written, report: report, now: now,
                pushedBy: pushedBy, fingerprint: fingerprint, progress: progress)
        }

        var transaction = TransactionSender(connection: connection, batchSize: Self.batchSize)
        let replies: RedisReply?
        do {
            try transaction.append(["MULTI"])
            let metadata =
                namespaceWrites(graph, now: now) + pushWrites(now: now, pushedBy: pushedBy, fingerprint: fingerprint())
            for command in metadata { try transaction.append(command) }
            // Copies out of step are all written again, none of another graph's left.
            if !copiesInStep { try transaction.append(["DEL", RedisArgument(keys.definitions)]) }
            for start in stride(from: 0, to: written.count, by: Self.pushGroup) {
                let group = written[start..<min(start + Self.pushGroup, written.count)]
                let added = group.filter { jobWrites[$0] == .added }
                for command in groupWrites(graph, group, added: added) { try transaction.append(command) }
            }
            if !copiesInStep {
                let unwritten = graph.jobs.indices.filter { jobWrites[$0] == .none }
                for start in stride(from: 0, to: unwritten.count, by: Self.pushGroup) {
                    try transaction.append(
                        copyWrite(graph, unwritten[start..<min(start + Self.pushGroup, unwritten.count)]))
                }
            }
            for write in writes { try transaction.append(write) }
            try transaction.append(pushedEvent(graph, report, now: now))
            try transaction.append(["EXEC"])
            replies = try transaction.finish()
        } catch {
            throw StoreError.wrapping(error, "writing the graph of namespace '\(namespace)'")
        }
        watching = false
        guard let last = replies else { return nil }
        if last.isNull { return nil }
        if let message = last.errorMessage {
            throw StoreError(.redis, "redis refused the push transaction of namespace '\(namespace)': \(message)")
        }
        report.wrote = true
        return report
    }

    /// How long a first push's ``StoreKeys/pushing`` key lives unless renewed (with every batch): how long a first
    /// push that died keeps others from pushing the namespace.
    static let firstPushTTL = 60_000

    /// A push into a namespace that does not exist yet (no schema key): the jobs' writes are sent in pipelined
    /// batches that redis runs as they come, while the next batch is built, rather than queued in one transaction
    /// that redis runs only at its end; the namespace then comes into being in one small transaction with its
    /// schema key, its metadata and the `graph-pushed` event. Until that transaction, every reader and worker finds
    /// no namespace (each checks the schema key first), as before a push.
    ///
    /// Only one first push writes at a time: it holds the namespace's `pushing` key (`SET NX PX`), and every batch
    /// is a `MULTI`/`EXEC` of its writes and the key's renewal, sent only after a `WATCH` of the `pushing` and
    /// schema keys found the key holding this push's token and the schema key absent: a batch whose keys changed
    /// meanwhile runs nothing. The final transaction, under the same watch, deletes the key and creates the
    /// namespace. Holding it, the push first deletes what a first push that died left (the states, the job list
    /// and the metadata; definitions are rewritten). Another first push of the namespace meanwhile is refused as
    /// busy; one that finds the namespace created meanwhile starts over against it (returns `nil`).
    ///
    /// The wire, one batch ahead: `MULTI`, batch k's writes and `PEXPIRE` are sent (redis queues them) together
    /// with reading batch k-1's `EXEC` and the `WATCH`, `GET`, `EXISTS` after it; when those say the push still
    /// holds the namespace, `EXEC` of batch k goes out with the next watch, and redis runs batch k while batch k+1
    /// is built.
    ///
    /// With a `progress` (a run that dispatches jobs as they are written), the first transaction also makes the
    /// namespace (its schema key and metadata, without the fingerprint), the jobs are written in the progress's
    /// order, and each batch found written is counted there. From then on the watch expects the schema key to
    /// exist, and losing the namespace is an error rather than a new start: jobs may be running already.
    private func pushFresh(
        _ graph: JobGraph, jobs written: [Int], report: PushReport, now: String, pushedBy: String,
        fingerprint: () -> String, progress: PushProgress?
    ) throws(StoreError) -> PushReport? {
        _ = try? connection.command("UNWATCH")
        var report = report
        let doing = "writing the graph of namespace '\(namespace)'"
        let token = "push/" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let pushing = RedisArgument(keys.pushing)
        let schema = RedisArgument(keys.schema)
        let ttl = RedisArgument(String(Self.firstPushTTL))
        let taken = try pipeline([["SET", pushing, RedisArgument(token), "NX", "PX", ttl], ["GET", schema]], doing)
        guard !taken[0].isNull else { throw Self.firstPushBusy(namespace) }
        // Released (if still its own: a compare-and-delete) unless the namespace was created.
        var holding = true
        defer { if holding { _ = try? releaseFirstPush(token) } }
        // Created meanwhile by a push that finished: start over against it.
        guard taken[1].isNull else { return nil }
        let watch: [[RedisArgument]] = [["WATCH", pushing, schema], ["GET", pushing], ["EXISTS", schema]]
        func exchange(_ commands: [[RedisArgument]], reading: Int) throws(StoreError) -> [RedisReply] {
            do {
                return try connection.sendReceivingEarlier(commands, earlier: reading)
            } catch {
                throw StoreError.wrapping(error, doing)
            }
        }
        func refused(_ message: String) -> StoreError {
            StoreError(.redis, "redis refused a write of the graph of namespace '\(namespace)': \(message)")
        }
        /// What the replies owed say: those of the last batch (`OK` of `MULTI`, a `QUEUED` per command, then `EXEC`'s
        /// results), if any, then the watch's.
        func outcome(_ replies: [RedisReply], afterBatch: Bool) -> FirstPushBatch {
            if let message = replies.lazy.compactMap(\.errorMessage).first { return .refused(message) }
            if afterBatch {
                // `nil` instead of the results: a watched key changed, and the batch ran nothing.
                guard case .array(let results) = replies[replies.count - watch.count - 1] else { return .lost }
                if let message = results.lazy.compactMap(\.errorMessage).first { return .refused(message) }
            }
            // A progressive push made the schema key in its first batch.
            let schemaExpected: Int64 = progress != nil && afterBatch ? 1 : 0
            let held =
                replies[replies.count - 2].string == token && replies[replies.count - 1].integer == schemaExpected
            return held ? .holding : .lost
        }
        /// Jobs of `written` in the batch sent last (its outcome is read with the next exchange), and before it.
        var sentLast = 0
        var confirmed = 0
        /// The batch sent last was found written: counted in `progress`.
        func counted() {
            guard let progress else { return }
            if !progress.isCreated {
                progress.markCreated()
            } else if sentLast > 0 {
                confirmed += sentLast
                progress.markWritten(confirmed)
            }
            sentLast = 0
        }
        /// Losing the namespace once a run dispatches its jobs cannot be mended by starting over.
        func lostAfterCreation() -> StoreError {
            StoreError(
                .busy,
                "namespace '\(namespace)' changed while this run wrote its graph (another push or a deletion took it "
                    + "over); its jobs are not all written: run again")
        }
        /// Sends `commands` now; their replies are read with the next exchange.
        func sendAhead(_ commands: [[RedisArgument]]) throws(StoreError) {
            do { try connection.send(commands) } catch { throw StoreError.wrapping(error, doing) }
        }
        try sendAhead(watch)
        /// Replies redis owes: those of the last batch (none before the first), then the watch's.
        var owed = watch.count
        var afterBatch = false
        /// Sends one batch as a transaction under the watch sent before it; its `EXEC` goes out once the replies
        /// owed say that the push still holds the namespace, and its replies are read with the next batch's.
        func send(_ writes: [[RedisArgument]]) throws(StoreError) {
            let queued = [["MULTI"]] + writes + [["PEXPIRE", pushing, ttl]]
            let verdict = outcome(try exchange(queued, reading: owed), afterBatch: afterBatch)
            guard case .holding = verdict else {
                // The transaction just opened is discarded, its replies read: the connection stays in step.
                _ = try? connection.sendReceivingEarlier([["DISCARD"], ["UNWATCH"]], earlier: queued.count + 2)
                owed = 0
                if case .refused(let message) = verdict { throw refused(message) }
                if progress?.isCreated == true { throw lostAfterCreation() }
                throw StoreError(
                    .busy,
                    "another push took over namespace '\(namespace)' while this one wrote it for the first time "
                        + "(this push was idle for more than \(Self.firstPushTTL / 1000) s); push again")
            }
            if afterBatch { counted() }
            try sendAhead([["EXEC"]] + watch)
            owed = queued.count + 1 + watch.count
            afterBatch = true
        }
        // What a first push that died left: the states, the job list and the metadata (definitions are rewritten),
        // and outcome copies of a namespace of that name deleted by hand. A progressive push makes the namespace in
        // the same transaction.
        try send(
            [
                [
                    "DEL", RedisArgument(keys.states), RedisArgument(keys.jobs), RedisArgument(keys.meta),
                    RedisArgument(keys.definitions), RedisArgument(keys.outcomes),
                ]
            ]
                + (progress == nil ? [] : namespaceWrites(graph, now: now)))
        for start in stride(from: 0, to: written.count, by: Self.pushGroup) {
            if progress?.isStopping == true {
                // The batch in flight counts if it was written.
                if let replies = try? exchange([], reading: owed), case .holding = outcome(replies, afterBatch: true) {
                    counted()
                }
                _ = try? connection.command("UNWATCH")
                throw StoreError(
                    .busy,
                    "the push of namespace '\(namespace)' was stopped with \(Format.count(confirmed, "job")) of "
                        + "\(graph.count) written; push the graph again (or run it) to write the rest")
            }
            let group = written[start..<min(start + Self.pushGroup, written.count)]
            try send(groupWrites(graph, group, added: Array(group)))
            sentLast = group.count
        }
        // The namespace comes into being (or, made already, is complete), under the last watch, if this push still
        // holds the `pushing` key and nothing created the namespace; else the push starts over.
        switch outcome(try exchange([], reading: owed), afterBatch: afterBatch) {
        case .holding: counted()
        case .lost:
            _ = try? connection.command("UNWATCH")
            if progress?.isCreated == true { throw lostAfterCreation() }
            return nil
        case .refused(let message):
            _ = try? connection.command("UNWATCH")
            throw refused(message)
        }
        let created = try pipeline(
            [["MULTI"]] + namespaceWrites(graph, now: now)
                + pushWrites(now: now, pushedBy: pushedBy, fingerprint: fingerprint())
                + [pushedEvent(graph, report, now: now), ["DEL", pushing], ["EXEC"]], doing
        ).last
        guard let created, !created.isNull else {
            if progress?.isCreated == true { throw lostAfterCreation() }
            return nil
        }
        holding = false
        report.wrote = true
        return report
    }

    /// The refusal of a push while another push (or a run) writes the namespace for the first time.
    static func firstPushBusy(_ namespace: String) -> StoreError {
        StoreError(
            .busy,
            "another push (or a run) is writing namespace '\(namespace)' for the first time now; push again when it "
                + "is done (or, if it died, after \(firstPushTTL / 1000) s)")
    }

    /// Deletes the `pushing` key if it still holds `token` (a first push that gives up): a compare-and-delete, the
    /// transaction running only if the key did not change since it was read.
    private func releaseFirstPush(_ token: String) throws(StoreError) {
        let doing = "releasing the first push of namespace '\(namespace)'"
        let read = try pipeline(
            [["WATCH", RedisArgument(keys.pushing)], ["GET", RedisArgument(keys.pushing)]], doing)
        guard read[1].string == token else {
            _ = try? connection.command("UNWATCH")
            return
        }
        _ = try pipeline([["MULTI"], ["DEL", RedisArgument(keys.pushing)], ["EXEC"]], doing)
    }

    /// The namespace's own writes: its schema key and the metadata that makes it a namespace.
    private func namespaceWrites(_ graph: JobGraph, now: String) -> [[RedisArgument]] {
        [
            ["SET", RedisArgument(keys.schema), RedisArgument(StoreSchema.version)],
            ["HSETNX", RedisArgument(keys.meta), "created", RedisArgument(now)],
            [
                "HSET", RedisArgument(keys.meta), "namespace", RedisArgument(namespace), "jobs",
                RedisArgument(graph.count),
            ],
        ]
    }

    /// The metadata a push records once every job is written: the graph's fingerprint (by which the next push
    /// knows the graph is there whole), when and by what it was pushed, and one more push.
    private func pushWrites(now: String, pushedBy: String, fingerprint: String) -> [[RedisArgument]] {
        [
            [
                "HSET", RedisArgument(keys.meta), "fingerprint", RedisArgument(fingerprint), "definitions",
                RedisArgument(fingerprint), "pushed", RedisArgument(now), "pushed_by", RedisArgument(pushedBy),
            ],
            ["HINCRBY", RedisArgument(keys.meta), "pushes", "1"],
        ]
    }

    /// The writes of a group of at most ``pushGroup`` jobs: one HSET of the new jobs' (`added`) states, one DEL of
    /// the definitions, an HSET of each definition, one HSET of their copies (``StoreKeys/definitions``) and one
    /// ZADD of their places in the job list.
    private func groupWrites(_ graph: JobGraph, _ group: ArraySlice<Int>, added: [Int]) -> [[RedisArgument]] {
        var commands: [[RedisArgument]] = []
        commands.reserveCapacity(group.count + 4)
        var copied: [(id: String, fields: [(String, String)])] = []
        copied.reserveCapacity(group.count)
        if !added.isEmpty {
            commands.append(
                ["HSET", RedisArgument(keys.states)]
                    + added.flatMap { [RedisArgument(graph.jobs[$0].id), "not-started"] })
        }
        commands.append(["DEL"] + group.map { RedisArgument(keys.job(graph.jobs[$0].id)) })
        for index in group {
            let fields = JobCodec.fields(
                of: graph.jobs[index], index: index, dependents: Self.dependents(of: index, in: graph))
            commands.append(
                ["HSET", RedisArgument(keys.job(graph.jobs[index].id))]
                    + fields.flatMap { [RedisArgument($0.0), RedisArgument($0.1)] })
            copied.append((graph.jobs[index].id, fields))
        }
        commands.append(copyWrite(copied))
        commands.append(
            ["ZADD", RedisArgument(keys.jobs)]
                + group.flatMap { [RedisArgument($0), RedisArgument(graph.jobs[$0].id)] })
        return commands
    }

    /// The `HSET` of the definition copies (``StoreKeys/definitions``) of the jobs at `group`, whose hashes are
    /// not rewritten.
    private func copyWrite(_ graph: JobGraph, _ group: ArraySlice<Int>) -> [RedisArgument] {
        copyWrite(group.map { (graph.jobs[$0].id, JobCodec.fields(of: graph.jobs[$0], index: $0, dependents: [])) })
    }

    /// The `HSET` of the definition copies of `jobs`, each given with its hash's fields as
    /// ``JobCodec/fields(of:index:dependents:)`` makes them: the values of ``copiedDefinitionFields`` among them,
    /// packed (``PackedValues``).
    private func copyWrite(_ jobs: [(id: String, fields: [(String, String)])]) -> [RedisArgument] {
        var command: [RedisArgument] = ["HSET", RedisArgument(keys.definitions)]
        command.reserveCapacity(2 + 2 * jobs.count)
        for (id, fields) in jobs {
            command.append(RedisArgument(id))
            command.append(
                RedisArgument(
                    PackedValues.pack(Self.copiedDefinitionFields.map { name in fields.first { $0.0 == name }?.1 })))
        }
        return command
    }

    /// The `graph-pushed` event of a push.
    private func pushedEvent(_ graph: JobGraph, _ report: PushReport, now: String) -> [RedisArgument] {
        appendEvent([
            ("event", "graph-pushed"), ("jobs", String(graph.count)), ("added", String(report.added.count)),
            ("removed", String(report.removed.count)),
            ("changed", String(Set(report.changedCommand + report.changedDependencies).count)),
            ("invalidated", String(report.invalidated.count)), ("time", now),
        ])
    }

    /// What a push writes for one job of the graph.
    private enum JobWrite: UInt8 {
        /// Its definition is stored as it is now.
        case none
        /// A new job: its definition, its place in the job list and its `not-started` state.
        case added
        /// A job whose definition changed: the definition and its place in the job list.
        case rewritten
    }

    /// The ids of the jobs that depend on the job at `index`.
    private static func dependents(of index: Int, in graph: JobGraph) -> [String] {
        graph.successors[index].map { graph.jobs[Int($0)].id }
    }

    /// How long a push waits for the reply to its `EXEC`, which runs every queued command at once: the store's
    /// command timeout, plus 0.1 ms per queued command (130 s for a million new jobs with the default 30 s), so that
    /// a large push on a busy server is not taken for a lost connection.
    public static func transactionTimeout(commandTimeout: Duration?, queued: Int) -> Duration? {
        commandTimeout.map { $0 + .microseconds(100) * max(0, queued) }
    }

    /// Sends a MULTI … EXEC transaction in pipelined batches as its commands are appended, so that at most one
    /// batch of commands is held at a time; the last batch, with `EXEC`, waits ``transactionTimeout(commandTimeout:queued:)``.
    private struct TransactionSender {
        let connection: RedisConnection
        let batchSize: Int
        var batch: [[RedisArgument]] = []
        var queued = 0

        init(connection: RedisConnection, batchSize: Int) {
            self.connection = connection
            self.batchSize = batchSize
            batch.reserveCapacity(batchSize)
        }

        mutating func append(_ command: [RedisArgument]) throws(RedisError) {
            if batch.count == batchSize {
                _ = try connection.pipeline(batch)
                batch.removeAll(keepingCapacity: true)
            }
            batch.append(command)
            queued += 1
        }

        /// Sends the last batch; returns its last reply (`EXEC`'s), `nil` when nothing was appended.
        mutating func finish() throws(RedisError) -> RedisReply? {
            guard !batch.isEmpty else { return nil }
            let timeout = JobStore.transactionTimeout(commandTimeout: connection.commandTimeout, queued: queued)
            return try connection.pipeline(batch, timeout: timeout).last
        }
    }

    /// Whether the fields about to be written equal the stored hash.
    private static func same(_ fields: [(String, String)], _ stored: [String: String]) -> Bool {
        guard fields.count == stored.count else { return false }
        return fields.allSatisfy { stored[$0.0] == $0.1 }
    }

    /// What a push compares against.
    private struct ExistingGraph {
        var ids: [String] = []
        var fields: [String: [String: String]] = [:]
        var states: [String: JobState] = [:]
        var attempts: [String: Int] = [:]
        /// Jobs in progress whose lease is alive.
        var live: Set<String> = []
    }

    /// What the metadata says of the last push that wrote the namespace: the graph's fingerprint, the one its
    /// definition copies were written for (``StoreKeys/definitions``; absent when a clustmake before copies wrote
    /// it), and the clustmake version that pushed it.
    ///
    /// A namespace holds a graph already, as this version of clustmake wrote it, when the fingerprint is the graph's,
    /// the copies' fingerprint the same and `pushed_by` this version. Every push that writes sets all three in the
    /// transaction that writes the definitions (a first push: in the one that creates the namespace), and the
    /// fingerprint covers every setting of every job, their order and the namespace, so nothing would be written:
    /// the definitions are not read. Another version's push is compared job by job, as its stored form may differ.
    private struct StoredFingerprints {
        var graph: String?
        var copies: String?
        var pushedBy: String?

        /// Whether the definition copies are those of the definitions: the push that last wrote the definitions wrote
        /// the copies too (a clustmake before copies does not).
        var copiesInStep: Bool { graph != nil && graph == copies }

        /// Whether the namespace holds the graph of `fingerprint` as `pushedBy` writes it: a push of it writes nothing.
        func holds(_ fingerprint: @autoclosure () -> String, pushedBy: String) -> Bool {
            copiesInStep && self.pushedBy == pushedBy && graph == fingerprint()
        }
    }

    /// Whether a push of `graph` by `pushedBy` would write nothing: the namespace holds it already, whole, as this
    /// version writes it (``push(_:force:dryRun:pushedBy:progress:)`` then reports no change). `false` for a namespace
    /// that does not exist or is still being written by a first push.
    /// - Throws: ``StoreError``: ``StoreError/Code/schemaMismatch``, or redis trouble.
    public func holds(_ graph: JobGraph, pushedBy: String) throws(StoreError) -> Bool {
        let recorded = try namespaceOnRecord()
        guard recorded.exists, !recorded.beingPushed else { return false }
        return try storedFingerprints().holds(graph.fingerprint, pushedBy: pushedBy)
    }

    /// Whether the namespace exists (its schema key, which must be this version's) and, if so, whether a first push
    /// is still writing it (a namespace that a run makes while it pushes it, ``PushProgress``, exists before its jobs
    /// are all written).
    /// - Throws: ``StoreError``: ``StoreError/Code/schemaMismatch``, or redis trouble.
    private func namespaceOnRecord() throws(StoreError) -> (exists: Bool, beingPushed: Bool) {
        let read = try pipeline(
            [["GET", RedisArgument(keys.schema)], ["EXISTS", RedisArgument(keys.pushing)]], "reading the schema version"
        )
        guard let found = read[0].string else { return (false, false) }
        if found != String(StoreSchema.version) { throw schemaMismatch(found: found) }
        return (true, read[1].integer == 1)
    }

    private func storedFingerprints() throws(StoreError) -> StoredFingerprints {
        let reply = try command(
            ["HMGET", RedisArgument(keys.meta), "fingerprint", "definitions", "pushed_by"],
            "reading the namespace's fingerprint")
        guard case .array(let values) = reply, values.count == 3 else { return StoredFingerprints() }
        return StoredFingerprints(graph: values[0].string, copies: values[1].string, pushedBy: values[2].string)
    }

    private func readExisting() throws(StoreError) -> ExistingGraph {
        var existing = ExistingGraph()
        existing.ids = try strings(
            try command(["ZRANGE", RedisArgument(keys.jobs), "0", "-1"], "listing the jobs"), "the job list")
        let hashes = try hashes(existing.ids.map(keys.job), "reading the job definitions")
        for (id, fields) in zip(existing.ids, hashes) where !fields.isEmpty { existing.fields[id] = fields }
        for (id, value) in try hash(keys.states, "reading the job states") {
            existing.states[id] = JobState(rawValue: value) ?? .notStarted
        }
        let counts = try pipeline(
            existing.ids.map { ["HGET", RedisArgument(keys.status($0)), "attempts"] }, "reading the attempt counts")
        for (id, reply) in zip(existing.ids, counts) {
            if let count = reply.string.flatMap({ Int($0) }) { existing.attempts[id] = count }
        }
        let running = try strings(
            try command(["SMEMBERS", RedisArgument(keys.running)], "reading the running jobs"), "the running set")
        let leases = try pipeline(running.map { ["EXISTS", RedisArgument(keys.lease($0))] }, "reading the leases")
        for (id, reply) in zip(running, leases) where reply.integer == 1 { existing.live.insert(id) }
        return existing
    }
}

/// What a first push finds after a batch (``JobStore``'s `pushFresh`).
private enum FirstPushBatch {
    /// It still holds the `pushing` key, the namespace is still absent, and the batch (if any) was written.
    case holding
    /// Another push holds the key, or the namespace exists: the batch (if any) ran nothing.
    case lost
    /// redis refused a write.
    case refused(String)
}
