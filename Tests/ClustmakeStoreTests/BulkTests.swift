import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem
import ClustmakeTestSupport
import Synchronization
import Testing

@testable import ClustmakeStore

@Suite struct BulkTests {
    @Test("a snapshot without commands holds the same jobs but their command lines, which redis does not send")
    func withoutCommands() throws {
        let fixture = try Fixture()
        let long = "echo " + String(repeating: "x", count: 100_000)
        try fixture.push([
            job("a", long, cost: 2), job("b", deps: ["a"]),
            Job(id: "c", command: .argv(["printf", long]), deps: ["b"], retries: 2, timeout: 30, tags: ["t"]),
        ])
        try run(fixture.store, "a")
        let redis = try fixture.redis()
        func sent() throws -> Int {
            let info = try #require(try redis.command("INFO", "stats").expectString())
            let line = try #require(info.split(separator: "\r\n").first { $0.hasPrefix("total_net_output_bytes:") })
            return try #require(Int(line.dropFirst("total_net_output_bytes:".count)))
        }
        let full = try fixture.another().snapshot()
        let before = try sent()
        let light = try fixture.another().snapshot(commands: false)
        let bytes = try sent() - before
        #expect(bytes < 20_000, "\(bytes) bytes sent for a snapshot without the two 100 KB command lines")
        #expect(light.jobs.map(\.id) == full.jobs.map(\.id))
        #expect(light.jobs.allSatisfy { $0.command == .shell("") })
        #expect(full.jobs[0].command == .shell(long) && full.jobs[2].command == .argv(["printf", long]))
        for (lighter, whole) in zip(light.jobs, full.jobs) {
            #expect(lighter.index == whole.index && lighter.deps == whole.deps && lighter.tags == whole.tags)
            #expect(lighter.cost == whole.cost && lighter.retries == whole.retries && lighter.timeout == whole.timeout)
            #expect(lighter.status.state == whole.status.state && lighter.status.attempts == whole.status.attempts)
        }
        #expect(light.attempts.map(\.count) == full.attempts.map(\.count))
        // A definition the graph's limits refuse is still noted without the command lines: its copy, refused, is
        // passed over for the hash.
        _ = try redis.command("HSET", "compmake:{ns}:job:b", "cost", "inf")
        let copy = try redis.command("HGET", "compmake:{ns}:definitions", "b").string
        #expect(copy == "1|1:15:[\"a\"]2:[]1:11:0~", "index, deps, tags, cost, retries, no timeout")
        _ = try redis.command("HSET", "compmake:{ns}:definitions", "b", "1|1:15:[\"a\"]2:[]3:inf1:0~")
        let noted = try fixture.another().snapshot(commands: false)
        #expect(noted.notes.contains { $0.contains("job 'b'") && $0.contains("'cost'") }, "\(noted.notes)")
    }

