/// The last `capacity` bytes written to one of a job's output streams, in a buffer allocated once: a job that
/// prints gigabytes costs the worker `capacity` bytes, however long it runs.
struct OutputTail {
    private var storage: [UInt8]
    /// Where the next byte goes.
    private var next = 0
    /// Whether the buffer has wrapped around at least once.
    private var wrapped = false
    /// How many bytes were appended in all.
    private(set) var total: UInt64 = 0

    init(capacity: Int) {
        storage = [UInt8](repeating: 0, count: capacity)
    }

    /// Keeps the last bytes of `chunk`, overwriting the oldest.
    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        total += UInt64(chunk.count)
        let capacity = storage.count
        guard capacity > 0, chunk.count > 0 else { return }
        var source = chunk
        if source.count >= capacity {
            source = UnsafeRawBufferPointer(rebasing: source[(source.count - capacity)...])
        }
        storage.withUnsafeMutableBytes { destination in
            let first = min(source.count, capacity - next)
            destination.baseAddress!.advanced(by: next).copyMemory(from: source.baseAddress!, byteCount: first)
            let rest = source.count - first
            if rest > 0 {
                destination.baseAddress!.copyMemory(from: source.baseAddress!.advanced(by: first), byteCount: rest)
            }
        }
        let end = next + source.count
        if end >= capacity {
            wrapped = true
            next = end - capacity
        } else {
            next = end
        }
    }

    /// The kept bytes, oldest first.
    var bytes: [UInt8] {
        wrapped ? Array(storage[next...] + storage[..<next]) : Array(storage[..<next])
    }
}
