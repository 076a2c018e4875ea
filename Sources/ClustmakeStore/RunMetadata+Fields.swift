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
}

extension JobStatus {
    init(id: String, state: JobState, fields: [String: String], leaseHolder: String?, leaseRemaining: Duration?) {
        self.init(
            id: id, state: state, attempts: fields["attempts"].flatMap { Int($0) } ?? 0,
            currentAttempt: fields["attempt"].flatMap { Int($0) } ?? 0,
            doneAttempt: state == .done ? fields["done_attempt"].flatMap { Int($0) } : nil, reason: fields["reason"],
            blockedBy: state == .blocked ? fields["blocked_by"] : nil, host: fields["host"],
            updated: fields["updated"].flatMap { UTCTime(iso8601: $0) }, leaseHolder: leaseHolder,
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
