#if canImport(Glibc)
    import Glibc
#endif

/// Where the worker executable is on this machine.
enum WorkerLocation {
    /// The `compmake` next to the running `clustmake`, when there is one (so local plans run this build's worker
    /// and not some other `compmake` on the PATH); else plain `compmake`.
    static func sibling() -> String {
        guard let executable = clustmake(), let slash = executable.lastIndex(of: "/") else { return "compmake" }
        let candidate = executable[..<slash] + "/compmake"
        return access(String(candidate), X_OK) == 0 ? String(candidate) : "compmake"
    }

    /// The directories of this `clustmake` and of the given workers (those given by absolute path): what a plan run
    /// by cron or at puts first on its `PATH`.
    static func programDirectories(workers: [String]) -> [String] {
        ([clustmake()] + workers).compactMap { $0 }.filter { $0.hasPrefix("/") }.compactMap { path in
            path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) }
        }
    }

    /// The absolute path of the running `clustmake`, or `nil` when the system does not say.
    static func clustmake() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The few process facts clustmake needs, without Foundation.
enum ProcessInfoLite {
    /// Cores this process may run on.
    static var activeProcessorCount: Int {
        Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }
}
