import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Synchronization
import Testing

/// A first push that makes the namespace at once and writes the jobs in a given order, for a run that dispatches
/// them as they are written (``PushProgress``).
@Suite struct ProgressivePushTests {
    /// 1,750 jobs in four batches: a chain of 250, then 1,500 without dependencies; written last job first.
    static let jobs = (0..<1750).map { index in
        job("j\(index)", deps: index > 0 && index < 250 ? ["j\(index - 1)"] : [])
    }
    static let order = Array(Int32(0)..<Int32(jobs.count)).reversed().map { $0 }

    @Test("the namespace exists after the first transaction; jobs come in the given order, each batch counted")
    func writtenInOrder() throws {
        let fixture = try Fixture()
        let graph = try JobGraph(jobs: Self.jobs)
        let seen = Mutex<[String]>([])
        let calls = Mutex(0)
        let server = fixture.server
        // `changed` runs on the pushing thread, between two of its transactions: what readers see then is checked
        // before the push goes on.
        let report = try fixture.store.push(
            graph, pushedBy: "test",
            progress: PushProgress(order: Self.order) {
                calls.withLock { $0 += 1 }
                seen.withLock { problems in
                    do {
                        let observer = try JobStore(connection: try server.connect(), namespace: "ns")
                        try Self.check(observer: observer, problems: &problems)
                    } catch {
                        problems.append("\(error)")
                    }
                }
            })
        // Made, then one call per batch of 500 jobs.
        #expect(calls.withLock { $0 } == 1 + (Self.jobs.count + 499) / 500)
        #expect(seen.withLock { $0 }.isEmpty, "\(seen.withLock { $0 })")
        #expect(report.createdNamespace && report.wrote && report.added.count == Self.jobs.count)
        // Whole now: the fingerprint, one push, one graph-pushed event, every job as pushed.
        let meta = try fixture.store.metadata()
        #expect(meta.fingerprint != nil && meta.pushes == 1 && meta.jobCount == Self.jobs.count)
        #expect(try fixture.store.graph().jobs == Self.jobs)
        #expect(try fixture.store.events().filter { $0.name == "graph-pushed" }.count == 1)
        #expect(try fixture.redis().command("EXISTS", "compmake:{ns}:pushing").integer == 0)
        // The job a worker ran while the push went on stays done: later batches write only their own jobs.
        var states = try fixture.store.states()
        #expect(states.removeValue(forKey: "j1749") == .done)
        #expect(Set(states.values) == [.notStarted] && states.count == Self.jobs.count - 1)
        // Pushing the same graph again writes nothing.
        #expect(try fixture.push(Self.jobs).isUnchanged)
    }

    /// What a reader finds between two transactions of the push: the namespace, the jobs written so far (the last
    /// ones of the graph, in `order`), no fingerprint, another push refused as busy. The first time jobs are
    /// there, a worker runs the first one written.
    static func check(observer: JobStore, problems: inout [String]) throws {
        guard try observer.schemaVersion() == String(StoreSchema.version) else {
            problems.append("no namespace between two transactions of the push")
            return
        }
        let ids = try observer.jobIDs()
        let expected = Set(order.prefix(ids.count).map { "j\($0)" })
        if Set(ids) != expected { problems.append("\(ids.count) jobs written, not the first of the order") }
        if ids.count == jobs.count { return }
        if try observer.metadata().fingerprint != nil { problems.append("a fingerprint before the last job") }
        do {
            try observer.push(try JobGraph(jobs: jobs), pushedBy: "test")
            problems.append("another push was not refused while the first one wrote")
        } catch let error as StoreError {
            if error.code != .busy { problems.append("another push failed with \(error), not busy") }
        }
        if !ids.isEmpty, try observer.state(of: "j1749") == .notStarted {
            try run(observer, "j1749")
        }
    }

    @Test("a push stopped midway leaves an incomplete namespace; the next push writes only what is missing")
    func stoppedMidway() throws {
        let fixture = try Fixture()
        let graph = try JobGraph(jobs: Self.jobs)
        let stopper = Mutex<PushProgress?>(nil)
        let progress = PushProgress(order: Self.order) {
            stopper.withLock { progress in
                if let progress, progress.written > 0 { progress.stop() }
            }
        }
        stopper.withLock { $0 = progress }
        #expect {
            try fixture.store.push(graph, pushedBy: "test", progress: progress)
        } throws: { error in
            (error as? StoreError)?.code == .busy && "\(error)".contains("was stopped")
        }
        let written = try fixture.store.jobIDs().count
        #expect(written > 0 && written < Self.jobs.count)
        #expect(try fixture.store.metadata().fingerprint == nil)
        #expect(progress.written == written, "the batch in flight when the push stopped is counted")
        // Readers are told the namespace is incomplete.
        let notes = try fixture.store.snapshot().notes
        #expect(notes.contains { $0.contains("has not ended: \(written) of its \(Self.jobs.count) jobs") }, "\(notes)")
        // The jobs written have their definition copies, not yet in use: no fingerprint says whose they are.
        let redis = try fixture.redis()
        #expect(try redis.command("HLEN", "compmake:{ns}:definitions").integer == Int64(written))
        #expect(try redis.command("HGET", "compmake:{ns}:meta", "definitions") == .null)
        // The pushing key is given back at once: the next push need not wait for it to expire.
        #expect(try fixture.redis().command("EXISTS", "compmake:{ns}:pushing").integer == 0)
        let report = try fixture.push(Self.jobs)
        #expect(!report.createdNamespace && report.added.count == Self.jobs.count - written)
        #expect(try fixture.store.graph().jobs == Self.jobs)
        let fingerprint = try #require(try fixture.store.metadata().fingerprint)
        // Completed, every job has its copy, and the copies are the graph's.
        #expect(try redis.command("HLEN", "compmake:{ns}:definitions").integer == Int64(Self.jobs.count))
        #expect(try redis.command("HGET", "compmake:{ns}:meta", "definitions").string == fingerprint)
        let snapshot = try fixture.another().snapshot(commands: false)
        #expect(snapshot.jobs.map(\.id) == Self.jobs.map(\.id) && snapshot.notes.isEmpty, "\(snapshot.notes)")
        #expect(snapshot.jobs.map(\.deps) == Self.jobs.map(\.deps))
    }
}
