import ClustmakeJSON
import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem

/// Bulk reads for the collector: a whole namespace in a few dozen pipelined round trips, and the output tails of
/// many attempts at once.
///
/// A namespace of 100,000 attempts holds millions of hash fields. The snapshot reads them with `HMGET` of the
/// fields it keeps (the server's cheapest way), builds each batch's commands only when it sends them, and decodes
/// each reply positionally into typed values, numbers and times straight from their bytes, without a field
/// dictionary per record.
extension JobStore {
    /// How many commands one round trip of a bulk read sends.
    static let bulkBatchSize = 2000

    /// How many job ids one `HMGET` of the states hash asks for in ``snapshot()``.
    static let stateGroup = 10_000
    /// Attempt summaries read by one `MGET`.
    static let summaryGroup = 50
    /// Definition copies (``StoreKeys/definitions``) read by one `HMGET`.
    static let copyGroup = 500

    /// How much of the namespace ``snapshot(_:)`` reads.
    public enum SnapshotDetail: Sendable, Hashable {
        /// Every job's definition, status and attempts.
        case everything
        /// What `clustmake status` shows. While some job is in progress, everything (the running jobs' lanes
        /// depend on every attempt of their hosts). Otherwise only the jobs that are not done or not started
        /// are read whole; done and not-started jobs stand in the snapshot with their state alone: their id and
        /// state, no definition, status fields or attempts. A namespace after its run, or before it, is then read
        /// in a few round trips of its states hash.
        case unsettledJobs
    }

