import Testing

@testable import ClustmakeWorker

/// The bounded tail of a job's output stream.
@Suite struct OutputTailTests {
    @Test(
        "the tail is the last bytes written, whatever the sizes of the chunks",
        arguments: [[1, 2, 3], [7], [8], [9], [3, 5, 1], [2, 2, 2, 2, 2, 2, 2], [20], [5, 20, 3], [0, 4, 0, 6]])
    func lastBytes(chunks: [Int]) {
        var tail = OutputTail(capacity: 8)
        var written: [UInt8] = []
        for size in chunks {
            let chunk = (0..<size).map { UInt8(truncatingIfNeeded: written.count + $0) }
            chunk.withUnsafeBytes { tail.append($0) }
            written += chunk
            #expect(tail.bytes == Array(written.suffix(8)), "after \(written.count) bytes")
        }
        #expect(tail.total == UInt64(written.count))
    }

    @Test("a stream that writes nothing keeps nothing, and a zero capacity keeps nothing but the count")
    func empty() {
        #expect(OutputTail(capacity: 8).bytes.isEmpty)
        var none = OutputTail(capacity: 0)
        [UInt8]([1, 2, 3]).withUnsafeBytes { none.append($0) }
        #expect(none.bytes.isEmpty && none.total == 3)
    }
}
