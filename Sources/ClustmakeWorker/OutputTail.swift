/// The last `capacity` bytes written to one of a job's output streams: a job that prints gigabytes costs the worker
/// `capacity` bytes, however long it runs.
///
/// The buffer grows with the output up to `capacity` and is reused as a ring from then on, so a job that prints
/// little (most short jobs print nothing) costs no 64 KiB allocation and no zeroing of it.
struct OutputTail {
    private let capacity: Int
    private var storage: [UInt8] = []
    /// Where the next byte goes once the buffer is full.
    private var next = 0
    /// How many bytes were appended in all.
    private(set) var total: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// Keeps the last bytes of `chunk`, overwriting the oldest.
    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        total += UInt64(chunk.count)
        guard capacity > 0, chunk.count > 0 else { return }
        var source = chunk
        if source.count >= capacity {
            source = UnsafeRawBufferPointer(rebasing: source[(source.count - capacity)...])
        }
        if storage.count < capacity {
            // Still filling: grow the buffer, then go on as a ring with whatever is left.
            let fill = min(source.count, capacity - storage.count)
            storage.append(contentsOf: UnsafeRawBufferPointer(rebasing: source[..<fill]))
            source = UnsafeRawBufferPointer(rebasing: source[fill...])
            if source.isEmpty { return }
        }
        storage.withUnsafeMutableBytes { destination in
            let first = min(source.count, capacity - next)
            destination.baseAddress!.advanced(by: next).copyMemory(from: source.baseAddress!, byteCount: first)
            let rest = source.count - first
            if rest > 0 {
                destination.baseAddress!.copyMemory(from: source.baseAddress!.advanced(by: first), byteCount: rest)
            }
        }
        next = (next + source.count) % capacity
    }

    /// The kept bytes, oldest first.
    var bytes: [UInt8] {
        storage.count < capacity || next == 0 ? storage : Array(storage[next...] + storage[..<next])
    }
}
