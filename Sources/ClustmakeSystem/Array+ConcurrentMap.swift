extension Array where Element: Sendable {
    /// `transform` applied to every element, at most `limit` at a time, the results in the elements' order.
    /// - Parameters:
    ///   - limit: How many transforms run at once (at least one).
    ///   - transform: The work for one element.
    public func concurrentMap<Result: Sendable>(
        limit: Int, _ transform: @escaping @Sendable (Element) async -> Result
    ) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: count)
            var next = 0
            func start() {
                guard next < count else { return }
                let index = next
                next += 1
                let element = self[index]
                group.addTask { (index, await transform(element)) }
            }
            for _ in 0..<Swift.max(1, Swift.min(limit, count)) { start() }
            while let (index, result) = await group.next() {
                results[index] = result
                start()
            }
            return results.map { $0! }
        }
    }
}
