#if canImport(Glibc)
    import Glibc
#endif

/// A pipe that wakes a `poll` loop (the self-pipe trick): ``wake()`` writes a byte from any thread, or from a signal
/// handler; the loop polls ``readEnd`` and empties it with ``drain()``. Both ends are close-on-exec and non-blocking,
/// so a wake-up never blocks its writer however many pile up, and a drain never blocks the loop.
///
/// ``SignalPipe`` is one (the bytes are signal numbers); the executor's push wakes its run loop through another.
public final class WakePipe: Sendable {
    /// Why the pipe could not be made.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The `errno` of `pipe`.
        public var code: Int32
        public var description: String { "cannot make a pipe: \(String(cString: strerror(code)))" }
    }

    /// The end to poll for `POLLIN`.
    public let readEnd: Int32
    /// The end ``wake()`` writes to.
    public let writeEnd: Int32

    /// Makes the pipe.
    /// - Throws: ``Failure`` when the process has no descriptors left.
    public init() throws(Failure) {
        guard let (read, write) = Self.makeEnds() else { throw Failure(code: errno) }
        readEnd = read
        writeEnd = write
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Writes one byte: the loop polling ``readEnd`` wakes up. Async-signal-safe.
    public func wake() {
        Self.write(1, to: writeEnd)
    }

    /// Empties the pipe, without allocating (a loop may drain it on every turn).
    public func drain() {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            while true {
                let count = read(readEnd, buffer.baseAddress, buffer.count)
                if count > 0 || (count < 0 && errno == EINTR) { continue }
                return
            }
        }
    }

    /// A pipe's two ends, close-on-exec and non-blocking; `nil` (with `errno` set) when `pipe` fails.
    static func makeEnds() -> (read: Int32, write: Int32)? {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        return (ends[0], ends[1])
    }

    /// Writes `byte` to `descriptor`, ignoring a full pipe (the reader has wake-ups waiting already).
    /// Async-signal-safe.
    static func write(_ byte: UInt8, to descriptor: Int32) {
        var value = byte
        _ = Glibc.write(descriptor, &value, 1)
    }
}