    /// Reads everything recorded in the namespace: metadata, jobs with their states, attempts and hosts.
    ///
    /// `commands: false` leaves out the jobs' command lines (each job's ``ClustmakeModel/NamespaceSnapshot/Job/command``
    /// is then an empty shell line): `stats`, `report` and `status` show none, and a real workflow's command lines are
    /// a few hundred bytes each, most of what a million job definitions weigh.
    ///
    /// Round trips: one for the namespace's keys, one for the states (an `HMGET` per ``stateGroup`` jobs), one per
    /// ``bulkBatchSize`` commands (two per job, one per attempt), one for the leases of jobs in progress, one more
    /// when some of those hold no lease (read again: they are lost only if still in progress), and one for the
    /// hosts: about 150 for 100,000 attempts.
    /// - Parameters:
    ///   - detail: How much to read; everything by default.
    ///   - commands: Whether to read the jobs' command lines.
    /// - Returns: The snapshot (see ``NamespaceSnapshot`` on consistency while workers run).
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, a corrupt record, or when redis fails.
    public func snapshot(_ detail: SnapshotDetail = .everything, commands: Bool = true) throws(StoreError)
        -> NamespaceSnapshot
    {
        let readAt = UTCTime.now()
        let keys = keys
        let first = try bulkPipeline(
            [
                ["GET", RedisArgument(keys.schema)], ["HGETALL", RedisArgument(keys.meta)],
                ["ZRANGE", RedisArgument(keys.jobs), "0", "-1"], ["SMEMBERS", RedisArgument(keys.hosts)],
            ], "reading the namespace")
        try checkSchema(found: try text(first[0], "the schema version at \(keys.schema)"))
        let metadata = RunMetadata(namespace: namespace, fields: try dictionary(first[1], keys.meta))
        let ids = try strings(first[2], "the job list at \(keys.jobs)")
        let hostNames = try strings(first[3], "the hosts at \(keys.hosts)").sorted()
        // The definition copies are read when the push that wrote the graph wrote them (a clustmake before copies,
        // or a push that did not end, did not).
        let copied = metadata.fingerprint != nil && metadata.fields["definitions"] == metadata.fingerprint
        // The states in the job list's order, a group of ids per HMGET: no dictionary of a million ids to build
        // and look up (read before the jobs' statuses and attempts, as the snapshot's order requires).
        var stateOf: [String?] = []
        stateOf.reserveCapacity(ids.count)
        let group = Self.stateGroup
        // One HMGET a batch, read ahead: redis looks up the next group while this thread decodes the last.
        try hashValues(
            of: keys.states, count: ids.count, group: group, batchSize: 1, "reading the job states",
            member: { [ids] in ids[$0] }
        ) { (_, values) throws(StoreError) in
            for value in values { stateOf.append(try text(value, "the state of a job at \(keys.states)")) }
        }
        guard stateOf.count == ids.count else {
            throw StoreError(.redis, "reading the job states: \(stateOf.count) states for \(ids.count) jobs")
        }
        // The jobs read whole, by position in `ids`; the others stand with their state alone (``SnapshotDetail``).
        let stateOnly: (String?) -> JobState? = { text in
            let state = text.map { JobState(rawValue: $0) } ?? .notStarted
            return state == .done || state == .notStarted ? state : nil
        }
        // `nil`: every job (no index of a million positions to build for that).
        let selected: [Int]? =
            detail == .unsettledJobs && !stateOf.contains(JobState.inProgress.rawValue)
            ? ids.indices.filter { stateOnly(stateOf[$0]) == nil } : nil
        let wholeCount = selected?.count ?? ids.count

        // Jobs: the definition's fields, then the status's, for each read whole.
        var jobs: [NamespaceSnapshot.Job] = []
        jobs.reserveCapacity(ids.count)
        // The next position in `ids` not yet in `jobs` (a job removed since the list was read leaves no entry).
        var next = 0
        func standIns(upTo end: Int) {
            for position in next..<end {
                jobs.append(
                    Self.placeholder(id: ids[position], index: position, state: stateOnly(stateOf[position]) ?? .done))
            }
            next = max(next, end)
        }
        var notes: [String] = []
        // Attempts read with their jobs (the attempt that did a done job, from its outcome copy), by place in
        // `jobs`; shorter than `jobs` when its last ones have none.
        var knownAttempts: [[AttemptRecord]] = []
        // A run's push writes a new namespace's jobs while the first ones run (``PushProgress``); the graph's
        // fingerprint comes with its last job.
        if metadata.fingerprint == nil && metadata.jobCount > ids.count {
            notes.append(
                "the graph's push into namespace '\(namespace)' has not ended: \(ids.count) of its "
                    + "\(metadata.jobCount) jobs are in redis (a run is writing them now, or its push was stopped; "
                    + "run or push the graph again to write the rest)")
        }
        /// The job at `position` decoded from its definition's values (by their place in
        /// ``snapshotDefinitionFields(commands:)``, read from `key`) and its status's (by their place in
        /// ``snapshotStatusFields``); a placeholder with a note when they are corrupt; `nil` when it has no
        /// definition there (removed since the job list was read).
        func decoded(
            position: Int, key: String, definition: (Int) -> String?, status: (Int) -> String?
        ) throws(StoreError) -> NamespaceSnapshot.Job? {
            let id = ids[position]
            do throws(StoreError) {
                return try decodeJob(
                    id: id, state: stateOf[position], key: key, definition: definition, commands: commands,
                    status: status)
            } catch {
                guard error.code == .corruptRecord else { throw error }
                // One bad record costs a note about its job, not the whole namespace.
                notes.append("job '\(Format.escaped(id, limit: 60))': \(error.message)")
                let state = stateOf[position].flatMap(JobState.init(rawValue:)) ?? .notStarted
                return Self.placeholder(id: id, index: position, state: state)
            }
        }
        let readStatus = RedisCommandBatch.Template(
            ["HMGET"], key: keys.status(""), then: Self.snapshotStatusFields.map { RedisArgument($0) })
        if copied && !commands {
            // The definitions from their copies (``StoreKeys/definitions``), and a done job's status and the summary
            // of the attempt that did it from its outcome copy (``StoreKeys/outcomes``) while the metadata says every
            // such copy is current: for each group of ``copyGroup`` jobs, an HMGET of the status of each job not
            // read from an outcome copy, then one of the group's definition copies, then one of its outcome copies.
            // A job with a copy missing or not of its form is read from its hashes afterwards, in its place.
            let outcomesUsable = metadata.outcomesInStep
            let group = Self.copyGroup
            let groups = (wholeCount + group - 1) / group
            let definitions = keys.definitions
            let outcomes = keys.outcomes
            let copiedCount = Self.copiedDefinitionFields.count
            let done = JobState.done.rawValue
            // Whether the job at a position is read from its outcome copy: the one rule for the commands' plan and
            // for the outcome copies each group's command asks for.
            let fromOutcome: @Sendable (Int) -> Bool = { [stateOf] position in
                outcomesUsable && stateOf[position] == done
            }
            // The commands in order: a job's status as its place among the jobs read whole (`>= 0`), a group's
            // definition copies as `-1 - 2 * group`, its outcome copies as `-2 - 2 * group`.
            var reads: [Int32] = []
            reads.reserveCapacity(wholeCount + 2 * groups)
            var outcomeCount = [Int](repeating: 0, count: groups)
            for index in 0..<groups {
                for whole in index * group..<min(wholeCount, (index + 1) * group) {
                    if fromOutcome(selected?[whole] ?? whole) {
                        outcomeCount[index] += 1
                    } else {
                        reads.append(Int32(whole))
                    }
                }
                reads.append(Int32(-1 - 2 * index))
                if outcomeCount[index] > 0 { reads.append(Int32(-2 - 2 * index)) }
            }
            // The group being read: each job's status by its place in the group, then its copies.
            var statuses = [[RedisReply]?](repeating: nil, count: group)
            var copies: [RedisReply] = []
            var unread: [(place: Int, position: Int)] = []
            func decodeGroup(_ index: Int, outcomeValues: [RedisReply]) throws(StoreError) {
                let first = index * group
                var nextOutcome = 0
                for whole in first..<min(wholeCount, first + group) {
                    let position = selected?[whole] ?? whole
                    standIns(upTo: position)
                    next = position + 1
                    let status = statuses[whole - first]
                    statuses[whole - first] = nil
                    var outcome: OutcomeCopy?
                    if status == nil {
                        outcome = BulkDecoding.bytes(outcomeValues[nextOutcome]).flatMap(OutcomeCopy.init)
                        nextOutcome += 1
                    }
                    // A copy that is not of its form, or whose values are not a job's, counts as none.
                    var job: NamespaceSnapshot.Job?
                    if status != nil || outcome != nil,
                        let bytes = BulkDecoding.bytes(copies[whole - first]),
                        let copy = PackedValues(bytes, count: copiedCount)
                    {
                        do throws(StoreError) {
                            job = try decodeJob(
                                id: ids[position], state: stateOf[position], key: definitions,
                                definition: { copy.string($0) }, commands: false,
                                status: { field in
                                    status.map { BulkDecoding.string($0, field) } ?? outcome?.string(field)
                                })
                        } catch {
                            guard error.code == .corruptRecord else { throw error }
                        }
                    }
                    guard let job else {
                        unread.append((jobs.count, position))
                        jobs.append(Self.placeholder(id: ids[position], index: position, state: .notStarted))
                        continue
                    }
                    // The attempt that did the job, from its summary, when that names the attempt.
                    if let attempt = job.status.doneAttempt, let summary = outcome?.summary(of: attempt) {
                        knownAttempts.append(contentsOf: repeatElement([], count: jobs.count - knownAttempts.count))
                        knownAttempts.append([AttemptRecord(job: ids[position], AttemptSource.summary(summary))])
                    }
                    jobs.append(job)
                }
            }
            // Batches of about two groups: of done jobs, that is four commands of 500 values each (``bulkBatchSize``
            // of them would be the whole namespace in two round trips, nothing decoded until the first had come).
            let batchSize = max(2, min(Self.bulkBatchSize, 2 * ((reads.count + groups - 1) / max(1, groups))))
            try prefetchedPipeline(count: reads.count, batchSize: batchSize, "reading the jobs") {
                [reads, selected] offset, batch in
                let read = Int(reads[offset])
                guard read < 0 else {
                    batch.append(readStatus, varying: ids[selected?[read] ?? read])
                    return
                }
                // A group's definition copies are read for all its jobs, its outcome copies for its done ones.
                let first = (-1 - read) / 2 * group
                let wanted = (first..<min(wholeCount, first + group)).lazy.map { selected?[$0] ?? $0 }
                batch.append(
                    read % 2 != 0
                        ? ["HMGET", RedisArgument(definitions)] + wanted.map { RedisArgument(ids[$0]) }
                        : ["HMGET", RedisArgument(outcomes)]
                            + wanted.filter(fromOutcome).map { RedisArgument(ids[$0]) })
            } each: { (offset, reply) throws(StoreError) in
                guard case .array(let values) = reply else {
                    throw StoreError(.redis, "reading the jobs: expected an array from redis, got \(reply)")
                }
                let read = Int(reads[offset])
                guard read < 0 else {
                    statuses[read % group] = values
                    return
                }
                let index = (-1 - read) / 2
                if read % 2 != 0 {
                    let expected = min(wholeCount, (index + 1) * group) - index * group
                    guard values.count == expected else {
                        throw StoreError(
                            .redis, "reading the definition copies: expected \(expected) values, got \(values.count)")
                    }
                    copies = values
                    if outcomeCount[index] == 0 { try decodeGroup(index, outcomeValues: []) }
                } else {
                    guard values.count == outcomeCount[index] else {
                        throw StoreError(
                            .redis,
                            "reading the outcome copies: expected \(outcomeCount[index]) values, got \(values.count)")
                    }
                    try decodeGroup(index, outcomeValues: values)
                }
            }
            if !unread.isEmpty {
                // The definition's fields and the status of each job left, from their hashes.
                let definitionFields = Self.copiedDefinitionFields.map { RedisArgument($0) }
                let statusFields = Self.snapshotStatusFields.map { RedisArgument($0) }
                var definition: [RedisReply] = []
                var removed: [Int] = []
                try bulkPipeline(count: unread.count * 2, "reading the jobs without a copy") { offset in
                    let id = ids[unread[offset / 2].position]
                    return offset % 2 == 0
                        ? ["HMGET", RedisArgument(keys.job(id))] + definitionFields
                        : ["HMGET", RedisArgument(keys.status(id))] + statusFields
                } each: { (offset, reply) throws(StoreError) in
                    guard case .array(let values) = reply else {
                        throw StoreError(.redis, "reading the jobs: expected an array from redis, got \(reply)")
                    }
                    guard offset % 2 != 0 else {
                        definition = values
                        return
                    }
                    let entry = unread[offset / 2]
                    if let job = try decoded(
                        position: entry.position, key: keys.job(ids[entry.position]),
                        definition: { [definition] in BulkDecoding.string(definition, $0) },
                        status: { BulkDecoding.string(values, $0) })
                    {
                        jobs[entry.place] = job
                    } else {
                        removed.append(entry.place)
                    }
                }
                for place in removed.reversed() {
                    jobs.remove(at: place)
                    if place < knownAttempts.count { knownAttempts.remove(at: place) }
                }
            }
        } else {
            // Two million commands for a million jobs, each an HMGET that differs from the others in its key's last
            // part: encoded from templates straight into each batch's buffer.
            let readDefinition = RedisCommandBatch.Template(
                ["HMGET"], key: keys.job(""),
                then: Self.snapshotDefinitionFields(commands: commands).map { RedisArgument($0) })
            var definition: [RedisReply] = []
            try prefetchedPipeline(count: wholeCount * 2, "reading the jobs") { [selected] offset, batch in
                batch.append(
                    offset % 2 == 0 ? readDefinition : readStatus, varying: ids[selected?[offset / 2] ?? offset / 2])
            } each: { (offset, reply) throws(StoreError) in
                guard case .array(let values) = reply else {
                    throw StoreError(.redis, "reading the jobs: expected an array from redis, got \(reply)")
                }
                if offset % 2 == 0 {
                    definition = values
                } else {
                    let position = selected?[offset / 2] ?? offset / 2
                    standIns(upTo: position)
                    next = position + 1
                    if let job = try decoded(
                        position: position, key: keys.job(ids[position]),
                        definition: { BulkDecoding.string(definition, $0) },
                        status: { BulkDecoding.string(values, $0) })
                    {
                        jobs.append(job)
                    }
                }
            }
        }
        standIns(upTo: ids.count)

        // The leases of jobs in progress: without one, a job is lost.
        let inProgress = jobs.indices.filter { jobs[$0].status.state == .inProgress }
        if !inProgress.isEmpty {
            try bulkPipeline(count: inProgress.count * 2, "reading the leases") { offset in
                [offset % 2 == 0 ? "GET" : "PTTL", RedisArgument(keys.lease(jobs[inProgress[offset / 2]].id))]
            } each: { (offset, reply) throws(StoreError) in
                let index = inProgress[offset / 2]
                var status = jobs[index].status
                if offset % 2 == 0 {
                    status.leaseHolder = try text(reply, "the lease of job '\(status.id)'")
                    if status.leaseHolder == nil { status.state = .lost }
                } else if status.leaseHolder != nil {
                    status.leaseRemaining = Self.leaseRemaining(reply)
                }
                jobs[index].status = status
            }
        }
        try settleLost(&jobs, among: inProgress)

        // Attempts 1 … attempts of every job.
        for index in jobs.indices where jobs[index].status.attempts > NamespaceSnapshot.maximumAttempts {
            notes.append(
                "job '\(Format.escaped(jobs[index].id, limit: 60))': its attempt count "
                    + "\(jobs[index].status.attempts) at \(keys.status(jobs[index].id)) is more than "
                    + "\(NamespaceSnapshot.maximumAttempts); its attempts are not read.")
            jobs[index].status.attempts = 0
        }
        var known: [[AttemptRecord]] = []
        swap(&known, &knownAttempts)  // handed over, not copied
        let attempts = try readAttemptRecords(
            of: jobs.map(\.id), counts: jobs.map(\.status.attempts), known: consume known)

        var hosts: [HostRecord] = []
        if !hostNames.isEmpty {
            let replies = try bulkPipeline(
                hostNames.map { ["HGETALL", RedisArgument(keys.host($0))] }, "reading the host records")
            for (name, reply) in zip(hostNames, replies) {
                hosts.append(HostRecord(nickname: name, fields: try dictionary(reply, keys.host(name))))
            }
        }
        return NamespaceSnapshot(
            namespace: namespace, metadata: metadata, jobs: jobs, attempts: attempts, hosts: hosts, readAt: readAt,
            notes: notes)
    }

