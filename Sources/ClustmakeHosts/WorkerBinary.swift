#if canImport(Glibc)
    import Glibc
#endif

/// Where the self-contained worker binary that `clustmake hosts install` copies is found.
///
/// In order: the path given (`--worker-binary`); `$CLUSTMAKE_WORKER_BINARY`; then, from the directory of the running
/// `clustmake` upwards, the first `.build-static/worker/compmake` (what `scripts/build-worker.sh` writes in a
/// checkout) or `libexec/clustmake/compmake` (an installed layout, `PREFIX/bin/clustmake` next to
/// `PREFIX/libexec/clustmake/compmake`).
public enum WorkerBinary {
    /// The environment variable naming the worker binary.
    public static let environmentVariable = "CLUSTMAKE_WORKER_BINARY"
    /// Where `scripts/build-worker.sh` writes the worker, relative to the checkout.
    public static let buildOutput = ".build-static/worker/compmake"
    /// Where an installation keeps it, relative to its prefix.
    public static let installedPath = "libexec/clustmake/compmake"

    static let buildHint =
        "Build the self-contained worker with scripts/build-worker.sh (it writes \(buildOutput)), or pass "
        + "--worker-binary PATH."

    /// Finds the worker binary to install.
    /// - Parameters:
    ///   - explicit: A path the user gave, used as it is.
    ///   - executable: The running program, whose directory and its parents are searched (this process's by
    ///     default).
    /// - Returns: The path.
    /// - Throws: ``HostsError`` (``HostsError/Code/workerBinary``) when there is none, saying where it looked.
    public static func locate(explicit: String?, executable: String? = nil) throws(HostsError) -> String {
        if let explicit { return explicit }
        if let value = getenv(environmentVariable).map({ String(cString: $0) }), !value.isEmpty { return value }
        var looked: [String] = []
        var directory = directoryName(executable ?? currentExecutable() ?? "")
        while !directory.isEmpty {
            for relative in [buildOutput, installedPath] {
                let candidate = (directory == "/" ? "" : directory) + "/" + relative
                looked.append(candidate)
                if access(candidate, X_OK) == 0 { return candidate }
            }
            if directory == "/" { break }
            directory = directoryName(directory)
        }
        throw HostsError(
            .workerBinary,
            "no self-contained worker binary to copy: none in $\(environmentVariable), nor at "
                + (looked.isEmpty ? "any place next to clustmake" : looked.prefix(6).joined(separator: ", "))
                + (looked.count > 6 ? ", …" : ""),
            fix: buildHint)
    }

    /// The running program's path (`/proc/self/exe`).
    static func currentExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `/a/b` for `/a/b/c`, `/` for `/a`, empty for a name without a slash.
    static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
