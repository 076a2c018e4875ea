/// The free space of a file system, as `df -Pk DIR` reports it.
public struct DiskSpace: Sendable, Hashable {
    /// The file system (the device, or e.g. `tmpfs`).
    public var fileSystem: String
    /// Its size.
    public var totalBytes: Int64
    /// Free space that an ordinary user may use (df's `Available`, without the blocks reserved for root).
    public var availableBytes: Int64
    /// Where it is mounted.
    public var mountPoint: String

    public init(fileSystem: String, totalBytes: Int64, availableBytes: Int64, mountPoint: String) {
        self.fileSystem = fileSystem
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
        self.mountPoint = mountPoint
    }

    /// Reads the output of POSIX `df -Pk DIR`:
    ///
    /// ```
    /// Filesystem     1024-blocks     Used Available Capacity Mounted on
    /// /dev/vda         264212084 19496420  79569192      20% /
    /// ```
    ///
    /// The last line that has the four numbers `1024-blocks Used Available Capacity%` counts. File system names and
    /// mount points may contain spaces: the numbers are found as the first run of three whole numbers followed by a
    /// percentage (or `-`), after at least one word.
    /// - Parameter output: What df printed (header and data lines).
    /// - Returns: `nil` when no line has that shape (df failed, or printed something else).
    public init?(dfOutput output: String) {
        var found: DiskSpace?
        for line in output.split(whereSeparator: \.isNewline) {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 5 else { continue }
            for index in 1..<(words.count - 3) {
                guard let total = Int64(words[index]), Int64(words[index + 1]) != nil,
                    let available = Int64(words[index + 2]), Self.isCapacity(words[index + 3])
                else { continue }
                found = DiskSpace(
                    fileSystem: words[..<index].joined(separator: " "), totalBytes: total * 1024,
                    availableBytes: available * 1024, mountPoint: words[(index + 4)...].joined(separator: " "))
                break
            }
        }
        guard let found else { return nil }
        self = found
    }

    private static func isCapacity(_ word: Substring) -> Bool {
        if word == "-" { return true }
        guard word.hasSuffix("%") else { return false }
        let digits = word.dropLast()
        return !digits.isEmpty && digits.allSatisfy { ("0"..."9").contains($0) }
    }
}
