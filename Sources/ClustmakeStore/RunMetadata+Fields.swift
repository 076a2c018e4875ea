import ClustmakeModel

// How the store decodes its hashes (docs/redis-schema.md) into the model's records: the field names are the
// store's, the records are the model's.

extension RunMetadata {
    init(namespace: String, fields: [String: String]) {
        self.init(
            namespace: namespace, fingerprint: fields["fingerprint"],
            jobCount: fields["jobs"].flatMap { Int($0) } ?? 0,
            created: fields["created"].flatMap { UTCTime(iso8601: $0) },
            pushed: fields["pushed"].flatMap { UTCTime(iso8601: $0) },
            pushes: fields["pushes"].flatMap { Int($0) } ?? 0, pushedBy: fields["pushed_by"], fields: fields)
    }

    /// Whether every done job's outcome copy (``StoreKeys/outcomes``) is its status and done attempt: the scripts
    /// that keep the copies count each increment of `seq` they make in `outcomes_seq` too, so the two are equal
    /// (absent counting as 0) only while no clustmake without the copies has started or finished a job in the
    /// namespace; one that did leaves them apart for good (docs/redis-schema.md, "Outcome copies").
    var outcomesInStep: Bool {
        /// A counter's value: 0 when it is absent, `nil` when it is not a whole number (then the copies are not read).
        func counter(_ name: String) -> Int? {
            guard let text = fields[name] else { return 0 }
            return Int(text)
        }
        guard let seq = counter("seq"), let counted = counter("outcomes_seq") else { return false }
        return seq == counted
    }
}

/// The fields of `compmake:{NS}:status:ID` a ``ClustmakeModel/JobStatus`` is decoded from, in the order a snapshot
/// reads them. The hash has two more, `start_seq` and `done_seq`, that order the scripts' records and that nothing reading
/// a snapshot uses: it does not ask for them (7 fields instead of 9). A done job's outcome copy holds them in this
/// order too, and the finish script (``StoreScripts/finishFunction``) lists their values in it.
enum StatusField: Int, CaseIterable {
    case attempts, attempt, host, updated, reason, blockedBy, doneAttempt

    var name: String {
        switch self {
        case .attempts: "attempts"
        case .attempt: "attempt"
        case .host: "host"
        case .updated: "updated"
        case .reason: "reason"
        case .blockedBy: "blocked_by"
        case .doneAttempt: "done_attempt"
        }
    }
}

extension JobStatus {
    init(id: String, state: JobState, fields: [String: String], leaseHolder: String?, leaseRemaining: Duration?) {
        self.init(id: id, state: state, leaseHolder: leaseHolder, leaseRemaining: leaseRemaining, fields: fields) {
            fields[$0.name]
        }
    }

    /// A status from its stored fields, each looked up by `value`: one reading of a whole hash (`fields`, kept) and
    /// of a snapshot's `HMGET` (by position, `fields` empty).
    init(
        id: String, state: JobState, leaseHolder: String?, leaseRemaining: Duration?, fields: [String: String],
        value: (StatusField) -> String?
    ) {
        func number(_ field: StatusField) -> Int? { value(field).flatMap { Int($0) } }
        self.init(
            id: id, state: state, attempts: number(.attempts) ?? 0, currentAttempt: number(.attempt) ?? 0,
            doneAttempt: state == .done ? number(.doneAttempt) : nil, reason: value(.reason),
            blockedBy: state == .blocked ? value(.blockedBy) : nil, host: value(.host),
            updated: value(.updated).flatMap { UTCTime(iso8601: $0) }, leaseHolder: leaseHolder,
            leaseRemaining: leaseRemaining, fields: fields)
    }
}

extension HostRecord {
    init(nickname: String, fields: [String: String]) {
        func count(_ name: String) -> Int { fields[name].flatMap { Int($0) } ?? 0 }
        self.init(
            nickname: nickname, nodename: fields["nodename"], workerVersion: fields["worker_version"],
            firstSeen: fields["first_seen"].flatMap { UTCTime(iso8601: $0) },
            lastSeen: fields["last_seen"].flatMap { UTCTime(iso8601: $0) }, started: count("started"),
            succeeded: count("succeeded"), failed: count("failed"), interrupted: count("interrupted"),
            lost: count("lost"), fields: fields)
    }
}
