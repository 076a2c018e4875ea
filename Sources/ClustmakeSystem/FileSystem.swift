#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file operations of the edges that write directories (``AtomicDirectory``), over POSIX calls so that every
/// step can be fsync'ed and every failure reported with its errno and the system's text. No Foundation.
public enum FileSystem {
    /// A system call failed; ``path`` is the file it was about.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// What was being done, as a verb phrase (`create`, `sync`, `remove`).
        public var operation: String
        /// The file or directory it was done to.
        public var path: String
        /// The system's error number.
        public var errno: Int32

        public init(operation: String, path: String, errno: Int32) {
            self.operation = operation
            self.path = path
            self.errno = errno
        }

        /// The system's text for ``errno`` and the number: `Permission denied (errno 13)`.
        public var cause: String { "\(String(cString: strerror(errno))) (errno \(errno))" }

        public var description: String { "cannot \(operation) \(path): \(cause)" }
    }

    /// `path` made absolute against the working directory (unchanged when it already starts with `/`), without
    /// trailing slashes.
    /// - Throws: ``Failure`` when the working directory cannot be read.
    public static func absolute(_ path: String) throws(Failure) -> String {
        var result = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: 4096)
            guard getcwd(&buffer, buffer.count) != nil else {
                throw Failure(operation: "read the working directory of", path: path, errno: errno)
            }
            let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            result = (cwd == "/" ? "" : cwd) + "/" + path
        }
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// What is at a path.
    public enum Kind: Sendable { case missing, file, directory, symbolicLink, other }

    /// What is at `path`, without following a final symbolic link.
    public static func kind(of path: String) throws(Failure) -> Kind {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return .missing }
            throw Failure(operation: "inspect", path: path, errno: errno)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        default: return .other
        }
    }

    /// When the file at `path` (a final symbolic link followed) was last modified, as time since the epoch.
    public static func modificationTime(of path: String) throws(Failure) -> Duration {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(operation: "inspect", path: path, errno: errno) }
        return .seconds(info.st_mtim.tv_sec) + .nanoseconds(info.st_mtim.tv_nsec)
    }

    /// The names in directory `path`, without `.` and `..`, sorted.
    public static func entries(of path: String) throws(Failure) -> [String] {
        guard let directory = opendir(path) else { throw Failure(operation: "list", path: path, errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Creates a new directory `PARENT/.NAME.tmp-XXXXXX`, next to the directory `NAME` it will replace.
    public static func makeTemporarySibling(parent: String, name: String) throws(Failure) -> String {
        var template = Array("\(parent)/.\(name).tmp-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw Failure(operation: "create a temporary directory in", path: parent, errno: errno)
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // mkdtemp makes it private (0700); a plan directory is as readable as any other.
        guard chmod(path, 0o755) == 0 else {
            let failure = Failure(operation: "set the mode of", path: path, errno: errno)
            rmdir(path)
            throw failure
        }
        return path
    }

    /// Creates directory `path` (its parent must exist).
    public static func makeDirectory(_ path: String, mode: UInt32 = 0o755) throws(Failure) {
        guard mkdir(path, mode_t(mode)) == 0 else {
            throw Failure(operation: "create directory", path: path, errno: errno)
        }
    }

    /// An open file that is being written; ``finish()`` flushes, fsyncs and closes it.
    public final class Output {
        /// The file being written.
        public let path: String
        private var descriptor: Int32
        private var buffer: [UInt8] = []
        private static let flushSize = 1 << 20

        /// Creates the file (which must not exist) with `mode`, regardless of the umask.
        public init(creating path: String, mode: UInt32) throws(Failure) {
            self.path = path
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
            guard descriptor >= 0 else { throw Failure(operation: "create", path: path, errno: errno) }
            guard fchmod(descriptor, mode_t(mode)) == 0 else {
                let error = Failure(operation: "set the mode of", path: path, errno: errno)
                close(descriptor)
                descriptor = -1
                throw error
            }
            buffer.reserveCapacity(Self.flushSize + 4096)
        }

        deinit {
            if descriptor >= 0 { close(descriptor) }
        }

        /// Adds bytes, writing them out once a megabyte is buffered.
        public func append(_ bytes: some Collection<UInt8>) throws(Failure) {
            buffer.append(contentsOf: bytes)
            if buffer.count >= Self.flushSize { try flush() }
        }

        /// Writes out what is buffered.
        public func flush() throws(Failure) {
            var offset = 0
            while offset < buffer.count {
                let count = buffer.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Failure(operation: "write", path: path, errno: errno)
                }
                offset += count
            }
            buffer.removeAll(keepingCapacity: true)
        }

        /// Writes what is buffered, fsyncs (when `durable`) and closes the file.
        public func finish(durable: Bool = true) throws(Failure) {
            try flush()
            if durable {
                guard fsync(descriptor) == 0 else { throw Failure(operation: "sync", path: path, errno: errno) }
            }
            let closed = close(descriptor)
            descriptor = -1
            guard closed == 0 else { throw Failure(operation: "close", path: path, errno: errno) }
        }
    }

    /// Writes `bytes` to a new file at `path` and fsyncs it (unless `durable` is false: a file read at once and
    /// worthless after a crash).
    public static func writeFile(
        _ bytes: [UInt8], to path: String, mode: UInt32, durable: Bool = true
    ) throws(Failure) {
        let output = try Output(creating: path, mode: mode)
        try output.append(bytes)
        try output.finish(durable: durable)
    }

    /// Flushes a directory's entries to disk.
    public static func syncDirectory(_ path: String) throws(Failure) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(operation: "open", path: path, errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure(operation: "sync", path: path, errno: errno) }
    }

    /// Renames `from` to `to` (replacing `to` only if it is an empty directory or absent).
    public static func rename(_ from: String, to: String) throws(Failure) {
        #if canImport(Glibc)
            let renamed = Glibc.rename(from, to)
        #else
            let renamed = Darwin.rename(from, to)
        #endif
        guard renamed == 0 else { throw Failure(operation: "rename", path: from, errno: errno) }
    }

    /// Swaps two existing paths in one step (Linux `renameat2(RENAME_EXCHANGE)`).
    /// - Returns: `false` when the system or the file system cannot do it (the caller falls back to two renames).
    public static func exchange(_ first: String, _ second: String) throws(Failure) -> Bool {
        #if os(Linux)
            typealias RenameAt2 =
                @convention(c) (
                    Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32
                ) -> Int32
            guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return false }
            let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
            let renameExchange: UInt32 = 2  // RENAME_EXCHANGE in <linux/fs.h>
            if renameat2(AT_FDCWD, first, AT_FDCWD, second, renameExchange) == 0 { return true }
            if errno == EINVAL || errno == ENOSYS || errno == ENOTSUP { return false }
            throw Failure(operation: "swap", path: second, errno: errno)
        #else
            return false
        #endif
    }

    /// Removes `path` and everything below it (without following symbolic links); a missing path is not an
    /// error. A failure names the entry that could not be removed and keeps the system's errno.
    public static func removeTree(_ path: String) throws(Failure) {
        switch try kind(of: path) {
        case .missing:
            return
        case .directory:
            for name in try entries(of: path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 || errno == ENOENT else {
                throw Failure(operation: "remove", path: path, errno: errno)
            }
        case .file, .symbolicLink, .other:
            guard unlink(path) == 0 || errno == ENOENT else {
                throw Failure(operation: "remove", path: path, errno: errno)
            }
        }
    }
}
