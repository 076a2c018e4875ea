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

    @Test("blocking work on many threads at once does not hold up the cooperative pool")
    func blockingWorkLeavesThePool() async {
        // More sleepers than the pool has threads: on the pool they would run in turns.
        let sleepers = 16
        let clock = ContinuousClock()
        let started = clock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<sleepers {
                group.addTask { await DedicatedThread.run { () -> Void in _ = usleep(200_000) } }
            }
        }
        #expect(clock.now - started < .milliseconds(200 * sleepers / 2))
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
        let deadline = ContinuousClock.now + .seconds(10)
        while !done.withLock({ $0 }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(done.withLock { $0 })
    }

    @Test("a thread failure names the errno")
    func failureText() {
        #expect(DedicatedThread.Failure(code: EAGAIN).description.hasPrefix("cannot start a thread: "))
    }
}
