internal import CHiredis
import Glibc

/// The sole owner of one `redisContext`: frees it exactly once, in `deinit`.
///
/// Non-copyable, so the pointer cannot be freed twice or outlive its owner; ``RedisConnection``
/// holds it in an optional and drops it to disconnect. Every method copies what hiredis returns
/// into Swift values before returning and frees hiredis's reply objects in `defer`; no C pointer
/// leaves this file.
struct HiredisContext: ~Copyable {
    private let pointer: UnsafeMutablePointer<redisContext>

    /// Connects to `address` with hiredis's blocking connect, bounded by `timeout`.
    /// - Parameters:
    ///   - address: The TCP address or unix socket path.
    ///   - timeout: The connect timeout; positive.
    /// - Throws: ``HiredisFailure`` with hiredis's error kind and text and the errno.
    init(connectingTo address: RedisEndpoint.Address, timeout: Duration) throws(HiredisFailure) {
        let raw: UnsafeMutablePointer<redisContext>?
        let savedErrno: Int32
        switch address {
        case .tcp(let host, let port):
            raw = redisConnectWithTimeout(host, Int32(clamping: port), Self.timevalue(timeout))
            savedErrno = errno
        case .unix(let path):
            raw = redisConnectUnixWithTimeout(path, Self.timevalue(timeout))
            savedErrno = errno
        }
        guard let raw else {
            throw HiredisFailure(kind: REDIS_ERR_OOM, text: "cannot allocate a redis context", errno: ENOMEM)
        }
        guard raw.pointee.err == 0 else {
            let failure = HiredisFailure(context: raw, errno: savedErrno)
            redisFree(raw)
            throw failure
        }
        // hiredis opens its socket without close-on-exec: every process this one starts would hold the connection
        // open (and, to the server, connected) for its whole life. Set once connected: a process another thread
        // starts during the connect itself may still inherit it (clustmake's own spawns close every descriptor
        // above 2 anyway).
        _ = fcntl(raw.pointee.fd, F_SETFD, FD_CLOEXEC)
        pointer = raw
    }

    deinit { redisFree(pointer) }

    /// Sets the socket's send and receive timeouts (`SO_SNDTIMEO`, `SO_RCVTIMEO`).
    /// - Parameter timeout: The timeout for each read and write; positive, or `nil` for none.
    /// - Throws: ``HiredisFailure`` when `setsockopt` fails.
    func setTimeout(_ timeout: Duration?) throws(HiredisFailure) {
        let value = timeout.map(Self.timevalue) ?? timeval(tv_sec: 0, tv_usec: 0)
        guard redisSetTimeout(pointer, value) == REDIS_OK else {
            throw HiredisFailure(context: pointer, errno: errno)
        }
    }

