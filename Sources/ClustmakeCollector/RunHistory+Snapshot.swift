public import ClustmakeModel

extension RunHistory {
    /// The history recorded in a snapshot of the store.
    ///
    /// Attempts without a readable start time are left out. An attempt recorded `running` counts as running only
    /// while its job is in progress with it as the current attempt; otherwise (its lease expired and nobody has
    /// recorded it lost yet) it is lost. A lost attempt ends when it was found lost (`lost_at`), else at its host's
    /// last sign of life, else at its start.
    /// - Parameter snapshot: What the store's `JobStore.snapshot()` read.
    public init(_ snapshot: NamespaceSnapshot) {
        self.init(
            namespace: snapshot.namespace, now: snapshot.readAt.secondsSince1970, jobs: Self.jobRecords(snapshot),
            orderedAttempts: Self.orderedAttempts(snapshot))
    }

    /// ``init(_:)``, the jobs and the attempts converted at once (child tasks, so on two cores): neither reads what
    /// the other makes, and a million of each take seconds one after the other.
    public static func building(_ snapshot: NamespaceSnapshot) async -> RunHistory {
        async let jobs = jobRecords(snapshot)
        async let attempts = orderedAttempts(snapshot)
        return RunHistory(
            namespace: snapshot.namespace, now: snapshot.readAt.secondsSince1970, jobs: await jobs,
            orderedAttempts: await attempts)
    }

    /// The snapshot's jobs, their dependencies as positions.
    private static func jobRecords(_ snapshot: NamespaceSnapshot) -> [JobRecord] {
        // The fields are read in place (`snapshot.jobs[index].id`), not from a copy of each job: copying a job
        // retains and then releases every string and array it holds, a tenth of this function's time.
        let snapshotJobs = snapshot.jobs
        var indexByID: [String: Int] = [:]
        indexByID.reserveCapacity(snapshotJobs.count)
        for index in snapshotJobs.indices { indexByID[snapshotJobs[index].id] = index }
        var jobs: [JobRecord] = []
        jobs.reserveCapacity(snapshotJobs.count)
        for index in snapshotJobs.indices {
            let status = snapshotJobs[index].status
            let command: String
            switch snapshotJobs[index].command {
            case .shell(let line): command = line
            case .argv(let words): command = ShellWords.join(words)
            }
            jobs.append(
                JobRecord(
                    id: snapshotJobs[index].id, deps: snapshotJobs[index].deps.compactMap { indexByID[$0] },
                    tags: snapshotJobs[index].tags, cost: snapshotJobs[index].cost, command: command,
                    state: status.state, reason: status.reason, blockedBy: status.blockedBy,
                    doneAttempt: status.doneAttempt, attemptCount: status.attempts))
        }
        return jobs
    }

    /// The snapshot's attempts that have a start, in the history's order (``RunHistory/attempts``).
    private static func orderedAttempts(_ snapshot: NamespaceSnapshot) -> [Attempt] {
        var lastSeen: [String: Double] = [:]
        for host in snapshot.hosts {
            if let seen = host.lastSeen { lastSeen[host.nickname] = seen.secondsSince1970 }
        }
        // The order is found from the records before any is converted: each is then converted once, into its place
        // (sorting converted attempts would copy each again and release the first copy).
        var order: [OrderKey] = []
        order.reserveCapacity(snapshot.attemptCount)
        for index in snapshot.jobs.indices {
            let records = snapshot.attempts[index]
            for position in records.indices {
                // Two fields of each record, read in place rather than copying the record.
                guard let started = records[position].started?.secondsSince1970 else { continue }
                order.append((started, Int32(index), Int32(clamping: records[position].number), Int32(position)))
            }
        }
        order.sort(by: Self.historyOrder)
        var attempts: [Attempt] = []
        attempts.reserveCapacity(order.count)
        for key in order {
            let index = Int(key.job)
            let status = snapshot.jobs[index].status
            let record = snapshot.attempts[index][Int(key.position)]
            let started = key.start
            var outcome = record.state
            var ended = record.ended?.secondsSince1970
            if outcome == .running && !(status.state == .inProgress && status.currentAttempt == record.number) {
                outcome = .lost
            }
            if outcome == .lost {
                ended = max(started, record.lostAt?.secondsSince1970 ?? lastSeen[record.host] ?? started)
            }
            attempts.append(
                Attempt(
                    job: index, number: record.number, outcome: outcome,
                    counted: record.superseded == nil && record.stale == nil, host: record.host, start: started,
                    ended: outcome == .running ? nil : ended, wallTime: outcome == .lost ? nil : record.wallTime,
                    userCPU: record.userCPU, systemCPU: record.systemCPU, maxRSS: record.maxRSS,
                    exitStatus: record.exitStatus, signal: record.signal, timedOut: record.timedOut,
                    reason: record.reason ?? record.superseded ?? record.stale
                        ?? (outcome == .lost ? Self.lostReason : nil), stdoutBytes: record.stdoutBytes,
                    stderrBytes: record.stderrBytes, nodename: record.nodename))
        }
        return attempts
    }
}

extension RunHistory {
    /// The reason of a lost attempt that recorded none.
    static let lostReason = "its worker stopped renewing the lease (killed, or its host or network failed)"
}

/// Argument vectors as one shell line: words made only of safe characters stay as they are, others are
/// single-quoted.
enum ShellWords {
    static func join(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }

    static func quote(_ word: String) -> String {
        let safe = word.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default: "_@%+=:,./-".utf8.contains(byte)
            }
        }
        if safe && !word.isEmpty { return word }
        var quoted = "'"
        for character in word {
            quoted += character == "'" ? "'\\''" : String(character)
        }
        return quoted + "'"
    }
}