    /// The last bytes of the output of many attempts, read with `GETRANGE` (so a 64 KiB tail costs `lastBytes`).
    /// - Parameters:
    ///   - attempts: The attempts, as job id and attempt number.
    ///   - channel: stdout or stderr.
    ///   - lastBytes: How many bytes to read from the end of each, at most; positive.
    /// - Returns: The bytes of each attempt, in the order asked; empty when the attempt recorded none.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func outputTails(
        of attempts: [(job: String, attempt: Int)], _ channel: OutputChannel, lastBytes: Int
    ) throws(StoreError) -> [[UInt8]] {
        try checkSchema()
        guard !attempts.isEmpty else { return [] }
        let start = RedisArgument(-max(1, lastBytes))
        let replies = try bulkPipeline(
            attempts.map { ["GETRANGE", RedisArgument(keys.output($0.job, $0.attempt, channel)), start, "-1"] },
            "reading the \(channel) of \(Format.count(attempts.count, "attempt"))")
        return replies.map { $0.bytes ?? [] }
    }

    /// Reads again the jobs of `inProgress` (in progress when the states were read) that hold no lease now: most
    /// of them ended meanwhile (the worker's last script records the outcome and releases the lease at once), and
    /// only those still in progress without a lease are lost. The lease is read before the state, so a job that
    /// ended and started again between the two reads is in progress with its new lease, not lost.
    private func settleLost(_ jobs: inout [NamespaceSnapshot.Job], among inProgress: [Int]) throws(StoreError) {
        let unleased = inProgress.filter { jobs[$0].status.state == .lost }
        guard !unleased.isEmpty else { return }
        let ids = unleased.map { jobs[$0].id }
        let statusFields = Self.snapshotStatusFields.map { RedisArgument($0) }
        var lease: (holder: String?, remaining: Duration?) = (nil, nil)
        var state: String?
        try bulkPipeline(count: unleased.count * 4, "reading the jobs without a lease again") { offset in
            let id = ids[offset / 4]
            switch offset % 4 {
            case 0: return ["GET", RedisArgument(keys.lease(id))]
            case 1: return ["PTTL", RedisArgument(keys.lease(id))]
            case 2: return ["HGET", RedisArgument(keys.states), RedisArgument(id)]
            default: return ["HMGET", RedisArgument(keys.status(id))] + statusFields
            }
        } each: { (offset, reply) throws(StoreError) in
            let index = unleased[offset / 4]
            let id = ids[offset / 4]
            switch offset % 4 {
            case 0: lease.holder = try text(reply, "the lease of job '\(id)'")
            case 1: lease.remaining = Self.leaseRemaining(reply)
            case 2: state = try text(reply, "the state of job '\(id)'")
            default:
                guard case .array(let values) = reply, let state, let now = JobState(rawValue: state) else {
                    return  // Removed or unreadable since: the first reading stands.
                }
                let held = now == .inProgress ? lease.holder : nil
                jobs[index].status = Self.snapshotStatus(
                    id: id, state: now == .inProgress && held == nil ? .lost : now, values, leaseHolder: held,
                    leaseRemaining: held == nil ? nil : lease.remaining)
            }
        }
    }

    /// A lease's time to live from `PTTL`'s reply; `nil` for none (a missing key or one without expiry).
    static func leaseRemaining(_ reply: RedisReply) -> Duration? {
        reply.integer.flatMap { $0 >= 0 ? Duration.milliseconds($0) : nil }
    }

    // MARK: - The fields read

    /// The definition fields a snapshot reads, in order: the command line's two last, and only when `commands`.
    static func snapshotDefinitionFields(commands: Bool) -> [String] {
        ["index", "deps", "tags", "cost", "retries", "timeout"] + (commands ? ["shell", "argv"] : [])
    }
    /// The definition fields a job's copy holds (``StoreKeys/definitions``), in order: those a snapshot without
    /// the command lines reads.
    static let copiedDefinitionFields = snapshotDefinitionFields(commands: false)
    /// The status fields the snapshot reads, in order: every field of `compmake:{NS}:status:ID`.
    static let snapshotStatusFields = StatusField.allCases.map(\.name)
    /// The attempt fields the snapshot reads, in order (``AttemptRecord/Field``).
    static let snapshotAttemptFields = AttemptRecord.Field.allCases.map(\.name)

    // MARK: - Decoding

    /// Decodes one job from the values of ``snapshotDefinitionFields(commands:)`` (`definition`, by place, read
    /// from `key`) and of ``snapshotStatusFields`` (`status`, by place); `nil` when it has no definition (removed
    /// since the job list was read).
    private func decodeJob(
        id: String, state stateText: String?, key: String, definition string: (Int) -> String?, commands: Bool,
        status: (Int) -> String?
    ) throws(StoreError) -> NamespaceSnapshot.Job? {
        guard let indexText = string(0) else { return nil }
        func corrupt(_ field: String, _ problem: String) -> StoreError { JobCodec.corrupt(key, field, problem) }
        func list(_ index: Int, _ field: String) throws(StoreError) -> [String] {
            guard let text = string(index) else { return [] }
            guard let list = BulkDecoding.stringArray(text) else { throw corrupt(field, "it is not a JSON list") }
            return list
        }
        guard let index = Int(indexText) else { throw corrupt("index", "'\(indexText)' is not a whole number") }
        let command: Job.Command
        if commands {
            if let line = string(6) {
                command = .shell(line)
            } else if string(7) != nil {
                command = .argv(try list(7, "argv"))
            } else {
                throw corrupt("shell", "the job has neither 'shell' nor 'argv'")
            }
        } else {
            command = .shell("")  // not read
        }
        let text = stateText ?? JobState.notStarted.rawValue
        guard let state = JobState(rawValue: text) else {
            throw StoreError(
                .corruptRecord,
                "job '\(id)' has the unknown state '\(Format.escaped(text, limit: 40))' in \(keys.states)")
        }
        // The numbers a run's statistics use, within the graph's limits (docs/job-graph.md, "Limits").
        let cost = string(3).flatMap { Double($0) } ?? Job.defaultCost
        guard cost.isFinite, Job.Limits.cost.contains(cost) else { throw corrupt("cost", "'\(cost)' is out of bounds") }
        let retries = string(4).flatMap { Int($0) } ?? 0
        guard Job.Limits.retries.contains(retries) else {
            throw corrupt("retries", "'\(retries)' is out of bounds")
        }
        let timeout = string(5).flatMap { Double($0) }
        if let timeout, !(timeout > 0 && timeout <= Job.Limits.maximumTimeout) {
            throw corrupt("timeout", "'\(timeout)' is out of bounds")
        }
        guard (0...Int(Int32.max)).contains(index) else { throw corrupt("index", "'\(index)' is out of bounds") }
        return NamespaceSnapshot.Job(
            id: id, index: index, command: command, deps: try list(1, "deps"), tags: try list(2, "tags"),
            cost: cost, retries: retries, timeout: timeout, status: Self.snapshotStatus(id: id, state: state, status))
    }

    /// A job's status from `values`, the reply of `HMGET` of ``snapshotStatusFields``, by position: no table of the
    /// fields per job (which cost 8% of a snapshot of 100,000 finished jobs). Its
    /// ``ClustmakeModel/JobStatus/fields`` stay empty, as an attempt's do in a snapshot.
    static func snapshotStatus(
        id: String, state: JobState, _ values: [RedisReply], leaseHolder: String? = nil,
        leaseRemaining: Duration? = nil
    ) -> JobStatus {
        snapshotStatus(
            id: id, state: state, { BulkDecoding.string(values, $0) }, leaseHolder: leaseHolder,
            leaseRemaining: leaseRemaining)
    }

    /// A job's status from the values of ``snapshotStatusFields``, each looked up by its place (`value`): the reply
    /// of an `HMGET` of the status hash, or a job's outcome copy.
    static func snapshotStatus(
        id: String, state: JobState, _ value: (Int) -> String?, leaseHolder: String? = nil,
        leaseRemaining: Duration? = nil
    ) -> JobStatus {
        JobStatus(id: id, state: state, leaseHolder: leaseHolder, leaseRemaining: leaseRemaining, fields: [:]) {
            value($0.rawValue)
        }
    }

    /// A job whose definition or state cannot be read: its state if that can be read (else not started), no
    /// command, no dependencies, nothing more.
    private static func placeholder(id: String, index: Int, state: JobState) -> NamespaceSnapshot.Job {
        NamespaceSnapshot.Job(
            id: id, index: index, command: .shell(""), deps: [], tags: [], cost: Job.defaultCost, retries: 0,
            timeout: nil,
            status: JobStatus(id: id, state: state, fields: [:], leaseHolder: nil, leaseRemaining: nil))
    }

    /// Attempts 1 … `counts[i]` of each job `ids[i]`, in order (``readAttempts(of:counts:skipping:_:each:)``), those
    /// of `known[i]` (already read, at most one a job) included without reading them again. An attempt with no
    /// record is left out.
    func readAttemptRecords(
        of ids: [String], counts: [Int], known: consuming [[AttemptRecord]] = []
    ) throws(StoreError) -> [[AttemptRecord]] {
        var attempts = known
        attempts.append(contentsOf: repeatElement([], count: max(0, ids.count - attempts.count)))
        var unordered: Set<Int> = []
        for job in ids.indices where !attempts[job].isEmpty {
            if attempts[job][0].number > counts[job] {
                attempts[job] = []  // Not among those to read (a count over the limit reads none).
            } else if counts[job] > 1 {
                unordered.insert(job)
            }
        }
        let skipped = attempts.map { $0.first?.number ?? 0 }
        try readAttempts(of: ids, counts: counts, skipping: skipped, "reading the attempts") {
            (_, job, source) throws(StoreError) in
            if case .fields = source { unordered.insert(job) }
            attempts[job].append(AttemptRecord(job: ids[job], source))
        }
        for job in unordered { attempts[job].sort { $0.number < $1.number } }
        return attempts
    }

    /// Reads attempts 1 … `counts[i]` of each job `ids[i]`, but for attempt `skipping[i]` when given, and hands each
    /// to `each` with its position in that list (``attemptList(_:skipping:)``) and its job's. Each is read from its
    /// summary (one key, written when its outcome was recorded); an attempt without one (still running, lost,
    /// recorded by a clustmake before summaries) or whose summary is not of the expected form or names another
    /// attempt is read again field by field, after all the summaries (so `each` sees those attempts out of order:
    /// ``AttemptSource/fields``). An attempt with no record is left out.
    func readAttempts(
        of ids: [String], counts: [Int], skipping: [Int] = [], _ doing: String,
        each: (_ position: Int, _ job: Int, _ source: AttemptSource) throws(StoreError) -> Void
    ) throws(StoreError) {
        var unsummarized: (owners: [Int32], numbers: [Int32]) = ([], [])
        var unsummarizedPositions: [Int] = []
        let (owners, numbers) = Self.attemptList(counts, skipping: skipping)
        let keys = keys
        // An MGET per ``summaryGroup`` attempts: one command and one reply for redis to handle instead of 50 (a tenth
        // less of its CPU for the summaries of 100,000 attempts; finding each key costs it the same either way).
        let group = Self.summaryGroup
        try prefetchedPipeline(
            count: (owners.count + group - 1) / group, batchSize: Self.bulkBatchSize / group, doing
        ) { [owners, numbers] offset in
            ["MGET"]
                + (offset * group..<min(owners.count, (offset + 1) * group)).map {
                    RedisArgument(keys.summary(ids[Int(owners[$0])], Int(numbers[$0])))
                }
        } each: { (offset, reply) throws(StoreError) in
            let expected = min(owners.count - offset * group, group)
            guard case .array(let values) = reply, values.count == expected else {
                throw StoreError(.redis, "\(doing): expected \(expected) values from redis, got \(reply)")
            }
            for (place, value) in values.enumerated() {
                let position = offset * group + place
                if let bytes = BulkDecoding.bytes(value), let summary = AttemptSummary(bytes),
                    summary.integer(.attempt) == Int(numbers[position])
                {
                    try each(position, Int(owners[position]), .summary(summary))
                } else {
                    unsummarized.owners.append(owners[position])
                    unsummarized.numbers.append(numbers[position])
                    unsummarizedPositions.append(position)
                }
            }
        }
        guard !unsummarized.owners.isEmpty else { return }
        var index = 0
        try readAttempts(
            of: ids, unsummarized, fields: Self.snapshotAttemptFields.map { RedisArgument($0) },
            "\(doing) without a summary"
        ) { (job, values) throws(StoreError) in
            defer { index += 1 }
            guard values.count == Self.snapshotAttemptFields.count, BulkDecoding.integer(values, 0) != nil else {
                return
            }
            try each(unsummarizedPositions[index], job, .fields(SnapshotFields(values: values)))
        }
    }

    /// The attempts 1 … `counts[i]` of each job `i`, in order, but for attempt `skipping[i]` (when `skipping` has
    /// an entry `i`): the job's position and the attempt's number of each.
    static func attemptList(_ counts: [Int], skipping: [Int] = []) -> (owners: [Int32], numbers: [Int32]) {
        var owners: [Int32] = []
        var numbers: [Int32] = []
        owners.reserveCapacity(counts.count)
        numbers.reserveCapacity(counts.count)
        for (index, count) in counts.enumerated() where count > 0 {
            let skipped = index < skipping.count ? skipping[index] : 0
            for number in 1...count where number != skipped {
                owners.append(Int32(index))
                numbers.append(Int32(number))
            }
        }
        return (owners, numbers)
    }

    /// Reads `fields` of the attempts listed (attempt `numbers[i]` of job `ids[owners[i]]`), an `HMGET` each, read
    /// ahead on a thread of its own (``prefetchedPipeline(count:_:command:each:)``), and hands each reply's values to
    /// `each` with the position of its job, in that order.
    func readAttempts(
        of ids: [String], _ attempts: (owners: [Int32], numbers: [Int32]), fields: [RedisArgument], _ doing: String,
        each: (_ job: Int, _ values: [RedisReply]) throws(StoreError) -> Void
    ) throws(StoreError) {
        let (owners, numbers) = attempts
        let keys = keys
        try prefetchedPipeline(count: owners.count, doing) { [owners, numbers] offset in
            ["HMGET", RedisArgument(keys.attempt(ids[Int(owners[offset])], Int(numbers[offset])))] + fields
        } each: { (offset, reply) throws(StoreError) in
            guard case .array(let values) = reply else {
                throw StoreError(.redis, "\(doing): expected an array from redis, got \(reply)")
            }
            try each(Int(owners[offset]), values)
        }
    }

    /// Reads the fields `count` members of the hash `key` hold (member `i` is `member(i)`), `group` of them to an
    /// `HMGET` and `batchSize` commands to a round trip, read ahead on a thread of its own, and hands each reply's
    /// values to `each` with the index of its first member, in order.
    /// - Throws: ``StoreError`` when a reply is not one value for each member asked, or when redis fails.
    func hashValues(
        of key: String, count: Int, group: Int, batchSize: Int, _ doing: String,
        member: @escaping @Sendable (Int) -> String,
        each: (_ first: Int, _ values: [RedisReply]) throws(StoreError) -> Void
    ) throws(StoreError) {
        try prefetchedPipeline(count: (count + group - 1) / group, batchSize: batchSize, doing) { offset in
            ["HMGET", RedisArgument(key)]
                + (offset * group..<min(count, (offset + 1) * group)).map { RedisArgument(member($0)) }
        } each: { (offset, reply) throws(StoreError) in
            let expected = min(count - offset * group, group)
            guard case .array(let values) = reply, values.count == expected else {
                throw StoreError(.redis, "\(doing): expected \(expected) values from redis, got \(reply)")
            }
            try each(offset * group, values)
        }
    }

    // MARK: - Plumbing

    /// Runs `commands` in pipelines of ``batchSize`` and returns every reply; throws on the first error reply.
    func bulkPipeline(_ commands: [[RedisArgument]], _ doing: String) throws(StoreError) -> [RedisReply] {
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        try bulkPipeline(count: commands.count, doing) {
            commands[$0]
        } each: { (_, reply) throws(StoreError) in
            replies.append(reply)
        }
        return replies
    }

    /// ``pipeline(count:batchSize:_:command:each:)`` in batches of ``bulkBatchSize``.
    func bulkPipeline(
        count: Int, _ doing: String, command: (Int) -> [RedisArgument],
        each: (Int, RedisReply) throws(StoreError) -> Void
    ) throws(StoreError) {
        try pipeline(count: count, batchSize: Self.bulkBatchSize, doing, command: command, each: each)
    }

    /// A flat `HGETALL` reply as a dictionary of UTF-8 strings, decoded without intermediate arrays.
    func dictionary(_ reply: RedisReply, _ what: @autoclosure () -> String) throws(StoreError) -> [String: String] {
        guard case .array(let elements) = reply else {
            throw StoreError(.redis, "\(what()): expected an array from redis, got \(reply)")
        }
        guard elements.count % 2 == 0 else {
            throw StoreError(.redis, "\(what()): expected field, value pairs, got \(elements.count) strings")
        }
        var result: [String: String] = [:]
        result.reserveCapacity(elements.count / 2)
        var index = 0
        while index < elements.count {
            guard case .bulk(let name) = elements[index], case .bulk(let value) = elements[index + 1] else {
                throw StoreError(.corruptRecord, "\(what()): expected text, got \(elements[index])")
            }
            result[String(decoding: name, as: UTF8.self)] = String(decoding: value, as: UTF8.self)
            index += 2
        }
        return result
    }
}

