import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A thread of its own for blocking work (hiredis calls, `flock`, `waitpid`), which must never run on Swift's
/// cooperative pool: that pool has one thread per core, and one blocked call would stall every task queued behind
/// it. This is the one way clustmake leaves the pool:
/// - ``run(_:)`` runs a closure there from async code and returns its result, its typed error preserved (open a
///   ``ClustmakeRedis/RedisConnection`` inside the closure and use it there only);
/// - ``init(_:)`` starts a thread from synchronous code and ``join()`` waits for it (a bulk read's prefetcher, which
///   already runs on such a thread and wants a second one beside it);
/// - ``awaiting(_:onTask:)`` goes the other way: such a thread waits there for async work (a `status --watch` refresh
///   asking the SLURM queue between its redis reads).
///
/// It lives in ClustmakeSystem, with the other POSIX plumbing (processes, signals, files), rather than in the redis
/// wrapper: the wrappers stay synchronous and leave the choice of thread to their callers, and every caller (the
/// store, the hosts' lock and process waits, the commands) is an edge or above, so no arrow points up.
///
/// A value of this type is the thread's handle: it cannot be copied, ``join()`` consumes it, and a handle dropped
/// without joining detaches the thread (which then frees itself when it ends).
public struct DedicatedThread: ~Copyable {
    /// Why a thread could not be made.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The `errno` of `pthread_create`.
        public var code: Int32
        public init(code: Int32) { self.code = code }
        public var description: String { "cannot start a thread: \(String(cString: strerror(code)))" }
    }

    private let thread: pthread_t

    /// Starts `body` on a new thread.
    /// - Parameter body: The work; it owns what it captures from now on.
    /// - Throws: ``Failure`` when the system cannot make another thread.
    public init(_ body: @escaping @Sendable () -> Void) throws(Failure) {
        let context = Unmanaged.passRetained(ThreadWork(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { context in
                Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        guard status == 0 else {
            Unmanaged<ThreadWork>.fromOpaque(context).release()
            throw Failure(code: status)
        }
        self.thread = thread
    }

    /// Waits for the thread's work to end (it blocks: call it from a thread of this kind, never from a task).
    public consuming func join() {
        pthread_join(thread, nil)
        discard self
    }

    deinit {
        pthread_detach(thread)
    }

    /// Runs `body` on a thread of its own and returns what it returns, or throws what it throws.
    ///
    /// When the system cannot make another thread (it is out of them, `EAGAIN`), `body` runs on the calling thread
    /// instead: its result is the same, only the cooperative pool has one thread fewer meanwhile. That beats
    /// failing work that can still be done, and keeps `body`'s error type the only one callers handle. (There
    /// ``awaiting(_:onTask:)`` does not block: it takes its `onTask` way.)
    /// - Parameter body: The blocking work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public static func run<T: Sendable, E: Error>(
        _ body: @escaping @Sendable () throws(E) -> T
    ) async throws(E) -> T {
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, E>, Never>) in
            let work: @Sendable () -> Void = {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            do {
                _ = try DedicatedThread(work)
            } catch {
                work()
            }
        }
        return try outcome.get()
    }
}

extension DedicatedThread {
    /// Runs `body` as a task and blocks the calling thread until it ends: for work on a thread of its own (a
    /// ``run(_:)`` body holding a redis connection) that needs async work between its blocking calls, such as a
    /// process run by `ProcessRunner`.
    ///
    /// Blocking is safe only off the cooperative pool, whose threads `body` may need. A ``run(_:)`` body runs on a
    /// task's own thread when no thread could be made (its fallback), and blocking there could wait forever: with
    /// one core the pool has one thread, the one blocked. So when the calling thread is running a task,
    /// `awaiting` does not block: it returns `onTask()`, the caller's way to do without the async work (a serial
    /// version of it, or a failure that says why).
    /// - Parameters:
    ///   - body: The async work.
    ///   - onTask: What to return instead when called from a thread that runs a task.
    /// - Returns: What `body` returns, or `onTask()`'s value.
    public static func awaiting<T: Sendable>(
        _ body: @escaping @Sendable () async -> T, onTask: () -> T
    ) -> T {
        if withUnsafeCurrentTask(body: { $0 != nil }) { return onTask() }
        let outcome = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let value = await body()
            outcome.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return outcome.withLock { $0! }
    }
}

/// A closure handed to exactly one new thread.
///
/// `@unchecked Sendable`: the creating thread gives it away before the new thread starts and never touches it
/// again, so only one thread ever uses it.
private final class ThreadWork: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
