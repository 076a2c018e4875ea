// Shared by every fuzz target (scripts/fuzz.sh compiles it into each one): libFuzzer's input as Swift values.

/// Runs `body` on the bytes libFuzzer passes to `LLVMFuzzerTestOneInput`; an error it throws is rendered, as
/// clustmake would print it. A crash is the only failure: a clear error is the right answer to bad input.
func fuzzOne(_ start: UnsafeRawPointer?, _ count: Int, _ body: ([UInt8]) throws -> Void) -> CInt {
    let bytes = start.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    do {
        try body(bytes)
    } catch {
        _ = String(describing: error)
    }
    return 0
}

/// The input cut at `separator`, each piece decoded as UTF-8 (invalid bytes become U+FFFD, as a command line or a
/// redis reply decoded by clustmake would).
func fuzzWords(_ bytes: [UInt8], separator: UInt8) -> [String] {
    bytes.split(separator: separator, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}
