public import ClustmakeModel
public import ClustmakeRedis
import ClustmakeSystem

/// One namespace of clustmake's redis store: the graph pushed into it, the jobs' states and leases, every
/// attempt's record and output, the event stream and the hosts that ran jobs.
///
/// This type and its extensions are the only code that knows key names and encodings (docs/redis-schema.md).
/// Every call checks the namespace's schema version first (``StoreSchema/version``) or relies on a script that
/// does.
///
/// Like ``RedisConnection`` underneath, a store blocks the calling thread and belongs to one thread at a time:
/// never use it on Swift's cooperative pool (a `Task`, an `async` function); give it a dedicated thread.
///
/// ```swift
/// let store = try JobStore(endpoint: RedisEndpoint(parsing: "redis://localhost:6379"), namespace: "rnaseq")
/// let states = try store.states()            // id → JobState, lost jobs included
/// let attempts = try store.attempts(of: "align")
/// ```
public final class JobStore {
    /// The namespace.
    public let namespace: String
    /// The connection the store talks through (its own: nothing else may send commands on it).
    let connection: RedisConnection

    /// Where the store's redis is (the password redacted when printed).
    public var endpoint: RedisEndpoint { connection.endpoint }
    let keys: StoreKeys

    /// A store over an open connection.
    /// - Parameters:
    ///   - connection: The connection; the store uses it from the caller's thread only.
    ///   - namespace: The namespace (``ClustmakeModel/JobID`` rules).
    /// - Throws: ``StoreError`` with code ``StoreError/Code/invalidArgument`` for an invalid namespace.
    public init(connection: RedisConnection, namespace: String) throws(StoreError) {
        if let problem = JobID.problem(with: namespace) {
            throw StoreError(
                .invalidArgument,
                "'\(namespace)' is not a valid namespace: \(problem). Use only \(JobID.allowedDescription).")
        }
        self.connection = connection
        self.namespace = namespace
        self.keys = StoreKeys(namespace: namespace)
    }

    /// Connects to `endpoint` and opens the store of `namespace`.
    /// - Parameters:
    ///   - endpoint: Where redis is, with its password if it needs one.
    ///   - namespace: The namespace.
    ///   - connectTimeout: The bound on connecting.
    ///   - commandTimeout: The bound on each command.
    ///   - handshake: When to log in: before returning (the default), or with the first command, which then
    ///     reports a refused password (``ClustmakeRedis/RedisConnection/Handshake``).
    /// - Throws: ``StoreError``: ``StoreError/Code/unreachable``, ``StoreError/Code/refused`` or
    ///   ``StoreError/Code/invalidArgument``.
    public convenience init(
        endpoint: RedisEndpoint, namespace: String, connectTimeout: Duration = .seconds(5),
        commandTimeout: Duration? = .seconds(30), handshake: RedisConnection.Handshake = .beforeReturning
    ) throws(StoreError) {
        try self.init(
            connection: try Self.connect(
                to: endpoint, connectTimeout: connectTimeout, commandTimeout: commandTimeout, handshake: handshake),
            namespace: namespace)
    }

    /// Whether the connection is usable: false after a failure dropped it, until ``reconnect()`` succeeds.
    public var isConnected: Bool { connection.isConnected }

    /// Drops the connection and connects again (after redis restarted or the network failed).
    /// - Throws: ``StoreError`` as ``init(endpoint:namespace:connectTimeout:commandTimeout:)``.
    public func reconnect() throws(StoreError) {
        do { try connection.reconnect() } catch {
            throw StoreError.wrapping(error, "reconnecting to \(connection.endpoint)")
        }
    }

    // MARK: - The namespace

    /// The schema version recorded in the namespace, or `nil` when nothing was pushed to it.
    /// - Throws: ``StoreError`` when redis fails.
    public func schemaVersion() throws(StoreError) -> String? {
        try command(["GET", RedisArgument(keys.schema)], "reading the schema version").string
    }

    /// Checks that the namespace exists and has this build's schema version.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/unknownNamespace`` or
    ///   ``StoreError/Code/schemaMismatch``, or when redis fails.
    public func checkSchema() throws(StoreError) {
        try checkSchema(found: try schemaVersion())
    }

    /// Checks a schema version read along with other commands (`GET` of the schema key in the same pipeline).
    func checkSchema(found: String?) throws(StoreError) {
        guard let found else { throw unknownNamespace() }
        guard found == String(StoreSchema.version) else { throw schemaMismatch(found: found) }
    }

