#if canImport(Glibc)
    import Glibc
#endif

/// Blocks the calling thread for `duration` (`nanosleep`, resumed after a signal): for code that runs on a thread of
/// its own or may block (the worker, the idle watcher, test harnesses), never on Swift's cooperative pool.
public func blockingSleep(_ duration: Duration) {
    guard duration > .zero else { return }
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
}
