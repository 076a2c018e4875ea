import ClustmakeRedis
import ClustmakeSystem
import Dispatch
import Synchronization

/// Runs the round trips of a bulk read on a thread of its own (a ``ClustmakeSystem/DedicatedThread``), up to ``lookahead`` batches ahead of the thread
/// that decodes the replies: redis serves the next batch while this side decodes the last, so on two cores a
/// bulk read takes about the longer of the two instead of their sum.
///
/// `@unchecked Sendable`: the connection is used by the fetching thread only, from ``start()`` until ``finish()``
/// returns, and the store's thread, its only other user, waits in ``next()`` and ``finish()`` meanwhile; `thread`
/// is touched by the store's thread only. The replies and the cancellation flag are behind `state`; the two
/// semaphores (replies ready, room for more) are thread-safe.
final class BatchPrefetcher: @unchecked Sendable {
    /// How many batches the fetching thread may read ahead.
    static let lookahead = 2

    private struct State {
        var replies: [Result<[RedisReply], RedisError>] = []
        var cancelled = false
    }

    private let connection: RedisConnection
    private let count: Int
    private let batchSize: Int
    private let encode: @Sendable (Int, inout RedisCommandBatch) -> Void
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)
    /// Room for more batches. Made empty and signalled ``lookahead`` times in `init`: libdispatch traps when a
    /// semaphore is freed holding less than its initial value, which a prefetcher finished early (a decoding error,
    /// a caller that stops) does, since its thread took room that no reader gave back.
    private let free = DispatchSemaphore(value: 0)
    private var thread: DedicatedThread?

    /// A prefetcher of `count` commands, each written into its batch by `encode`, in pipelines of `batchSize`.
    init(
        connection: RedisConnection, count: Int, batchSize: Int,
        encode: @escaping @Sendable (Int, inout RedisCommandBatch) -> Void
    ) {
        self.connection = connection
        self.count = count
        self.batchSize = batchSize
        self.encode = encode
        for _ in 0..<Self.lookahead { free.signal() }
    }

    /// How many batches there are.
    var batchCount: Int { (count + batchSize - 1) / batchSize }

    /// Starts the fetching thread.
    /// - Returns: Whether it started (when it did not, read synchronously).
    func start() -> Bool {
        do {
            thread = try DedicatedThread { self.fetchAll() }
            return true
        } catch {
            return false
        }
    }

    /// The replies of the next batch, in order, waiting for them if need be.
    func next() -> Result<[RedisReply], RedisError> {
        ready.wait()
        let result = state.withLock { $0.replies.removeFirst() }
        free.signal()
        return result
    }

    /// Stops the fetching thread after the round trip it is in, and waits for it: the connection is the caller's
    /// again when this returns.
    func finish() {
        guard let thread = thread.take() else { return }
        state.withLock { $0.cancelled = true }
        free.signal()
        thread.join()
    }

    /// Sends each batch before reading the replies of the one before it, so that redis works on the next batch
    /// while this thread copies the last one's replies out of hiredis: the round trips overlap, and redis is never
    /// left waiting on this side. Stopped early, it reads the replies still owed before it returns, so the
    /// connection holds no late reply.
    private func fetchAll() {
        var owed = 0
        for batch in 0...batchCount {
            var commands = RedisCommandBatch()
            if batch < batchCount {
                for offset in batch * batchSize..<min((batch + 1) * batchSize, count) { encode(offset, &commands) }
            }
            if batch > 0 {
                free.wait()
                if state.withLock({ $0.cancelled }) {
                    _ = try? connection.sendReceivingEarlier(RedisCommandBatch(), earlier: owed)
                    return
                }
            }
            let result: Result<[RedisReply], RedisError>
            do {
                result = .success(try connection.sendReceivingEarlier(commands, earlier: owed))
            } catch {
                result = .failure(error)
            }
            owed = commands.count
            if batch > 0 || result.isFailure {
                state.withLock { $0.replies.append(result) }
                ready.signal()
            }
            if result.isFailure { return }
        }
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

extension JobStore {
    /// Like ``bulkPipeline(count:_:command:each:)``, with the round trips on a thread of their own
    /// (``BatchPrefetcher``) while `each` decodes on this one.
    /// - Parameter batchSize: Commands per batch (fewer for commands that each read many keys).
    func prefetchedPipeline(
        count: Int, batchSize: Int = bulkBatchSize, _ doing: String,
        command: @escaping @Sendable (Int) -> [RedisArgument], each: (Int, RedisReply) throws(StoreError) -> Void
    ) throws(StoreError) {
        try prefetchedPipeline(
            count: count, batchSize: batchSize, doing, encode: { $1.append(command($0)) }, each: each)
    }

    /// ``prefetchedPipeline(count:batchSize:_:command:each:)`` with each command written into its batch by
    /// `encode` (with a ``ClustmakeRedis/RedisCommandBatch/Template`` for commands that differ in one argument).
    func prefetchedPipeline(
        count: Int, batchSize: Int = bulkBatchSize, _ doing: String,
        encode: @escaping @Sendable (Int, inout RedisCommandBatch) -> Void,
        each: (Int, RedisReply) throws(StoreError) -> Void
    ) throws(StoreError) {
        let prefetcher = BatchPrefetcher(connection: connection, count: count, batchSize: batchSize, encode: encode)
        guard count > batchSize, prefetcher.start() else {
            try pipeline(count: count, batchSize: batchSize, doing, encode: encode, each: each)
            return
        }
        defer { prefetcher.finish() }
        for batch in 0..<prefetcher.batchCount {
            let replies: [RedisReply]
            switch prefetcher.next() {
            case .success(let value): replies = value
            case .failure(let error): throw StoreError.wrapping(error, "\(doing) in namespace '\(namespace)'")
            }
            for (offset, reply) in replies.enumerated() {
                try each(batch * batchSize + offset, try checked(reply, doing))
            }
        }
    }
}
