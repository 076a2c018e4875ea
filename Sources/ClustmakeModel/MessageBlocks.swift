/// One block step of a Merkle–Damgård hash over 64-byte blocks with big-endian words (SHA-1, SHA-256).
protocol BlockCompression: Sendable {
    init()
    /// How many words the message schedule of one block holds.
    static var scheduleLength: Int { get }
    /// Mixes one 64-byte block into the state, with room for its message schedule.
    mutating func compress(_ block: UnsafeBufferPointer<UInt8>, schedule: UnsafeMutableBufferPointer<UInt32>)
    /// The state words that make the digest, in order.
    var digestWords: [UInt32] { get }
}

/// The message side that SHA-1 and SHA-256 share (FIPS 180-4, 5.1.1 and 5.2.1): bytes gathered into 64-byte
/// blocks for a ``BlockCompression``, then the padding with the message length in bits.
struct MessageBlocks<Compression: BlockCompression>: Sendable {
    private var compression = Compression()
    /// Bytes waiting for a full 64-byte block, held inline: a hash per job of a million-job graph allocates nothing.
    private var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var buffered = 0
    private var processed: UInt64 = 0

    mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(contiguous: $0) }
        if done == nil {
            for byte in bytes { append(byte) }
        }
    }

    mutating func update(contiguous bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        var index = 0
        while index < bytes.count {
            if buffered == 0, bytes.count - index >= 64 {
                compress(UnsafeBufferPointer(start: base + index, count: 64))
                index += 64
                continue
            }
            let count = min(64 - buffered, bytes.count - index)
            let start = buffered
            withUnsafeMutableBytes(of: &buffer) { target in
                target.baseAddress!.advanced(by: start).copyMemory(from: base + index, byteCount: count)
            }
            buffered += count
            index += count
            if buffered == 64 { flush() }
        }
    }

    /// Adds `value` as 8 big-endian bytes.
    mutating func append(bigEndian value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { update(contiguous: $0.assumingMemoryBound(to: UInt8.self)) }
    }

    @inline(__always) mutating func append(_ byte: UInt8) {
        let position = buffered
        withUnsafeMutableBytes(of: &buffer) { $0[position] = byte }
        buffered += 1
        if buffered == 64 { flush() }
    }

    private mutating func flush() {
        withUnsafeBytes(of: buffer) { compress($0.assumingMemoryBound(to: UInt8.self)) }
        buffered = 0
    }

    private mutating func compress(_ block: UnsafeBufferPointer<UInt8>) {
        processed &+= 64
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Compression.scheduleLength) { schedule in
            compression.compress(block, schedule: schedule)
        }
    }

    /// Pads the message and returns the digest as lowercase hex digits.
    mutating func finalizeHex() -> String {
        let totalBits = (processed + UInt64(buffered)) &* 8
        append(0x80)
        while buffered != 56 { append(0) }
        append(bigEndian: totalBits)
        let words = compression.digestWords
        return String(unsafeUninitializedCapacity: words.count * 8) { hex in
            var position = 0
            for word in words {
                for shift in stride(from: 28, through: 0, by: -4) {
                    let digit = UInt8((word >> UInt32(shift)) & 0xF)
                    hex[position] = digit < 10 ? 0x30 + digit : 0x57 + digit
                    position += 1
                }
            }
            return position
        }
    }
}

@inline(__always) func rotateLeft(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }

@inline(__always) func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

extension UnsafeBufferPointer<UInt8> {
    /// The big-endian 32-bit word at `index` (counted in words).
    @inline(__always) func bigEndianWord(_ index: Int) -> UInt32 {
        UInt32(self[4 * index]) << 24 | UInt32(self[4 * index + 1]) << 16 | UInt32(self[4 * index + 2]) << 8
            | UInt32(self[4 * index + 3])
    }
}