/// The values of one `HMGET` of ``JobStore/snapshotAttemptFields``.
struct SnapshotFields: AttemptFieldSource {
    let values: [RedisReply]

    func string(_ field: AttemptRecord.Field) -> String? { BulkDecoding.string(values, field.rawValue) }
    func integer(_ field: AttemptRecord.Field) -> Int? { BulkDecoding.integer(values, field.rawValue) }
    func number(_ field: AttemptRecord.Field) -> Double? { BulkDecoding.number(values, field.rawValue) }
    func time(_ field: AttemptRecord.Field) -> UTCTime? { BulkDecoding.time(values, field.rawValue) }
}

/// An attempt as ``JobStore/readAttempts(of:counts:skipping:_:each:)`` read it: from its summary, or field by field.
enum AttemptSource: AttemptFieldSource {
    case summary(AttemptSummary)
    case fields(SnapshotFields)

    func string(_ field: AttemptRecord.Field) -> String? { read({ $0.string(field) }, { $0.string(field) }) }
    func integer(_ field: AttemptRecord.Field) -> Int? { read({ $0.integer(field) }, { $0.integer(field) }) }
    func number(_ field: AttemptRecord.Field) -> Double? { read({ $0.number(field) }, { $0.number(field) }) }
    func time(_ field: AttemptRecord.Field) -> UTCTime? { read({ $0.time(field) }, { $0.time(field) }) }

