#if canImport(Glibc)
    import Glibc
#endif

/// The few process facts clustmake needs, without Foundation.
public enum ProcessInfoLite {
    /// Cores this process may run on (at least 1).
    public static var activeProcessorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}
