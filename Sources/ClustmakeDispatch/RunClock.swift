#if canImport(Glibc)
    import Glibc
#endif

/// Seconds since the run started, on the monotonic clock (the scheduler's clock).
struct RunClock {
    private let start = RunClock.monotonic()

    /// Seconds since the run started.
    var now: Double { Self.monotonic() - start }

    private static func monotonic() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