    /// `fromSummary` or `fromFields` of the source, whichever it is.
    private func read<T>(_ fromSummary: (AttemptSummary) -> T, _ fromFields: (SnapshotFields) -> T) -> T {
        switch self {
        case .summary(let source): fromSummary(source)
        case .fields(let source): fromFields(source)
        }
    }
}

/// Values of `HMGET` replies, decoded from their bytes: the store writes numbers and times in fixed forms
/// (docs/redis-schema.md), which are parsed here without building strings; anything else falls back to the
/// general parsers.
enum BulkDecoding {
    static func bytes(_ values: [RedisReply], _ index: Int) -> [UInt8]? {
        index < values.count ? bytes(values[index]) : nil
    }

    /// The bytes of a bulk string reply; `nil` for any other reply.
    static func bytes(_ reply: RedisReply) -> [UInt8]? {
        guard case .bulk(let bytes) = reply else { return nil }
        return bytes
    }

    static func string(_ values: [RedisReply], _ index: Int) -> String? {
        bytes(values, index).map { String(decoding: $0, as: UTF8.self) }
    }

    static func integer(_ values: [RedisReply], _ index: Int) -> Int? {
        index < values.count ? integer(values[index]) : nil
    }

    /// A whole number: `-?[0-9]+`.
    static func integer(_ reply: RedisReply) -> Int? {
        bytes(reply).flatMap { integer($0[...]) }
    }

