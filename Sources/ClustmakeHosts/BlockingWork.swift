import ClustmakeRedis

/// Runs blocking work (hiredis calls, `flock`, `waitpid`) on a thread of its own, never on Swift's cooperative
/// pool, which has one thread per core.
enum BlockingWork {
    /// Runs `body` on a new thread and returns its result.
    /// - Parameter body: The blocking work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``HostsError`` (``HostsError/Code/process``) when no thread can be made.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(HostsError) -> T) async throws(HostsError) -> T {
        let outcome = await DedicatedThread.run { () -> Result<T, HostsError> in
            do throws(HostsError) {
                return .success(try body())
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let result): return try result.get()
        case .failure(let failure):
            throw HostsError(.process, "cannot start a thread", cause: "\(failure)")
        }
    }
}
