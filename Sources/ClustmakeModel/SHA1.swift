/// SHA-1 (FIPS 180-4), for the names redis gives Lua scripts (`EVALSHA`): the store knows a script's name
/// without asking redis.
///
/// Small and dependency-free; SHA-1 is broken for signatures, never use it for secrets or integrity.
public struct SHA1: Sendable {
    private var blocks = MessageBlocks<Compression>()

    public init() {}

    /// Adds bytes to the message.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        blocks.update(bytes)
    }

    /// The digest as 40 lowercase hex digits.
    public mutating func finalizeHex() -> String {
        blocks.finalizeHex()
    }

    /// The digest of a string's UTF-8 bytes, as 40 lowercase hex digits (what redis's `SCRIPT LOAD` replies).
    public static func hex(of text: String) -> String {
        var hash = SHA1()
        hash.update(text.utf8)
        return hash.finalizeHex()
    }

    private struct Compression: BlockCompression {
        private var state: (UInt32, UInt32, UInt32, UInt32, UInt32) = (
            0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0
        )

        var digestWords: [UInt32] { [state.0, state.1, state.2, state.3, state.4] }

        static let scheduleLength = 80

        mutating func compress(_ block: UnsafeBufferPointer<UInt8>, schedule w: UnsafeMutableBufferPointer<UInt32>) {
            for i in 0..<16 { w[i] = block.bigEndianWord(i) }
            for i in 16..<80 { w[i] = rotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            var (a, b, c, d, e) = state
            for i in 0..<80 {
                let f: UInt32
                let k: UInt32
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5a82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ed9_eba1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc)
                default: (f, k) = (b ^ c ^ d, 0xca62_c1d6)
                }
                let t = rotateLeft(a, 5) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, rotateLeft(b, 30), a, t)
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e)
        }
    }
}
