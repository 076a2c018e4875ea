#if canImport(Glibc)
    import Glibc
#endif

/// Reads a redis password from a file that only its owner can read, the way clustmake and its worker take
/// passwords without putting them on a command line.
///
/// The file holds the password on its first line (a trailing newline or CRLF is dropped). It must be a regular
/// file owned by the user running the program, with no permissions for group or others (mode 0600 or 0400), so
/// that a password left readable by others is refused rather than used.
public enum RedisPasswordFile {
    /// Why a password file was refused.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        /// What is wrong and how to fix it; never the password.
        public var message: String
        public var description: String { message }
    }

    /// Reads the password in `path`.
    /// - Parameter path: The file.
    /// - Returns: The password.
    /// - Throws: ``Problem`` when the file is missing, unreadable, not a regular file, not the user's, readable or
    ///   writable by group or others, empty, or too long (over 4 KiB).
    public static func read(_ path: String) throws(Problem) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            throw Problem(message: "cannot open the redis password file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw Problem(message: "cannot stat the redis password file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Problem(message: "the redis password file \(path) is not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw Problem(
                message: "the redis password file \(path) belongs to uid \(info.st_uid), not to this user "
                    + "(uid \(geteuid())); keep the password in a file of your own")
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw Problem(
                message: "the redis password file \(path) has mode \(mode): group or others may read it. "
                    + "Make it private with: chmod 600 \(path)")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4097)
        while bytes.count <= 4096 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw Problem(
                    message: "cannot read the redis password file \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
        }
        guard bytes.count <= 4096 else {
            throw Problem(message: "the redis password file \(path) is longer than 4 KiB; it should hold one line")
        }
        return try firstLine(bytes, source: "the redis password file \(path)")
    }

    /// The first line of `bytes` as a password: without its line ending, not empty, UTF-8.
    /// - Parameters:
    ///   - bytes: What was read (a file, a line of standard input).
    ///   - source: Where it came from, for messages.
    /// - Throws: ``Problem`` for an empty line or bytes that are not UTF-8.
    public static func firstLine(_ bytes: [UInt8], source: String) throws(Problem) -> String {
        var line = bytes.prefix { $0 != UInt8(ascii: "\n") }
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard !line.isEmpty else { throw Problem(message: "\(source) is empty; put the password on its first line") }
        guard let password = String(validating: line, as: UTF8.self) else {
            throw Problem(message: "\(source) is not UTF-8 text")
        }
        return password
    }
}
