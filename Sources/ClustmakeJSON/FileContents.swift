import ClustmakeModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The project's one whole-file reader: the JSON wrapper needs it (``JSONDocument/init(contentsOfFile:)``,
/// ``JSONValue/parse(contentsOfFile:)``) and is the lowest layer that does, so the input loaders, the template
/// directory and the edges read files through it too, each wording the ``Failure`` for its own errors.
public enum FileContents {
    /// Reading failed: ``step`` says whether opening or reading, ``errno`` why (`EISDIR` for a directory).
    public struct Failure: Error, Sendable, Hashable {
        /// Where reading stopped.
        public enum Step: Sendable, Hashable {
            /// The file could not be opened.
            case open
            /// The file was opened but could not be read (a directory gives `EISDIR`).
            case read
            /// The file is larger than ``FileContents/maximumSize`` (`errno` is `EFBIG`): nothing was kept.
            case tooLarge
        }

        public var step: Step
        /// The file, as given.
        public var path: String
        /// The system's error number.
        public var errno: Int32

        /// The system's text for ``errno``: `No such file or directory`; for ``Step/tooLarge``, the limit.
        public var reason: String {
            step == .tooLarge
                ? "it is larger than \(Format.bytes(FileContents.maximumSize)), the most clustmake reads of one file"
                : String(cString: strerror(errno))
        }
        /// The text and the number: `No such file or directory (errno 2)`.
        public var cause: String { "\(reason) (errno \(errno))" }
        /// Whether the path is a directory.
        public var isDirectory: Bool { errno == EISDIR }
    }

    /// The largest file read whole: 1 GiB. A graph of a million jobs is about 200 MB of JSON; anything larger is
    /// not an input clustmake can use (`/dev/zero`, a pipe without end, a disk image), and reading it would only
    /// exhaust memory. docs/job-graph.md names the limit.
    public static let maximumSize = 1 << 30

    /// The bytes of the file at `path`: one buffer sized by `fstat`, then more reads in case the file grew or is a
    /// pipe.
    /// - Parameters:
    ///   - path: The file.
    ///   - limit: The most bytes to read; the rest of a longer file is left unread. Without it, a file larger than
    ///     `maximum` is refused.
    ///   - maximum: The largest file read whole when no `limit` is given (``maximumSize``).
    /// - Throws: ``Failure``; ``Failure/Step/tooLarge`` for a file larger than `maximum`, found by `fstat` before
    ///   reading for a regular file, after `maximum` bytes for a pipe or a device.
    public static func bytes(atPath path: String, limit: Int? = nil, maximum: Int = maximumSize) throws(Failure)
        -> [UInt8]
    {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(step: .open, path: path, errno: errno) }
        defer { close(descriptor) }
        return try bytes(descriptor: descriptor, path: path, limit: limit, maximum: maximum)
    }

    /// The bytes of standard input, up to its end; more than `maximum` bytes (``maximumSize``) are refused.
    /// - Throws: ``Failure`` naming the file `-`.
    public static func standardInput(maximum: Int = maximumSize) throws(Failure) -> [UInt8] {
        try bytes(descriptor: 0, path: "-", limit: nil, maximum: maximum)
    }

    private static func bytes(descriptor: Int32, path: String, limit given: Int?, maximum: Int) throws(Failure)
        -> [UInt8]
    {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure(step: .read, path: path, errno: errno) }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw Failure(step: .read, path: path, errno: EISDIR) }
        if given == nil && (status.st_mode & S_IFMT) == S_IFREG && Int(status.st_size) > maximum {
            throw Failure(step: .tooLarge, path: path, errno: EFBIG)
        }
        // Without a limit, one byte more than the maximum is read: it tells a file of exactly the maximum from a
        // larger one.
        let limit = given ?? (maximum + 1)

        var readError: Int32 = 0
        var chunk = min(max(Int(status.st_size) + 1, 64 * 1024), max(limit, 0))
        var bytes: [UInt8] = []
        while readError == 0 && chunk > 0 {
            let part = [UInt8](unsafeUninitializedCapacity: chunk) { buffer, count in
                count = readFully(descriptor, into: UnsafeMutableRawBufferPointer(buffer), error: &readError)
            }
            if bytes.isEmpty { bytes = part } else { bytes += part }
            if part.count < chunk { break }
            chunk = min(max(chunk, 1 << 20), limit - bytes.count)
        }
        if readError != 0 { throw Failure(step: .read, path: path, errno: readError) }
        if given == nil && bytes.count > maximum { throw Failure(step: .tooLarge, path: path, errno: EFBIG) }
        return bytes
    }

    /// Reads until `buffer` is full or the file ends; returns the number of bytes read.
    private static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, error: inout Int32)
        -> Int
    {
        guard let base = buffer.baseAddress else { return 0 }
        var total = 0
        while total < buffer.count {
            let got = read(descriptor, base + total, buffer.count - total)
            if got > 0 {
                total += got
            } else if got == 0 {
                break
            } else if errno != EINTR {
                error = errno
                break
            }
        }
        return total
    }
}

extension JSONError {
    /// The error for a JSON file that cannot be read: `cannot open the file: …` or `cannot read the file: …`.
    public init(reading failure: FileContents.Failure) {
        let what = failure.step == .open ? "cannot open" : failure.step == .tooLarge ? "will not read" : "cannot read"
        self.init(
            code: .io, message: "\(what) the file: \(failure.reason)", source: failure.path,
            underlying: failure.reason)
    }
}

extension JSONError {
    /// The bytes of a JSON file, or the error for a file that cannot be read.
    static func reading(_ path: String) throws(JSONError) -> [UInt8] {
        do {
            return try FileContents.bytes(atPath: path)
        } catch {
            throw JSONError(reading: error)
        }
    }
}
