import ClustmakeHosts
import ClustmakeSystem

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

    /// The worker that runs jobs on this machine when no cluster file names one (the embedded default): the
    /// self-contained worker, found where `clustmake hosts install` finds it (``WorkerBinary``), when it is there and
    /// not older than ``sibling()``, for it adds about half the time to each job (docs/worker.md, "Overhead");
    /// else ``sibling()``. A self-contained worker older than the sibling is left alone: it was built from older
    /// code than the `clustmake` that would start it.
    static func local() -> String {
        local(sibling: sibling(), selfContained: try? WorkerBinary.locate(explicit: nil))
    }

    /// ``local()`` between a sibling worker (a path, or a bare name looked up on the `PATH`) and a self-contained
    /// one, if any.
    static func local(sibling: String, selfContained: String?) -> String {
        guard let selfContained, let built = try? FileSystem.modificationTime(of: selfContained) else { return sibling }
        guard sibling.contains("/"), let siblingBuilt = try? FileSystem.modificationTime(of: sibling) else {
            return selfContained
        }
        return built >= siblingBuilt ? selfContained : sibling
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
