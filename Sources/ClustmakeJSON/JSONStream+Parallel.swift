import Dispatch
import Synchronization

extension JSONStream {
    /// Parses `bytes` as ``read(_:source:streamingArray:forEachElement:)`` does, but parses the streamed array's
    /// elements and hands them to `transform` on `threads` threads at once; returns the rest of the document and
    /// what `transform` made of each element, in the elements' order (`transform` gets each one's position).
    ///
    /// The array is first stepped over without being parsed, following strings and brackets only, to find where
    /// each element is; then each thread parses a contiguous share of them. When anything goes wrong on the way (the
    /// text is not JSON, `transform` throws, an element does not end where it was found to), the document is read
    /// again as ``read(_:source:streamingArray:forEachElement:)`` reads it, one element after the other: the errors
    /// are exactly that reader's, the first one in the text is thrown, and text that is not JSON costs a second
    /// reading, never a wrong result.
    /// - Parameter threads: How many threads parse at once; 1 reads as the other reader does.
    public static func read<Element: Sendable>(
        _ bytes: [UInt8], source: String? = nil, streamingArray key: String?, threads: Int,
        transform: @Sendable (JSONNode, Int) throws -> Element
    ) throws -> (rest: JSONValue, elements: [Element]) {
        if threads > 1, let read = try? parallel(bytes, source: source, key: key, threads: threads, transform) {
            return read
        }
        var elements: [Element] = []
        let rest = try read(bytes, source: source, streamingArray: key) { node in
            elements.append(try transform(node, elements.count))
        }
        return (rest, elements)
    }

    /// The parallel reading of ``read(_:source:streamingArray:threads:transform:)``; `nil` (or a throw) when it
    /// cannot stand for the reading one element after the other.
    private static func parallel<Element: Sendable>(
        _ bytes: [UInt8], source: String?, key: String?, threads: Int,
        _ transform: @Sendable (JSONNode, Int) throws -> Element
    ) throws(JSONError) -> (rest: JSONValue, elements: [Element])? {
        try JanssonLoader.withContiguousBytes(bytes) { (input) throws(JSONError) in
            var scanner = try JSONStreamScanner(input: input, source: source)
            scanner.spans = []
            let rest = try scanner.readDocument(streaming: key) { _ in true }
            guard let spans = scanner.spans else { return nil }
            let shares = max(1, min(threads, spans.count))
            let parser = scanner.elementParser
            // Each thread's elements, or nil for a thread that stopped at one it could not read.
            let parts = Mutex([[Element]?](repeating: nil, count: shares))
            DispatchQueue.concurrentPerform(iterations: shares) { share in
                let range = (spans.count * share / shares)..<(spans.count * (share + 1) / shares)
                var made: [Element] = []
                made.reserveCapacity(range.count)
                for position in range {
                    guard let node = try? parser.element(at: spans[position]),
                        let element = try? transform(node, position)
                    else { return }
                    made.append(element)
                }
                parts.withLock { $0[share] = made }
            }
            var elements: [Element] = []
            elements.reserveCapacity(spans.count)
            for part in parts.withLock({ $0 }) {
                guard let part else { return nil }
                elements.append(contentsOf: part)
            }
            return (rest, elements)
        }
    }
}
