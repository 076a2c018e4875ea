/// One file of a directory that is rendered by the pure core and written, all at once, by an edge
/// (`AtomicDirectory` in ClustmakeSystem): its path relative to the directory, its mode, and its bytes.
///
/// The bytes are produced when the file is written, in one or more chunks, so that a large file (a million-job
/// `plan.json`) never sits in memory whole and rendering overlaps writing.
public struct DirectoryFile: Sendable {
    /// Produces the bytes of a file, passing them to `emit` in order, in chunks of any size.
    public typealias Contents = @Sendable (_ emit: ([UInt8]) throws -> Void) throws -> Void

    /// The path relative to the directory (`hosts/node1.sh`); its parent directories are created as needed.
    public var path: String
    /// The permission bits (`0o755`, `0o644`), set regardless of the umask.
    public var mode: UInt32
    /// Renders the bytes; an error it throws (a template error, say) stops the writing and is passed on as it is.
    public var contents: Contents

    /// A file whose bytes are produced when it is written.
    public init(path: String, mode: UInt32, contents: @escaping Contents) {
        self.path = path
        self.mode = mode
        self.contents = contents
    }

    /// A file with the given bytes.
    public init(path: String, mode: UInt32, bytes: [UInt8]) {
        self.init(path: path, mode: mode) { emit in try emit(bytes) }
    }
}

/// What writing a directory of ``DirectoryFile``s did (`AtomicDirectory` in ClustmakeSystem, the plan directory).
public struct WrittenDirectory: Sendable, Hashable {
    /// The directory, without trailing slashes.
    public var path: String
    /// The files written, relative to ``path``, in the order given.
    public var files: [String]
    /// The total size of the files, in bytes.
    public var bytes: Int
    /// Whether an existing directory was replaced.
    public var replaced: Bool
    /// An earlier directory that could not be removed after the swap (the new one is in place); the caller may
    /// tell the user to delete it.
    public var leftover: String?

    public init(path: String, files: [String], bytes: Int, replaced: Bool, leftover: String?) {
        self.path = path
        self.files = files
        self.bytes = bytes
        self.replaced = replaced
        self.leftover = leftover
    }
}
