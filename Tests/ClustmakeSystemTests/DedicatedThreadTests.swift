import ClustmakeSystem
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct DedicatedThreadTests {
    struct Refused: Error, Equatable {
        var reason: String
    }

    @Test("run returns what the work returns, computed on a thread that is not the caller's")
    func runReturns() async {
        let caller = pthread_self()
        let (value, thread) = await DedicatedThread.run { () -> (Int, pthread_t) in (6 * 7, pthread_self()) }
        #expect(value == 42)
        #expect(pthread_equal(caller, thread) == 0)
    }

    @Test("awaiting, on a dedicated thread, waits there for async work and returns its result")
    func awaitingReturns() async {
        let value = await DedicatedThread.run { () -> Int in
            DedicatedThread.awaiting(
                { () async -> Int in
                    await Task.yield()
                    return await DedicatedThread.run { 6 * 7 }
                }, onTask: { -1 })
        }
        #expect(value == 42)
    }

    @Test("awaiting, on a thread that runs a task (run's body when no thread could be made), takes its onTask way")
    func awaitingOnTaskDoesNotBlock() async {
        // run's fallback calls its body inside the continuation's closure, on the awaiting task's own thread: the
        // same place as here. Blocking it could wait forever for a pool of one thread; awaiting must not block.
        let bodyRuns = Arrivals()
        let value = await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
            continuation.resume(
                returning: DedicatedThread.awaiting(
                    { () async -> Int in
                        bodyRuns.count.add(1, ordering: .relaxed)
                        return 42
                    }, onTask: { 7 }))
        }
        #expect(value == 7)
        #expect(bodyRuns.count.load(ordering: .relaxed) == 0)
    }

    @Test("run throws the work's own error type, unwrapped")
    func runThrowsTyped() async {
        do throws(Refused) {
            _ = try await DedicatedThread.run { () throws(Refused) -> Int in throw Refused(reason: "no") }
            Issue.record("the error was not thrown")
        } catch {
            // `error` is a `Refused`, not `any Error`: the type is kept through the thread.
            #expect(error == Refused(reason: "no"))
        }
    }

    @Test("blocking bodies run all at once, each on a thread of its own, however narrow the cooperative pool")
    func bodiesRunTogether() async {
        // A barrier: every body blocks until all have arrived. On the cooperative pool (one thread per core) no more
        // than a core's worth could arrive, and they would time out.
        let count = 16
        let arrived = Arrivals()
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    await DedicatedThread.run { () -> Bool in
                        arrived.count.add(1, ordering: .relaxed)
                        let deadline = ContinuousClock.now + .seconds(30)
                        while arrived.count.load(ordering: .relaxed) < count {
                            if ContinuousClock.now > deadline { return false }
                            usleep(1000)
                        }
                        return true
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: count))
    }

    @Test("a started thread runs its work, and join waits for it to end")
    func startAndJoin() throws {
        let steps = Mutex<[String]>([])
        let thread = try DedicatedThread {
            usleep(50_000)
            steps.withLock { $0.append("work") }
        }
        thread.join()
        steps.withLock { $0.append("joined") }
        #expect(steps.withLock { $0 } == ["work", "joined"])
    }

    @Test("a thread whose handle is dropped still runs to the end")
    func dropDetaches() async throws {
        let done = Mutex(false)
        do {
            _ = try DedicatedThread { done.withLock { $0 = true } }
        }
        // Waited for on this thread (no `await` whose resumption a busy pool could delay past the bound).
        let deadline = ContinuousClock.now + .seconds(10)
        while !done.withLock({ $0 }) && ContinuousClock.now < deadline { usleep(5000) }
        #expect(done.withLock { $0 })
    }

    @Test("a thread failure names the errno")
    func failureText() {
        #expect(DedicatedThread.Failure(code: EAGAIN).description.hasPrefix("cannot start a thread: "))
    }
}

/// How many bodies reached the barrier, shared by all of them.
private final class Arrivals: Sendable {
    let count = Atomic(0)
}