    /// Writes the whole output buffer to the socket, blocking up to the timeout; reads nothing.
    /// - Throws: ``HiredisFailure`` on I/O errors and timeouts; the context is unusable afterwards.
    func flush() throws(HiredisFailure) {
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(pointer, &done) == REDIS_OK else {
                throw HiredisFailure(context: pointer, errno: errno)
            }
        }
    }

    /// Appends commands already encoded (``RedisCommandBatch``) to the output buffer, in one copy.
    /// - Throws: ``HiredisFailure`` when hiredis cannot allocate the buffer.
    func append(encoded batch: RedisCommandBatch) throws(HiredisFailure) {
        guard !batch.bytes.isEmpty else { return }
        let status = batch.bytes.withUnsafeBytes { bytes in
            redisAppendFormattedCommand(pointer, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard status == REDIS_OK else { throw HiredisFailure(context: pointer, errno: errno) }
    }

    /// Flushes the output buffer if needed and reads the next reply, blocking up to the timeout.
    /// - Parameter redact: Applied to error replies (the server may echo arguments).
    /// - Returns: The reply, copied into Swift values; hiredis's reply object is already freed.
    /// - Throws: ``HiredisFailure`` on I/O errors, timeouts, EOF and protocol errors; the
    ///   context is unusable afterwards.
    func nextReply(redact: (String) -> String) throws(HiredisFailure) -> RedisReply {
        var raw: UnsafeMutableRawPointer?
        let status = redisGetReply(pointer, &raw)
        let savedErrno = errno
        guard status == REDIS_OK, let raw else {
            throw HiredisFailure(context: pointer, errno: savedErrno)
        }
        defer { freeReplyObject(raw) }
        return try Self.copy(raw.assumingMemoryBound(to: redisReply.self), depth: 0, redact: redact)
    }

    /// A positive duration as a `timeval`: at least 1 µs (zero would mean "no timeout"), at most
    /// 2,000,000 s (hiredis rejects timeouts whose milliseconds overflow an `int`).
    private static func timevalue(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        if seconds >= 2_000_000 { return Glibc.timeval(tv_sec: 2_000_000, tv_usec: 0) }
        let micros = Int(attoseconds / 1_000_000_000_000)
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: seconds == 0 && micros == 0 ? 1 : micros)
    }

    /// Copies a hiredis reply tree into a ``RedisReply``.
    private static func copy(
        _ reply: UnsafePointer<redisReply>, depth: Int, redact: (String) -> String
    ) throws(HiredisFailure) -> RedisReply {
        let node = reply.pointee
        func bytes() -> [UInt8] {
            guard node.len > 0, let str = node.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: node.len))
        }
        switch node.type {
        case REDIS_REPLY_STRING:
            return .bulk(bytes())
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(redact(String(decoding: bytes(), as: UTF8.self)))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(node.integer))
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            // hiredis 0.14 itself refuses nesting deeper than 7; this guards a future hiredis.
            guard depth < 128 else {
                throw HiredisFailure(kind: REDIS_ERR_PROTOCOL, text: "reply nested deeper than 128 levels", errno: 0)
            }
            var elements: [RedisReply] = []
            elements.reserveCapacity(node.elements)
            for index in 0..<node.elements {
                guard let element = node.element[index] else {
                    throw HiredisFailure(kind: REDIS_ERR_PROTOCOL, text: "array reply with a missing element", errno: 0)
                }
                elements.append(try copy(element, depth: depth + 1, redact: redact))
            }
            return .array(elements)
        default:
            throw HiredisFailure(
                kind: REDIS_ERR_PROTOCOL, text: "reply of unknown type \(node.type) (RESP3 is not supported)",
                errno: 0)
        }
    }
}

/// What hiredis reported when a call failed: its error kind (`REDIS_ERR_IO`, …), its text and
/// the errno at the time.
struct HiredisFailure: Error {
    /// `REDIS_ERR_IO`, `REDIS_ERR_EOF`, `REDIS_ERR_PROTOCOL`, `REDIS_ERR_OOM` or `REDIS_ERR_OTHER`.
    var kind: Int32
    /// hiredis's `errstr`.
    var text: String
    /// The errno hiredis's text describes, when it describes one.
    var systemErrno: Int32?

    init(kind: Int32, text: String, errno: Int32) {
        self.kind = kind
        self.text = text
        self.systemErrno = Self.errnoDescribed(by: text, captured: errno)
    }

    init(context: UnsafeMutablePointer<redisContext>, errno: Int32) {
        let text = withUnsafeBytes(of: context.pointee.errstr) { buffer in
            String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        self.init(kind: context.pointee.err, text: text, errno: errno)
    }

    var isEOF: Bool { kind == REDIS_ERR_EOF }
    var isProtocol: Bool { kind == REDIS_ERR_PROTOCOL }
    var isOutOfMemory: Bool { kind == REDIS_ERR_OOM }

    /// hiredis writes `strerror(errno)` into `errstr` (sometimes after a prefix) but errno may be
    /// overwritten by later cleanup calls; trust errno only if the text matches it, and otherwise
    /// recognize the few errnos whose text appears.
    private static func errnoDescribed(by text: String, captured: Int32) -> Int32? {
        func message(_ code: Int32) -> String { String(cString: strerror(code)) }
        if captured != 0, text.contains(message(captured)) { return captured }
        let known: [Int32] = [
            ECONNREFUSED, ETIMEDOUT, EAGAIN, ENOENT, ECONNRESET, EPIPE, EACCES, ENETUNREACH, EHOSTUNREACH,
            EINPROGRESS, EADDRNOTAVAIL, ENOTSOCK, ECONNABORTED,
        ]
        return known.first { text.contains(message($0)) }
    }
}