    /// The run's metadata.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func metadata() throws(StoreError) -> RunMetadata {
        try checkSchema()
        let fields = try hash(keys.meta, "reading the run metadata")
        return RunMetadata(namespace: namespace, fields: fields)
    }

    /// Whether a worker ever started an attempt in the namespace: every start adds its host to
    /// ``StoreKeys/hosts`` in the same script, and nothing removes one. One round trip, whatever the namespace's size.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func hasAttempts() throws(StoreError) -> Bool {
        let replies = try pipeline(
            [["GET", RedisArgument(keys.schema)], ["SCARD", RedisArgument(keys.hosts)]], "looking for attempts")
        try checkSchema(found: try text(replies[0], "the schema version at \(keys.schema)"))
        return (replies[1].integer ?? 0) > 0
    }

    // MARK: - Job definitions

    /// Every job id, in the order of the pushed graph.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func jobIDs() throws(StoreError) -> [String] {
        try checkSchema()
        let reply = try command(["ZRANGE", RedisArgument(keys.jobs), "0", "-1"], "listing the jobs")
        return try strings(reply, "the job list at \(keys.jobs)")
    }

    /// One job's definition.
    /// - Parameter id: The job's id.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/unknownJob``, for an unknown namespace, another
    ///   schema, a corrupt record, or when redis fails.
    public func job(_ id: String) throws(StoreError) -> StoredJob {
        try checkSchema()
        let fields = try hash(keys.job(id), "reading job '\(id)'")
        guard !fields.isEmpty else { throw unknownJob(id) }
        return try JobCodec.decode(fields, key: keys.job(id))
    }

    /// Every job's definition, in the order of the pushed graph.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, a corrupt record, or when redis fails.
    public func jobs() throws(StoreError) -> [StoredJob] {
        let ids = try jobIDs()
        let hashes = try hashes(ids.map(keys.job), "reading the job definitions")
        var jobs: [StoredJob] = []
        jobs.reserveCapacity(ids.count)
        for (id, fields) in zip(ids, hashes) where !fields.isEmpty {
            jobs.append(try JobCodec.decode(fields, key: keys.job(id)))
        }
        return jobs
    }

    /// The graph as pushed.
    /// - Throws: ``StoreError`` as ``jobs()``, or ``StoreError/Code/corruptRecord`` when the jobs no longer form
    ///   a valid graph.
    public func graph() throws(StoreError) -> JobGraph {
        let jobs = try jobs().sorted { $0.index < $1.index }.map(\.job)
        do {
            return try JobGraph(namespace: namespace, jobs: jobs)
        } catch {
            throw StoreError(.corruptRecord, "the jobs of namespace '\(namespace)' do not form a valid graph: \(error)")
        }
    }

    // MARK: - States

    /// Every job's state, with jobs in progress whose lease expired reported as ``JobState/lost`` (without
    /// writing anything; ``reapLostJobs()`` records them).
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func states() throws(StoreError) -> [String: JobState] {
        try checkSchema()
        let replies = try pipeline(
            [["HGETALL", RedisArgument(keys.states)], ["SMEMBERS", RedisArgument(keys.running)]],
            "reading the job states")
        let raw = try pairs(replies[0], "the states at \(keys.states)")
        var states: [String: JobState] = [:]
        states.reserveCapacity(raw.count)
        for (id, value) in raw {
            guard let state = JobState(rawValue: value) else {
                throw StoreError(
                    .corruptRecord, "job '\(id)' has the unknown state '\(value)' in \(keys.states)")
            }
            states[id] = state
        }
        let running = try strings(replies[1], "the running set at \(keys.running)").filter {
            states[$0] == .inProgress
        }
        if !running.isEmpty {
            let leases = try pipeline(running.map { ["EXISTS", RedisArgument(keys.lease($0))] }, "reading the leases")
            for (id, reply) in zip(running, leases) where reply.integer == 0 {
                states[id] = .lost
            }
        }
        return states
    }

    /// The states of the jobs `ids`, in that order, as ``states()`` reports them (a job without one is not
    /// started; one in progress whose lease expired is lost), read without the namespace's whole states hash in one
    /// reply and a dictionary of every id: an `HMGET` per ``stateGroup`` ids, read ahead on a thread of its own, then
    /// an `EXISTS` of each lease of a job in progress. At a million jobs that spares a reply of two million values
    /// and a dictionary of a million ids, built and then looked up once a job (docs/run.md, "At scale").
    /// - Parameter ids: The jobs, such as a graph's in its order.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, a state that is not one, or when redis
    ///   fails.
    public func states(of ids: [String]) throws(StoreError) -> [JobState] {
        try checkSchema()
        let keys = keys
        var states: [JobState] = []
        states.reserveCapacity(ids.count)
        try hashValues(
            of: keys.states, count: ids.count, group: Self.stateGroup, batchSize: 1, "reading the job states",
            member: { ids[$0] }
        ) { (first, values) throws(StoreError) in
            for (place, value) in values.enumerated() {
                guard let text = try text(value, "the state of a job at \(keys.states)") else {
                    states.append(.notStarted)
                    continue
                }
                guard let state = JobState(rawValue: text) else {
                    throw StoreError(
                        .corruptRecord,
                        "job '\(ids[first + place])' has the unknown state '\(Format.escaped(text, limit: 60))' in "
                            + "\(keys.states)")
                }
                states.append(state)
            }
        }
        let inProgress = states.indices.filter { states[$0] == .inProgress }
        if !inProgress.isEmpty {
            let leases = try bulkPipeline(
                inProgress.map { ["EXISTS", RedisArgument(keys.lease(ids[$0]))] }, "reading the leases")
            for (index, reply) in zip(inProgress, leases) where reply.integer == 0 { states[index] = .lost }
        }
        return states
    }

    /// How many jobs are in progress with a live lease (``states()``'s `inProgress`), read from the set of running
    /// jobs rather than every job's state: the scripts add a job to it whenever they make it in progress, so a
    /// namespace of a million jobs with eight running costs eight states and eight leases, not a million states.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, a state that is not one, or when redis
    ///   fails.
    public func inProgressCount() throws(StoreError) -> Int {
        let members = try strings(
            try command(["SMEMBERS", RedisArgument(keys.running)], "reading the running set"),
            "the running set at \(keys.running)")
        return try states(of: members).count { $0 == .inProgress }
    }

    /// One job's state (``JobState/lost`` for a job in progress whose lease expired).
    /// - Parameter id: The job's id.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/unknownJob``, or as ``states()``.
    public func state(of id: String) throws(StoreError) -> JobState {
        try status(of: id).state
    }

    /// One job's state and bookkeeping.
    /// - Parameter id: The job's id.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/unknownJob``, or as ``states()``.
    public func status(of id: String) throws(StoreError) -> JobStatus {
        try statuses(of: [id])[0]
    }

    /// Several jobs' states and bookkeeping, in one round trip (with the schema check).
    /// - Parameter ids: The jobs' ids.
    /// - Returns: Their statuses, in the order of `ids`.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/unknownJob`` for the first id that is no job, or as
    ///   ``states()``.
    public func statuses(of ids: [String]) throws(StoreError) -> [JobStatus] {
        guard !ids.isEmpty else {
            try checkSchema()
            return []
        }
        var commands: [[RedisArgument]] = [["GET", RedisArgument(keys.schema)]]
        commands.reserveCapacity(1 + ids.count * 4)
        for id in ids {
            commands += [
                ["HGET", RedisArgument(keys.states), RedisArgument(id)],
                ["HGETALL", RedisArgument(keys.status(id))],
                ["GET", RedisArgument(keys.lease(id))],
                ["PTTL", RedisArgument(keys.lease(id))],
            ]
        }
        let replies = try pipeline(
            commands, ids.count == 1 ? "reading the state of job '\(ids[0])'" : "reading the state of \(ids.count) jobs"
        )
        try checkSchema(found: try text(replies[0], "the schema version at \(keys.schema)"))
        var result: [JobStatus] = []
        result.reserveCapacity(ids.count)
        for (index, id) in ids.enumerated() {
            let base = 1 + index * 4
            guard let stateText = try text(replies[base], "the state of job '\(id)'") else { throw unknownJob(id) }
            guard var state = JobState(rawValue: stateText) else {
                throw StoreError(.corruptRecord, "job '\(id)' has the unknown state '\(stateText)' in \(keys.states)")
            }
            let fields = try pairs(replies[base + 1], "the status at \(keys.status(id))")
            let holder = try text(replies[base + 2], "the lease of job '\(id)'")
            if state == .inProgress && holder == nil { state = .lost }
            let ttl = Self.leaseRemaining(replies[base + 3])
            result.append(
                JobStatus(
                    id: id, state: state, fields: Dictionary(fields, uniquingKeysWith: { $1 }), leaseHolder: holder,
                    leaseRemaining: ttl))
        }
        return result
    }

    /// Records as ``JobState/lost`` every job in progress whose lease expired (their workers were killed or cut
    /// off), with a `job-lost` event each.
    /// - Returns: The ids of the jobs declared lost.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    @discardableResult
    public func reapLostJobs() throws(StoreError) -> [String] {
        let reply = try evaluate(StoreScripts.reap, [RedisArgument(UTCTime.now().iso8601)], "declaring lost jobs")
        return try strings(reply, "the reply of the reap script")
    }

    // MARK: - Attempts

    /// Every attempt of a job, oldest first.
    /// - Parameter id: The job's id.
    /// - Throws: ``StoreError`` with code ``StoreError/Code/unknownJob``, ``StoreError/Code/corruptRecord`` for an
    ///   attempt count beyond ``ClustmakeModel/NamespaceSnapshot/maximumAttempts``, or when redis fails.
    public func attempts(of id: String) throws(StoreError) -> [AttemptRecord] {
        let status = try status(of: id)
        guard status.attempts > 0 else { return [] }
        guard status.attempts <= NamespaceSnapshot.maximumAttempts else {
            throw StoreError(
                .corruptRecord,
                "the attempt count \(status.attempts) at \(keys.status(id)) is more than "
                    + "\(NamespaceSnapshot.maximumAttempts); its attempts are not read")
        }
        let hashes = try hashes((1...status.attempts).map { keys.attempt(id, $0) }, "reading the attempts of '\(id)'")
        return hashes.filter { !$0.isEmpty }.map(AttemptRecord.init(fields:))
    }

    /// One attempt of a job.
    /// - Parameters:
    ///   - id: The job's id.
    ///   - number: The attempt's number, from 1.
    /// - Returns: The record, or `nil` when there is no such attempt.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func attempt(of id: String, number: Int) throws(StoreError) -> AttemptRecord? {
        try checkSchema()
        let fields = try hash(keys.attempt(id, number), "reading attempt \(number) of '\(id)'")
        return fields.isEmpty ? nil : AttemptRecord(fields: fields)
    }

    /// The last bytes (up to ``StoreSchema/outputTailBytes``) an attempt wrote to stdout or stderr.
    /// - Parameters:
    ///   - id: The job's id.
    ///   - number: The attempt's number.
    ///   - channel: stdout or stderr.
    /// - Returns: The bytes as written (any encoding), or `nil` when the attempt recorded none.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func output(of id: String, attempt number: Int, _ channel: OutputChannel) throws(StoreError) -> [UInt8]? {
        try checkSchema()
        return try command(
            ["GET", RedisArgument(keys.output(id, number, channel))], "reading the \(channel) of '\(id)'"
        )
        .bytes
    }

    // MARK: - Hosts

    /// Every host that ran a job of the namespace, by nickname.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func hosts() throws(StoreError) -> [HostRecord] {
        try checkSchema()
        let names = try strings(
            try command(["SMEMBERS", RedisArgument(keys.hosts)], "listing the hosts"), "the hosts at \(keys.hosts)"
        ).sorted()
        let hashes = try hashes(names.map(keys.host), "reading the host records")
        return zip(names, hashes).map { HostRecord(nickname: $0, fields: $1) }
    }

    // MARK: - Errors

    func unknownNamespace() -> StoreError {
        StoreError(
            .unknownNamespace,
            "namespace '\(namespace)' does not exist at \(connection.endpoint) (no key \(keys.schema)): push its "
                + "graph first with `clustmake push JOBS --namespace \(namespace)`, or check --slave/--namespace and "
                + "the redis address")
    }

    func schemaMismatch(found: String) -> StoreError {
        StoreError(
            .schemaMismatch,
            "namespace '\(namespace)' at \(connection.endpoint) has schema version \(found) (\(keys.schema)); this "
                + "build of clustmake reads and writes version \(StoreSchema.version). Use the clustmake and compmake "
                + "of the build that pushed it, or push the graph to a new namespace")
    }

    func unknownJob(_ id: String) -> StoreError {
        StoreError(
            .unknownJob,
            "namespace '\(namespace)' has no job '\(id)' (no key \(keys.job(id))); check the job id, or push the "
                + "graph that defines it")
    }
}
