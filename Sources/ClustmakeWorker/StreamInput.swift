import ClustmakeModel

#if canImport(Glibc)
    import Glibc
#endif

/// The lines of a streamed session's standard input (`make_single stream=True`): each line is a batch of job ids,
/// separated by blanks. Read through a buffer of its own; whatever came before (the password line) was read a byte
/// at a time, so nothing of the first batch is lost.
struct StreamInput {
    /// What the next read gives.
    enum Next: Equatable {
        /// A batch: the job ids of one line, in order (at least one).
        case batch([String])
        /// The end of input: the executor closed the session.
        case end
        /// A line that is not a batch: why (the worker then ends with ``WorkerExitStatus/badArguments``).
        case invalid(String)
    }

    /// The longest line taken: 1 MiB (a batch of 64 ids of the longest kind is far shorter).
    static let maximumLine = 1 << 20

    private let descriptor: Int32
    private var buffer: [UInt8] = []
    /// Where the unread part of ``buffer`` starts.
    private var start = 0
    /// How far ``buffer`` is known to hold no newline (from ``start``): a long line arriving in many reads is
    /// searched once, not again from its start after each read.
    private var scanned = 0
    /// A batch ``waitingIDs()`` found whole, for ``next()`` to return.
    private var waiting: [String]?

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Blocks until a whole line (or the end) has arrived; empty lines are skipped.
    mutating func next() -> Next {
        if let ids = waiting {
            waiting = nil
            return .batch(ids)
        }
        while true {
            if let (words, end) = firstLine() {
                take(through: end)
                return Self.batch(words)
            }
            if buffer.count - start > Self.maximumLine {
                return .invalid("a line of standard input is longer than \(Self.maximumLine) bytes")
            }
            let count = readChunk()
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return .invalid("cannot read standard input: \(String(cString: strerror(errno)))") }
            if count == 0 {
                if buffer.count > start { return .invalid("standard input ended in the middle of a line") }
                return .end
            }
        }
    }

    /// Whether a read found the end of input.
    private(set) var ended = false

    /// Whether what is buffered of the next line is already longer than a line may be (``next()`` says so).
    var overlong: Bool { buffer.count - start > Self.maximumLine }

    /// The job ids of the next batch when that batch has arrived whole already (read without blocking), and none
    /// otherwise: nothing more came yet, the input ended, or the line is not a batch (``next()`` says so then).
    /// ``next()`` returns that batch next.
    mutating func waitingIDs() -> [String] {
        if let waiting { return waiting }
        while true {
            if let (words, end) = firstLine() {
                guard case .batch(let ids) = Self.batch(words) else { return [] }
                take(through: end)
                waiting = ids
                return ids
            }
            guard buffer.count - start <= Self.maximumLine, !ended else { return [] }
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 0) > 0, entry.revents & Int16(POLLIN | POLLHUP) != 0, readChunk() > 0 else {
                return []
            }
        }
    }

    /// The words of the first whole line buffered that has any (empty lines before it are dropped), and the index of
    /// its newline; `nil` when no such line is buffered.
    private mutating func firstLine() -> (words: [ArraySlice<UInt8>], end: Int)? {
        while let newline = buffer[max(start, scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
            let words = buffer[start..<newline].split(whereSeparator: {
                $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t")
            })
            if !words.isEmpty { return (words, newline) }
            take(through: newline)
        }
        scanned = buffer.count
        return nil
    }

    /// Drops the buffered bytes up to and including `end`.
    private mutating func take(through end: Int) {
        start = end + 1
        scanned = start
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
            scanned = 0
        }
    }

    /// One `read` of standard input into the buffer (what was taken already dropped first); returns its result.
    private mutating func readChunk() -> Int {
        if start > 0 {
            buffer.removeFirst(start)
            scanned = max(0, scanned - start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 { buffer += chunk[0..<count] }
        if count == 0 { ended = true }
        return count
    }

    private static func batch(_ words: [ArraySlice<UInt8>]) -> Next {
        var ids: [String] = []
        for word in words {
            guard let text = String(validating: word, as: UTF8.self) else {
                return .invalid("a job id on standard input is not UTF-8 text")
            }
            do { ids.append(try WorkerArguments.jobID(text)) } catch { return .invalid(error.message) }
        }
        return .batch(ids)
    }
}
