#if canImport(Glibc)
    import Glibc
#endif

/// The `compmake` executable: runs jobs of a clustmake plan on this host.
public enum WorkerMain {
    /// Exit status while the worker cannot run jobs: not 0 (nothing ran) and not 113 (no job failed).
    public static let notAvailableStatus: Int32 = 3

    public static func main() -> Never {
        let message = "compmake: error: this version of clustmake's worker cannot run jobs yet; nothing was run.\n"
        _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        exit(notAvailableStatus)
    }
}
