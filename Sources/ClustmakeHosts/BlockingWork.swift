#if canImport(Glibc)
    import Glibc
#endif

/// Runs blocking work (hiredis calls, `flock`, `waitpid`) on a thread of its own, never on Swift's cooperative
/// pool, which has one thread per core.
enum BlockingWork {
    /// Runs `body` on a new thread and returns its result.
    /// - Parameter body: The blocking work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``HostsError`` (``HostsError/Code/process``) when no thread can be made.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(HostsError) -> T) async throws(HostsError) -> T {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<T, HostsError>, Never>) in
            let work = ThreadWork {
                do throws(HostsError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
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
                continuation.resume(
                    returning: .failure(
                        HostsError(.process, "cannot start a thread", cause: String(cString: strerror(status)))))
            }
        }
        return try result.get()
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
