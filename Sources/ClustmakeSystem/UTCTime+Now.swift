public import ClustmakeModel

#if canImport(Glibc)
    import Glibc
#endif

extension UTCTime {
    /// The current wall-clock time (`CLOCK_REALTIME`): a clock is an edge, so it lives here and not in the model.
    public static func now() -> UTCTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UTCTime(secondsSince1970: Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9)
    }
}
