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
    /// Bytes waiting for a full 64-byte block.
    private var buffer = [UInt8](repeating: 0, count: 64)
    private var buffered = 0
    private var processed: UInt64 = 0

    mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(contiguous: $0) }
        if done == nil {
            for byte in bytes { append(byte) }
        }
    }

    mutating func update(contiguous bytes: UnsafeBufferPointer<UInt8>) {
        var index = 0
        while index < bytes.count {
            if buffered == 0, bytes.count - index >= 64 {
                compress(UnsafeBufferPointer(rebasing: bytes[index..<index + 64]))
                index += 64
                continue
            }
            let count = min(64 - buffered, bytes.count - index)
            buffer.withUnsafeMutableBufferPointer { target in
                for offset in 0..<count { target[buffered + offset] = bytes[index + offset] }
            }
            buffered += count
            index += count
            if buffered == 64 { flush() }
        }
    }

    @inline(__always) mutating func append(_ byte: UInt8) {
        buffer[buffered] = byte
        buffered += 1
        if buffered == 64 { flush() }
    }

    private mutating func flush() {
        let block = buffer
        block.withUnsafeBufferPointer { compress($0) }
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
        for shift in stride(from: 56, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: totalBits >> UInt64(shift)))
        }
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        for word in compression.digestWords {
            for shift in stride(from: 28, through: 0, by: -4) { hex.append(digits[Int((word >> UInt32(shift)) & 0xF)]) }
        }
        return String(decoding: hex, as: UTF8.self)
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
