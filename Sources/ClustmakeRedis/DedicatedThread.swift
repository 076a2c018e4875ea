#if canImport(Glibc)
    import Glibc
#endif

/// Runs blocking work (hiredis calls, `flock`, `waitpid`) on a thread of its own, never on Swift's cooperative
/// pool, which has one thread per core: open a ``RedisConnection`` inside the work and use it there only.
public enum DedicatedThread {
    /// Why the work could not be run: no thread could be made.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The `errno` of `pthread_create`.
        public var code: Int32
        public var description: String { "cannot start a thread: \(String(cString: strerror(code)))" }
    }

    /// Runs `body` on a new thread and returns its result.
    /// - Parameter body: The blocking work.
    /// - Returns: What `body` returns, or the failure to start a thread.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> Result<T, Failure> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, Failure>, Never>) in
            let work = ThreadWork { continuation.resume(returning: .success(body())) }
            let context = Unmanaged.passRetained(work).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().run()
                    return nil
                }, context)
            if status == 0 {
                pthread_detach(thread)
            } else {
                Unmanaged<ThreadWork>.fromOpaque(context).release()
                continuation.resume(returning: .failure(Failure(code: status)))
            }
        }
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