    @Test("a snapshot without commands reads the definitions' copies, or a job's hash where its copy is of no use")
    func definitionCopies() throws {
        let fixture = try Fixture()
        func graph(costOfC: Double, withD: Bool) -> [Job] {
            [
                job("a", cost: 2), job("b", deps: ["a"]),
                Job(
                    id: "c", command: .shell("true"), deps: ["a", "b"], cost: costOfC, retries: 2, timeout: 30,
                    tags: ["t", "u \"v\""]),
            ] + (withD ? [job("d"), job("e")] : [])
        }
        try fixture.push(graph(costOfC: 1, withD: true))
        try run(fixture.store, "a")
        let redis = try fixture.redis()
        let copies = "compmake:{ns}:definitions"
        let meta = "compmake:{ns}:meta"
        #expect(try redis.command("HLEN", copies) == .integer(5))
        let fingerprint = try #require(try redis.command("HGET", meta, "fingerprint").string)
        #expect(try redis.command("HGET", meta, "definitions").string == fingerprint)
        #expect(
            try redis.command("HGET", copies, "c").string
                == "1|1:29:[\"a\",\"b\"]15:[\"t\",\"u \\\"v\\\"\"]1:11:22:30")
        // Each copy holds the values of its job's hash.
        for id in ["a", "b", "c", "d", "e"] {
            let fields = JobStore.copiedDefinitionFields
            let values = try #require(
                try redis.command((["HMGET", "compmake:{ns}:job:\(id)"] + fields).map { RedisArgument($0) }).array)
            let copy = try #require(try redis.command("HGET", copies, id).bytes)
            let packed = try #require(PackedValues(copy, count: fields.count))
            #expect(fields.indices.map { packed.string($0) } == values.map(\.string), "\(id)")
        }
        let fromCopies = try fixture.another().snapshot(commands: false)
        #expect(fromCopies.notes.isEmpty)

        // The copy is what is read: d's says cost 7; but not when the metadata says the copies are not of the graph
        // pushed last (a clustmake before copies pushed it): then every job is read from its hash.
        _ = try redis.command("HSET", copies, "d", "1|1:32:[]2:[]1:71:0~")
        #expect(try fixture.another().snapshot(commands: false).jobs[3].cost == 7)
        _ = try redis.command("HDEL", meta, "definitions")
        let fromHashes = try fixture.another().snapshot(commands: false)
        #expect(fromCopies.jobs == fromHashes.jobs && fromCopies.attempts == fromHashes.attempts)
        #expect(fromHashes.notes.isEmpty)
        _ = try redis.command("HSET", meta, "definitions", fingerprint)

        // c has no copy, b's is not of the form, e's holds a cost the graph's limits refuse: those three are read
        // from their hashes, in their places.
        _ = try redis.command("HSET", copies, "e", "1|1:42:[]2:[]4:-1.01:0~")
        _ = try redis.command("HSET", copies, "b", "1|garbage")
        _ = try redis.command("HDEL", copies, "c")
        let mixed = try fixture.another().snapshot(commands: false)
        #expect(mixed.jobs.map(\.id) == ["a", "b", "c", "d", "e"])
        #expect(mixed.jobs[3].cost == 7)
        #expect(Array(mixed.jobs[0...2]) == Array(fromHashes.jobs[0...2]) && mixed.jobs[4] == fromHashes.jobs[4])
        #expect(mixed.notes.isEmpty, "\(mixed.notes)")

        // A push rewrites the copy of a changed job and removes those of removed jobs.
        try fixture.push(graph(costOfC: 5, withD: false), force: true)
        #expect(try redis.command("HLEN", copies) == .integer(3))
        #expect(try redis.command("HGET", copies, "d") == .null)
        #expect(try fixture.another().snapshot(commands: false).jobs.map(\.cost) == [2, 1, 5])
        #expect(try redis.command("HGET", copies, "c").string?.contains("1:5") == true)

        // A namespace a clustmake before copies pushed gets every job's copy from the next push, even of the same
        // graph.
        let changed = try #require(try redis.command("HGET", meta, "fingerprint").string)
        _ = try redis.command("DEL", copies)
        _ = try redis.command("HDEL", meta, "definitions")
        let report = try fixture.push(graph(costOfC: 5, withD: false))
        #expect(report.isUnchanged && report.wrote)
        #expect(try redis.command("HLEN", copies) == .integer(3))
        #expect(try redis.command("HGET", meta, "definitions").string == changed)
        #expect(try fixture.push(graph(costOfC: 5, withD: false)).wrote == false, "in step: nothing to write")
    }

    @Test("a done job's outcome copy is its status and done attempt, read while the metadata's counts agree")
    func outcomeCopies() throws {
        let fixture = try Fixture()
        let graph = [job("a", "echo a"), job("b", "false"), job("c"), job("d"), job("e"), job("f", deps: ["a"])]
        try fixture.push(graph)
        let store = fixture.store
        try run(store, "a")
        try run(store, "b", .failed)
        // c's recording takes d in the same call; e fails, then succeeds: done by its second attempt.
        _ = try store.finish(
            try lease(store.acquire("c", more: false, request: request())), result(.succeeded), thenAcquire: "d",
            more: false)
        try run(store, "e", .failed)
        try run(store, "e")
        let redis = try fixture.redis()
        let outcomes = "compmake:{ns}:outcomes"
        let meta = "compmake:{ns}:meta"
        #expect(try redis.command("HKEYS", outcomes).array?.compactMap(\.string).sorted() == ["a", "c", "e"])
        let seq = try #require(try redis.command("HGET", meta, "seq").string)
        #expect(try redis.command("HGET", meta, "outcomes_seq").string == seq)
        // Each copy: the status fields as the hash holds them, then the summary of the attempt that did the job.
        for (id, attempt) in [("a", 1), ("c", 1), ("e", 2)] {
            let fields = JobStore.snapshotStatusFields
            let values = try #require(
                try redis.command((["HMGET", "compmake:{ns}:status:\(id)"] + fields).map { RedisArgument($0) }).array)
            let summary = try redis.command("GET", "compmake:{ns}:summary:\(id):\(attempt)").string
            let copy = try #require(try redis.command("HGET", outcomes, id).bytes)
            #expect(copy == PackedValues.pack(values.map(\.string) + [summary]), "\(id)")
            #expect(values[StatusField.doneAttempt.rawValue].string == "\(attempt)")
        }
        // The statuses but for the leases' time left, which runs down between two reads.
        func statuses(_ snapshot: NamespaceSnapshot) -> [JobStatus] {
            snapshot.jobs.map {
                var status = $0.status
                status.leaseRemaining = nil
                return status
            }
        }
        let whole = try fixture.another().snapshot()
        let fromCopies = try fixture.another().snapshot(commands: false)
        #expect(fromCopies.notes.isEmpty, "\(fromCopies.notes)")
        #expect(statuses(fromCopies) == statuses(whole))
        #expect(fromCopies.attempts == whole.attempts)

        // The copy is what is read: a's says host `elsewhere`; not once a start by a clustmake without the copies
        // counted itself in `seq` alone, for good: then every job's status is read from its hash.
        let a = try #require(try redis.command("HGET", outcomes, "a").string)
        let host = try #require(whole.jobs[0].status.host)
        _ = try redis.command(
            "HSET", outcomes, "a", a.replacing("\(host.utf8.count):\(host)", with: "9:elsewhere", maxReplacements: 1))
        #expect(try fixture.another().snapshot(commands: false).jobs[0].status.host == "elsewhere")
        // A counter that is not a number leaves the copies unread too.
        _ = try redis.command("HSET", meta, "outcomes_seq", "many")
        #expect(try fixture.another().snapshot(commands: false).jobs[0].status.host == host)
        _ = try redis.command("HSET", meta, "outcomes_seq", seq)
        _ = try redis.command("HINCRBY", meta, "seq", "1")
        try run(store, "f")
        let apart = try fixture.another().snapshot(commands: false)
        #expect(apart.jobs[0].status.host == host)
        #expect(statuses(apart) == statuses(try fixture.another().snapshot()))
        _ = try redis.command("HINCRBY", meta, "outcomes_seq", "1")
        _ = try redis.command("HSET", outcomes, "a", a)

        // a's copy is missing, c's is not of the form, e's summary names another attempt, f's status part is cut:
        // their statuses come from their hashes and their attempts from their summaries, in their places.
        let f = try #require(try redis.command("HGET", outcomes, "f").string)
        let e = try #require(try redis.command("HGET", outcomes, "e").string)
        _ = try redis.command("HDEL", outcomes, "a")
        _ = try redis.command("HSET", outcomes, "c", "1|garbage")
        var another = e  // the summary's attempt number (the status's `attempts` comes first)
        another.replaceSubrange(try #require(e.ranges(of: "1|1:2").last), with: "1|1:7")
        _ = try redis.command("HSET", outcomes, "e", another)
        _ = try redis.command("HSET", outcomes, "f", String(f.prefix(12)))
        let now = try fixture.another().snapshot()
        let mixed = try fixture.another().snapshot(commands: false)
        #expect(mixed.jobs.map(\.id) == ["a", "b", "c", "d", "e", "f"])
        #expect(statuses(mixed) == statuses(now) && mixed.attempts == now.attempts)
        #expect(mixed.notes.isEmpty, "\(mixed.notes)")

        // A copy is read only while its job is done: a runs again (its copy says done, its hash in progress).
        _ = try lease(store.acquire("a", more: true, request: request()))
        let running = try fixture.another().snapshot(commands: false)
        #expect(running.jobs[0].status.state == .inProgress && running.jobs[0].status.attempts == 2)
        #expect(running.attempts[0].count == 2)

        // A push that removes a job removes its copy.
        try fixture.push(graph.filter { $0.id != "e" }, force: true)
        #expect(try redis.command("HEXISTS", outcomes, "e") == .integer(0))
    }

    @Test("cost samples read a done job's attempts from its outcome copy, the others from their hashes, in order")
    func costSamplesFromCopies() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b"), job("c"), job("d"), job("e"), job("f")])
        let store = fixture.store
        func finish(_ id: String, _ state: AttemptState = .succeeded, wall: Double, more: Bool = false) throws {
            var outcome = result(state)
            outcome.wallTime = wall
            _ = try store.finish(try lease(store.acquire(id, more: more, request: request())), outcome)
        }
        try finish("a", wall: 1)  // done by its first attempt
        try finish("b", .failed, wall: 2)  // failed: no sample
        try finish("c", .failed, wall: 3)
        try finish("c", wall: 4)  // done by its second attempt: one sample
        try finish("d", wall: 5)
        try finish("d", wall: 6, more: true)  // run again: two samples, the copy's the second
        try finish("e", wall: 7)
        _ = try lease(store.acquire("e", more: true, request: request()))  // running again: its copy is not read
        let redis = try fixture.redis()
        let meta = "compmake:{ns}:meta"
        let outcomes = "compmake:{ns}:outcomes"
        func samples() throws -> [String] {
            try fixture.another().costSamples { _ in false }.samples.map { "\($0.job):\($0.wallTime)" }
        }
        let expected = ["0:1.0", "2:4.0", "3:5.0", "3:6.0", "4:7.0"]
        #expect(try samples() == expected)
        #expect(try fixture.another().costSamples { _ in false }.jobs.map(\.id) == ["a", "b", "c", "d", "e", "f"])

        // The copy is what is read: a's attempt gone from its hashes still gives its sample, but not once the
        // metadata's counters are apart (then every job is read from its hashes).
        _ = try redis.command("DEL", "compmake:{ns}:summary:a:1", "compmake:{ns}:attempt:a:1")
        #expect(try samples() == expected)
        let seq = try #require(try redis.command("HGET", meta, "seq").string)
        _ = try redis.command("HSET", meta, "outcomes_seq", "many")
        #expect(try samples() == Array(expected.dropFirst()))
        _ = try redis.command("HSET", meta, "outcomes_seq", seq)

        // A copy not of its form (a's), one whose done attempt is not among its attempts (c's) and one whose summary
        // names another attempt (d's) are not used: their jobs are read from their hashes, where the attempts that
        // did c and d are gone too (a copy used would still give them).
        let c = try #require(try redis.command("HGET", outcomes, "c").string)
        let d = try #require(try redis.command("HGET", outcomes, "d").string)
        _ = try redis.command("HSET", outcomes, "a", "1|garbage")
        _ = try redis.command("HSET", outcomes, "c", c.replacing("1|1:2", with: "1|1:1", maxReplacements: 1))
        var another = d  // the summary's attempt number (the status's `attempts` comes first)
        another.replaceSubrange(try #require(d.ranges(of: "1|1:2").last), with: "1|1:7")
        _ = try redis.command("HSET", outcomes, "d", another)
        for id in ["c", "d"] {
            _ = try redis.command("DEL", "compmake:{ns}:summary:\(id):2", "compmake:{ns}:attempt:\(id):2")
        }
        #expect(try samples() == ["3:5.0", "4:7.0"])
    }

    @Test("the states of a list of jobs, in its order: none is not started, a lease gone is lost, a bad one fails")
    func statesInOrder() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b"), job("c"), job("d")])
        let store = fixture.store
        try run(store, "a")
        try run(store, "b", .failed)
        let running = try lease(store.acquire("c", more: false, request: request()))
        _ = try lease(store.acquire("d", more: false, request: request()))
        #expect(try store.inProgressCount() == 2)
        let redis = try fixture.redis()
        _ = try redis.command("DEL", "compmake:{ns}:lease:d")
        let ids = ["d", "c", "b", "a", "x"]
        #expect(try store.states(of: ids) == [.lost, .inProgress, .failed, .done, .notStarted])
        let whole = try store.states()
        #expect(try store.states(of: ids) == ids.map { whole[$0] ?? .notStarted })
        // The count of jobs in progress: c only (d's lease is gone), as `states()` counts them.
        #expect(try store.inProgressCount() == 1)
        #expect(try store.inProgressCount() == whole.values.count { $0 == .inProgress })
        // More ids than one HMGET asks for, in their order.
        let many = Array(repeating: "a", count: JobStore.stateGroup) + ["b", "c"]
        #expect(
            try store.states(of: many) == Array(repeating: .done, count: JobStore.stateGroup) + [.failed, .inProgress])
        // A value that is no state is an error that names its job.
        _ = try redis.command("HSET", "compmake:{ns}:states", "b", "sideways")
        let error = try #require(throws: StoreError.self) { try store.states(of: ids) }
        #expect(error.code == .corruptRecord && error.message.contains("'b'") && error.message.contains("sideways"))
        // The count reads only the running jobs' states (b's is not among them).
        _ = try store.finish(running, result(.succeeded))
        #expect(try store.inProgressCount() == 0)
    }

    @Test("a snapshot holds what the one-job reads return: jobs, states, statuses, attempts, hosts, metadata")
    func matchesSingleReads() throws {
        let fixture = try Fixture()
        try fixture.push([
            job("a", "echo a", cost: 2), job("b", deps: ["a"]), job("c", "false"), job("d", deps: ["c"]),
            Job(id: "e", command: .argv(["printf", "%s\n", "x y"]), tags: ["t1", "t \"2\""]), job("f"),
        ])
        let store = fixture.store
        try run(store, "a")
        try run(store, "b")
        try run(store, "c", .failed)
        _ = try store.acquire("d", more: false, request: request())  // blocked by c
        try run(store, "e", .failed)
        try run(store, "e")
        let held = try lease(store.acquire("f", more: false, request: request("h2")))

        let snapshot = try fixture.another().snapshot()
        #expect(snapshot.namespace == "ns")
        #expect(snapshot.metadata == (try store.metadata()))
        #expect(snapshot.jobs.map(\.id) == (try store.jobIDs()))
        for stored in try store.jobs() {
            let job = try #require(snapshot.jobs.first { $0.id == stored.job.id })
            #expect(job.index == stored.index)
            #expect(job.command == stored.job.command)
            #expect(job.deps == stored.job.deps)
            #expect(job.tags == stored.job.tags)
            #expect(job.cost == stored.job.cost)
            let status = try store.status(of: stored.job.id)
            #expect(job.status.state == status.state)
            #expect(job.status.attempts == status.attempts)
            #expect(job.status.currentAttempt == status.currentAttempt)
            #expect(job.status.doneAttempt == status.doneAttempt)
            #expect(job.status.reason == status.reason)
            #expect(job.status.blockedBy == status.blockedBy)
            #expect(job.status.host == status.host)
            #expect(job.status.updated == status.updated)
            #expect(job.status.fields.isEmpty && !status.fields.isEmpty)
            #expect(job.status.leaseHolder == status.leaseHolder)
        }
        #expect(snapshot.jobs.map(\.status.state) == [.done, .done, .failed, .blocked, .done, .inProgress])
        #expect(snapshot.jobs[5].status.leaseHolder == held.request.token)
        #expect(snapshot.jobs[5].status.leaseRemaining != nil)
        for (index, job) in snapshot.jobs.enumerated() {
            let records = try store.attempts(of: job.id)
            #expect(snapshot.attempts[index].count == records.count)
            for (attempt, record) in zip(snapshot.attempts[index], records) {
                #expect(attempt.number == record.number)
                #expect(attempt.state == record.state)
                #expect(attempt.host == record.host)
                #expect(attempt.nodename == record.nodename)
                #expect(attempt.started == record.started)
                #expect(attempt.ended == record.ended)
                #expect(attempt.wallTime == record.wallTime)
                #expect(attempt.userCPU == record.userCPU)
                #expect(attempt.systemCPU == record.systemCPU)
                #expect(attempt.maxRSS == record.maxRSS)
                #expect(attempt.exitStatus == record.exitStatus)
                #expect(attempt.reason == record.reason)
                #expect(attempt.stdoutBytes == record.stdoutBytes)
            }
        }
        #expect(snapshot.attemptCount == 6)
        #expect(snapshot.hosts == (try store.hosts()))
    }

    @Test("every way an attempt's outcome is recorded writes a summary that reads as its fields do")
    func summaries() throws {
        let fixture = try Fixture()
        try fixture.push([
            job("a", "echo a"), job("b", "false"), job("c"), job("d"), job("e", deps: ["a"]), job("f"), job("g"),
            job("h"), job("i"),
        ])
        let store = fixture.store
        try run(store, "a")
        _ = try store.finish(
            try lease(store.acquire("b", more: false, request: request())),
            result(.failed, exit: 1, reason: "exited with status 1"))
        try run(store, "c", .interrupted)
        // d: its first attempt is revoked and a second starts before the first is recorded: superseded.
        let first = try lease(store.acquire("d", more: false, request: request("h1")))
        #expect(try store.revokeLease(of: "d", attempt: 1, host: "h1", reason: "its host failed"))
        _ = try lease(store.acquire("d", more: false, request: request("h2")))
        _ = try store.finish(first, result(.succeeded))
        // e: its dependency runs again while it runs: stale.
        let stale = try lease(store.acquire("e", more: false, request: request()))
        try run(store, "a", more: true)
        _ = try store.finish(stale, result(.succeeded))
        // f: found lost, then recorded by its worker after all (its record keeps `lost_at`).
        let late = try lease(store.acquire("f", more: false, request: request("h1")))
        #expect(try store.revokeLease(of: "f", attempt: 1, host: "h1", reason: "its host failed"))
        _ = try store.finish(late, result(.succeeded))
        // g's recording takes h in the same call; h still runs, i is lost and never recorded: no summary for either.
        _ = try store.finish(
            try lease(store.acquire("g", more: false, request: request())), result(.succeeded), thenAcquire: "h",
            more: false)
        _ = try lease(store.acquire("i", more: false, request: request("h1")))
        #expect(try store.revokeLease(of: "i", attempt: 1, host: "h1", reason: "its host failed"))

        let redis = try fixture.redis()
        let snapshot = try fixture.another().snapshot()
        var summarized = 0
        for (index, job) in snapshot.jobs.enumerated() {
            let records = try store.attempts(of: job.id)
            #expect(snapshot.attempts[index].count == records.count, "\(job.id)")
            for (attempt, record) in zip(snapshot.attempts[index], records) {
                var typed = record
                typed.fields = [:]
                #expect(attempt == typed, "\(job.id) attempt \(record.number)")
                let summary = try redis.command("GET", "compmake:{ns}:summary:\(job.id):\(record.number)")
                let ended = record.fields["finished"] == "1"
                #expect((summary.string != nil) == ended, "\(job.id) attempt \(record.number)")
                if let text = summary.string {
                    summarized += 1
                    #expect(text == (try attemptSummary(of: "compmake:{ns}:attempt:\(job.id):\(record.number)", redis)))
                }
            }
        }
        #expect(summarized == 8)  // a twice, b, c, d's first, e, f and g
        #expect(
            snapshot.attempts[3].map(\.superseded) == ["another attempt took the job over while this one ran", nil])
        #expect(snapshot.attempts[4].first?.stale != nil)
        #expect(snapshot.attempts[5].first?.lostAt != nil && snapshot.attempts[5].first?.state == .succeeded)
    }

    @Test("an attempt whose summary is cut, of another attempt or of another form is read from its fields")
    func summaryNotTrusted() throws {
        let fixture = try Fixture()
        try fixture.push([job("a", "echo a"), job("b"), job("c")])
        for id in ["a", "b", "c"] { try run(fixture.store, id) }
        let redis = try fixture.redis()
        let a = try #require(try redis.command("GET", "compmake:{ns}:summary:a:1").string)
        _ = try redis.command("SET", "compmake:{ns}:summary:a:1", String(a.dropLast(3)))
        _ = try redis.command(
            "SET", "compmake:{ns}:summary:b:1", "1|1:7" + a.dropFirst(5))
        _ = try redis.command("SET", "compmake:{ns}:summary:c:1", "2|" + a.dropFirst(2))
        // b's summary names attempt 7, not b's first; a's lost its end; c's is of a form not known.
        #expect(a.hasPrefix("1|1:1"))
        let snapshot = try fixture.store.snapshot()
        for (index, id) in ["a", "b", "c"].enumerated() {
            var single = try #require(try fixture.store.attempt(of: id, number: 1))
            single.fields = [:]
            #expect(snapshot.attempts[index] == [single], "\(id)")
        }
    }

    @Test(
        "a corrupt job record or an absurd attempt count is a note about that job, not an unreadable namespace",
        .timeLimit(.minutes(1)))
    func corruptRecordsAreNotes() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b"), job("c", deps: ["a"]), job("d")])
        let redis = try fixture.redis()
        _ = try redis.command("HSET", "compmake:{ns}:job:a", "timeout", "1e308")
        _ = try redis.command("HSET", "compmake:{ns}:job:c", "cost", "nan")
        _ = try redis.command("HSET", "compmake:{ns}:status:b", "attempts", "9223372036854775000")
        _ = try redis.command("HSET", "compmake:{ns}:states", "d", "exploded\u{1B}[2J")
        let snapshot = try fixture.store.snapshot()
        #expect(snapshot.jobs.map(\.id) == ["a", "b", "c", "d"])
        #expect(snapshot.attemptCount == 0)
        #expect(snapshot.notes.count == 4, "\(snapshot.notes)")
        #expect(snapshot.notes.contains { $0.hasPrefix("job 'a': ") && $0.contains("compmake:{ns}:job:a") })
        #expect(snapshot.notes.contains { $0.hasPrefix("job 'c': ") && $0.contains("'cost'") })
        #expect(
            snapshot.notes.contains {
                $0.hasPrefix("job 'b': its attempt count 9223372036854775000 at compmake:{ns}:status:b")
            })
        #expect(snapshot.notes.contains { $0.hasPrefix("job 'd': ") && $0.contains(#"exploded\u{1B}[2J"#) })
        #expect(!snapshot.notes.joined().unicodeScalars.contains { $0.value == 0x1B })
        let error = #expect(throws: StoreError.self) { try fixture.store.attempts(of: "b") }
        #expect(error?.code == .corruptRecord && error?.message.contains("compmake:{ns}:status:b") == true)
    }

    @Test("numbers of an attempt record that are not finite read as absent, in the snapshot and in one attempt")
    func nonFiniteAttemptNumbers() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        try run(fixture.store, "a")
        let key = "compmake:{ns}:attempt:a:1"
        let redis = try fixture.redis()
        _ = try redis.command("HSET", key, "wall_time", "inf", "user_cpu", "nan", "system_cpu", "1e999")
        // Read from the fields (the summary removed), and from a summary that carries the same values.
        _ = try redis.command("DEL", "compmake:{ns}:summary:a:1")
        let fromFields = try #require(try fixture.store.snapshot().attempts.first?.first)
        _ = try redis.command("SET", "compmake:{ns}:summary:a:1", try attemptSummary(of: key, redis))
        let fromSummary = try #require(try fixture.store.snapshot().attempts.first?.first)
        let single = try #require(try fixture.store.attempt(of: "a", number: 1))
        for attempt in [fromFields, fromSummary, single] {
            #expect(attempt.wallTime == nil && attempt.userCPU == nil && attempt.systemCPU == nil)
        }
    }

    @Test("a job in progress whose lease expired is lost in the snapshot, as states() reports it")
    func lost() throws {
        let fixture = try Fixture()
        try fixture.push([job("a")])
        _ = try lease(fixture.store.acquire("a", more: false, request: request(ttl: .milliseconds(1))))
        while try fixture.store.states()["a"] != .lost {}
        let snapshot = try fixture.store.snapshot()
        #expect(snapshot.jobs[0].status.state == .lost)
        #expect(snapshot.jobs[0].status.leaseHolder == nil)
        #expect(snapshot.attempts[0].map(\.state) == [.running])
    }

    @Test(
        "a job that ends while a snapshot is read is not lost: only one still in progress without a lease is",
        .timeLimit(.minutes(2)))
    func endingJobsAreNotLost() throws {
        let fixture = try Fixture()
        // Enough jobs that reading them takes round trips, during which the worker below ends jobs.
        let count = JobStore.bulkBatchSize + 500
        try fixture.push((0..<count).map { job("j\($0)") })
        let server = fixture.server
        let finished = Mutex(0)
        let failure = Mutex<String?>(nil)
        let worker = try DedicatedThread {
            do {
                let store = try JobStore(connection: try server.connect(), namespace: "ns")
                for index in 0..<count {
                    try run(store, "j\(index)")
                    finished.withLock { $0 = index + 1 }
                }
            } catch {
                failure.withLock { $0 = "\(error)" }
                finished.withLock { $0 = count }
            }
        }
        let reader = try fixture.another()
        var overlapping = 0
        while finished.withLock({ $0 }) < count {
            let before = finished.withLock { $0 }
            let snapshot = try reader.snapshot()
            if finished.withLock({ $0 }) > before { overlapping += 1 }
            let lost = snapshot.jobs.filter { $0.status.state == .lost }.map(\.id)
            #expect(lost.isEmpty, "jobs that ended while the snapshot was read: \(lost)")
            if !lost.isEmpty { break }
        }
        worker.join()
        #expect(failure.withLock { $0 } == nil)
        #expect(overlapping > 0, "the worker ended jobs while snapshots were read")
        let settled = try reader.snapshot()
        #expect(settled.jobs.allSatisfy { $0.status.state == .done })
    }

    @Test("an unknown namespace or another schema version is reported as by the other reads")
    func errors() throws {
        let fixture = try Fixture()
        let unknown = #expect(throws: StoreError.self) { try fixture.store.snapshot() }
        #expect(unknown?.code == .unknownNamespace)
        try fixture.push([job("a")])
        _ = try fixture.redis().command("SET", "compmake:{ns}:schema", "99")
        let mismatch = #expect(throws: StoreError.self) { try fixture.store.snapshot() }
        #expect(mismatch?.code == .schemaMismatch)
    }

    @Test("reads spanning many round trips keep every reply with its command")
    func manyBatches() throws {
        let fixture = try Fixture()
        let count = JobStore.bulkBatchSize + 150
        try fixture.push((0..<count).map { job("j\($0)", "echo \($0)", cost: Double($0)) })
        for index in 0..<count where index % 3 == 0 { try run(fixture.store, "j\(index)") }
        let snapshot = try fixture.another().snapshot()
        #expect(snapshot.jobs.count == count)
        #expect(
            snapshot.jobs.enumerated().allSatisfy { $0.element.id == "j\($0.offset)" && $0.element.index == $0.offset })
        #expect(snapshot.jobs.enumerated().allSatisfy { $0.element.cost == Double($0.offset) })
        #expect(snapshot.attemptCount == (count + 2) / 3)
        #expect(snapshot.attempts.enumerated().allSatisfy { $0.element.count == ($0.offset % 3 == 0 ? 1 : 0) })
        // The store's connection is usable again after the prefetching thread is done with it.
        #expect(try fixture.store.state(of: "j0") == .done)
        // Without the command lines, from the definitions' and the done jobs' outcome copies (five groups of 500
        // in several round trips, of a third and then of all the jobs done): the same jobs and attempts.
        func expectSameAsWhole() throws {
            let whole = try fixture.another().snapshot()
            let copied = try fixture.another().snapshot(commands: false)
            #expect(copied.jobs.map(\.id) == whole.jobs.map(\.id))
            #expect(copied.jobs.map(\.status) == whole.jobs.map(\.status))
            #expect(copied.jobs.map(\.cost) == whole.jobs.map(\.cost))
            #expect(copied.attempts == whole.attempts && copied.notes.isEmpty)
        }
        try expectSameAsWhole()
        for index in 0..<count where index % 3 != 0 { try run(fixture.store, "j\(index)") }
        try expectSameAsWhole()
    }

    @Test("output tails: the last bytes of each attempt's stream, empty when there is none")
    func tails() throws {
        let fixture = try Fixture()
        try fixture.push([job("a"), job("b")])
        let store = fixture.store
        let held = try lease(store.acquire("a", more: false, request: request()))
        var outcome = result(.failed)
        outcome.stderrTail = Array("line one\nline two\n".utf8)
        _ = try store.finish(held, outcome)
        let tails = try store.outputTails(of: [("a", 1), ("b", 1), ("a", 2)], .stderr, lastBytes: 9)
        #expect(tails == [Array("line two\n".utf8), [], []])
        #expect(try store.outputTails(of: [], .stdout, lastBytes: 10).isEmpty)
    }

    @Test("numbers and times decode from their bytes exactly as the general parsers read them")
    func decoding() {
        func values(_ texts: [String?]) -> [RedisReply] { texts.map { $0.map { .bulk(Array($0.utf8)) } ?? .null } }
        let numbers = ["0.012345", "12", "-3.5", "1e-05", "0.1", "123456.654321", "abc", ""]
        let decoded = values(numbers)
        for (index, text) in numbers.enumerated() {
            #expect(BulkDecoding.number(decoded, index) == Double(text), "\(text)")
        }
        #expect(BulkDecoding.integer(values(["42", "-7", "4.5", ""]), 0) == 42)
        #expect(BulkDecoding.integer(values(["42", "-7", "4.5", ""]), 1) == -7)
        #expect(BulkDecoding.integer(values(["42", "-7", "4.5", ""]), 2) == nil)
        #expect(BulkDecoding.integer(values([nil]), 0) == nil)
        let times = [
            "2025-03-01T12:00:05.250Z", "1970-01-01T00:00:00.000Z", "2024-02-29T23:59:59.999Z", "1999-12-31T23:59:59Z",
            "2025-13-01T00:00:00.000Z",
        ]
        for (index, text) in times.enumerated() {
            #expect(BulkDecoding.time(values(times), index) == UTCTime(iso8601: text), "\(text)")
        }
        #expect(BulkDecoding.stringArray(#"["a","b c"]"#) == ["a", "b c"])
        #expect(BulkDecoding.stringArray(#"["q\"uote", "é"]"#) == ["q\"uote", "é"])
        #expect(BulkDecoding.stringArray("[]") == [])
        #expect(BulkDecoding.stringArray("[1]") == nil)
        #expect(BulkDecoding.stringArray("nope") == nil)
    }
}
