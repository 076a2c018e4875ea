import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// Where a command's output goes: standard output, or a file written whole (into a temporary file renamed into
/// place when complete, so a reader never sees half a report).
final class OutputFile {
    private let descriptor: Int32
    private let path: String?
    private let temporary: String?
    private var buffer: [UInt8] = []
    private var finished = false
    /// Bytes written so far.
    private(set) var count = 0

    /// Standard output.
    static func standardOutput() -> OutputFile { OutputFile(descriptor: 1, path: nil, temporary: nil) }

    /// Whether standard output is a terminal.
    static var standardOutputIsTerminal: Bool { isatty(1) == 1 }

    private init(descriptor: Int32, path: String?, temporary: String?) {
        self.descriptor = descriptor
        self.path = path
        self.temporary = temporary
    }

    /// A new file at `path`, replacing any file there once ``close()`` succeeds.
    /// - Throws: ``CommandFailure`` (status 1) naming the file when it cannot be created.
    static func create(_ path: String) throws -> OutputFile {
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CommandFailure(status: 1, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        return OutputFile(descriptor: descriptor, path: path, temporary: temporary)
    }

    /// Appends bytes (buffered).
    func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        count += bytes.count
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends text (buffered).
    func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    /// Writes out the buffer. A reader that went away (EPIPE, as in `| head`) ends the command quietly with the
    /// status a shell reports for SIGPIPE.
    func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let problem = errno
                buffer.removeAll()
                if problem == EPIPE && path == nil { throw ExitCode(141) }
                throw CommandFailure(
                    status: 1, "cannot write \(path ?? "the output"): \(String(cString: strerror(problem)))")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes; for a file, closes it and renames it into place.
    func close() throws {
        try flush()
        guard let path, let temporary, !finished else { return }
        finished = true
        let failed = fsync(descriptor) != 0
        let problem = errno
        Glibc.close(descriptor)
        if failed {
            unlink(temporary)
            throw CommandFailure(status: 1, "cannot write \(path): \(String(cString: strerror(problem)))")
        }
        if rename(temporary, path) != 0 {
            let problem = errno
            unlink(temporary)
            throw CommandFailure(status: 1, "cannot write \(path): \(String(cString: strerror(problem)))")
        }
    }

    /// Removes a file that was not completed.
    func discard() {
        guard let temporary, !finished else { return }
        finished = true
        Glibc.close(descriptor)
        unlink(temporary)
    }
}