    /// A whole number: `-?[0-9]+`.
    static func integer(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        var negative = false
        for (position, byte) in bytes.enumerated() {
            if position == 0 && byte == UInt8(ascii: "-") && bytes.count > 1 {
                negative = true
                continue
            }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return negative ? -value : value
    }

    /// A number: `-?[0-9]+(\.[0-9]+)?` exactly (the integer of all its digits over a power of ten, both exact
    /// doubles, so the one division rounds correctly), anything else through `Double(String)`; `nil` for a value
    /// that is not finite.
    static func number(_ values: [RedisReply], _ index: Int) -> Double? {
        bytes(values, index).flatMap { number($0[...]) }
    }

    /// A number, as ``number(_:_:)`` reads it, from part of an array.
    static func number(_ bytes: ArraySlice<UInt8>) -> Double? {
        guard !bytes.isEmpty else { return nil }
        var digits: Int64 = 0
        var count = 0
        var scale = 0
        var seenPoint = false
        var negative = false
        for (position, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "-") && position == 0 {
                negative = true
            } else if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") && count < 15 {
                digits = digits * 10 + Int64(byte - UInt8(ascii: "0"))
                count += 1
                if seenPoint { scale += 1 }
            } else {
                // `inf`, `nan`, `1e308`: a stored number is read only when it is finite.
                return Double(String(decoding: bytes, as: UTF8.self)).flatMap { $0.isFinite ? $0 : nil }
            }
        }
        guard count > 0 else { return nil }
        var divisor = 1.0
        for _ in 0..<scale { divisor *= 10 }
        return (negative ? -1 : 1) * Double(digits) / divisor
    }

    /// An instant as the store writes it (`YYYY-MM-DDTHH:MM:SS.mmmZ`), through the model's one parser of stamps,
    /// straight from the reply's bytes.
    static func time(_ values: [RedisReply], _ index: Int) -> UTCTime? {
        bytes(values, index).flatMap { UTCTime(iso8601: $0) }
    }

    /// A JSON array of strings, as the store writes `deps`, `tags` and `argv`; quickly when no string has an
    /// escape, else through the JSON parser. `nil` when it is not such an array.
    static func stringArray(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes -> [String]? in
            guard bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") else { return nil }
            guard !bytes.contains(UInt8(ascii: "\\")) else { return nil }
            var result: [String] = []
            var position = 1
            while position < bytes.count - 1 {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    var close = position + 1
                    while close < bytes.count - 1 && bytes[close] != UInt8(ascii: "\"") { close += 1 }
                    guard close < bytes.count - 1 else { return nil }
                    result.append(
                        String(decoding: UnsafeBufferPointer(rebasing: bytes[(position + 1)..<close]), as: UTF8.self))
                    position = close + 1
                } else if byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") {
                    position += 1
                } else {
                    return nil
                }
            }
            return result
        } ?? parsedStringArray(text)
    }

    private static func parsedStringArray(_ text: String) -> [String]? {
        guard let value = try? JSONValue.parse(text), let array = value.arrayValue else { return nil }
        var result: [String] = []
        for element in array {
            guard let string = element.stringValue else { return nil }
            result.append(string)
        }
        return result
    }
}
