#if canImport(Glibc)
    import Glibc
#endif

/// The worker's diagnostics: whole lines written straight to file descriptor 2 (no stdio buffering).
enum StandardError {
    static func write(_ text: String) {
        _ = writeLine(text, to: 2)
    }
}

/// Writes `text` and a newline (unless it ends in one) to `descriptor` whole, without stdio buffering; false when
/// the descriptor would take no more (its reader is gone).
func writeLine(_ text: String, to descriptor: Int32) -> Bool {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    let bytes = Array(line.utf8)
    var offset = 0
    while offset < bytes.count {
        let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return false }
        offset += count
    }
    return true
}

/// `pipe(2)` with both ends close-on-exec. The worker is single-threaded, so no other thread can spawn between
/// `pipe` and `fcntl`.
func makePipe() -> (read: Int32, write: Int32)? {
    var ends: [Int32] = [-1, -1]
    guard pipe(&ends) == 0 else { return nil }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    return (ends[0], ends[1])
}
