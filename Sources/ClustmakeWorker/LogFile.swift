#if canImport(Glibc)
    import Glibc
#endif

/// A file on the host that receives all of one output stream of one attempt (`--log_dir`).
///
/// Created with mode 0600 (output may hold secrets); a write error (a full disk) stops the logging, not the job,
/// and is reported in the attempt's record.
struct LogFile {
    let path: String
    private var descriptor: Int32
    /// Why logging stopped, if it did.
    private(set) var problem: String?

    /// Creates (truncates) `path`, making its directory (mode 0700) if needed.
    init(path: String) {
        self.path = path
        if let slash = path.lastIndex(of: "/") { Self.makeDirectories(String(path[..<slash])) }
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOCTTY, 0o600)
        if descriptor < 0 { problem = "cannot create \(path): \(String(cString: strerror(errno)))" }
    }

    mutating func write(_ chunk: UnsafeRawBufferPointer) {
        guard descriptor >= 0 else { return }
        var offset = 0
        while offset < chunk.count {
            let count = Glibc.write(descriptor, chunk.baseAddress!.advanced(by: offset), chunk.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                problem = "writing \(path) failed: \(String(cString: strerror(errno))); the rest was not logged"
                close()
                return
            }
            offset += count
        }
    }

    mutating func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// `mkdir -p` with mode 0700 for the directories it creates.
    static func makeDirectories(_ path: String) {
        guard !path.isEmpty else { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            _ = mkdir(prefix, 0o700)
            prefix += "/"
        }
    }
}
