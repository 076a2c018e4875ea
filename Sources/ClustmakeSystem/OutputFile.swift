#if canImport(Glibc)
    import Glibc
#endif

/// Where a child's standard output and error go: an unlinked scratch file, mode 0600 and close-on-exec (the child
/// gets it through ``Spawn``'s `dup2`), read once the child ended.
///
/// Not a pipe: no reader has to keep up while the child runs, a write can never raise `SIGPIPE`, and nothing that
/// outlives the child (a ControlMaster ssh leaves in the background, a daemon a remote command started) can hold a
/// pipe open and make a wait hang. What is kept is capped when the file is read: its first or its last bytes.
public enum OutputFile {
    /// A new scratch file named after `name`, in the first of `directories` where one can be made.
    /// - Parameters:
    ///   - name: A word for the file name (`stdout`, `out`).
    ///   - directories: Where to try, in order.
    /// - Returns: Its descriptor (the caller closes it), or the `errno` of the last attempt.
    public static func create(_ name: String, in directories: [String]) -> Result<Int32, SpawnError> {
        var code = ENOENT
        for directory in directories {
            var template = Array("\(directory)/\(name).XXXXXX".utf8CString)
            let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else {
                code = errno
                continue
            }
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            return .success(descriptor)
        }
        return .failure(SpawnError(code))
    }

    /// At most `limit` bytes from the start of the file.
    public static func head(_ descriptor: Int32, limit: Int) -> [UInt8] {
        read(descriptor, from: 0, limit: limit)
    }

    /// At most the last `limit` bytes of the file, none before `offset`.
    public static func tail(_ descriptor: Int32, limit: Int, since offset: Int = 0) -> [UInt8] {
        let size = Int(lseek(descriptor, 0, SEEK_END))
        let start = max(0, offset, size - limit)
        guard size > start else { return [] }
        // Exactly what is there: one `pread` for a short output (the executor reads one per job line).
        return read(descriptor, from: start, limit: size - start)
    }

    /// How many bytes the file holds now.
    public static func size(_ descriptor: Int32) -> Int {
        max(0, Int(lseek(descriptor, 0, SEEK_END)))
    }

    private static func read(_ descriptor: Int32, from start: Int, limit: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: min(65_536, max(limit, 1)))
        while bytes.count < limit {
            let count = buffer.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress, min($0.count, limit - bytes.count), off_t(start + bytes.count))
            }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return bytes
    }
}
