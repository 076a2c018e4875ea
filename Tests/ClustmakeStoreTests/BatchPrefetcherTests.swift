import ClustmakeRedis
import Testing

@testable import ClustmakeStore

/// The bulk reads' prefetcher: round trips on a thread of its own (a DedicatedThread), replies in order.
@Suite struct BatchPrefetcherTests {
    @Test("every batch's replies come back in order, the last batch short")
    func inOrder() throws {
        let fixture = try Fixture()
        let connection = try fixture.redis()
        let prefetcher = BatchPrefetcher(connection: connection, count: 10, batchSize: 4) { index, batch in
            batch.append(["ECHO", RedisArgument("reply \(index)")])
        }
        #expect(prefetcher.batchCount == 3)
        try #require(prefetcher.start())
        var replies: [String] = []
        for _ in 0..<prefetcher.batchCount {
            replies += try prefetcher.next().get().map { $0.string ?? "\($0)" }
        }
        prefetcher.finish()
        #expect(replies == (0..<10).map { "reply \($0)" })
        // The connection is the caller's again.
        #expect(try connection.command("PING").string == "PONG")
    }

    @Test("finishing early stops the thread after its round trip and hands the connection back")
    func finishEarly() throws {
        let fixture = try Fixture()
        let connection = try fixture.redis()
        let prefetcher = BatchPrefetcher(connection: connection, count: 1000, batchSize: 10) { index, batch in
            batch.append(["ECHO", RedisArgument("\(index)")])
        }
        try #require(prefetcher.start())
        #expect(try prefetcher.next().get().first?.string == "0")
        prefetcher.finish()
        // No reply of the abandoned batches is left on the connection: the next command gets its own.
        #expect(try connection.command("ECHO", "after").string == "after")
        // Finishing twice, or without a thread, does nothing.
        prefetcher.finish()
    }

    @Test("a connection lost midway: the batches read before it come in order, then its failure, and the thread ends")
    func lostMidway() throws {
        let fixture = try Fixture()
        let connection = try fixture.redis()
        let id = try #require(try connection.command("CLIENT", "ID").integer)
        let prefetcher = BatchPrefetcher(connection: connection, count: 100_000, batchSize: 10) { index, batch in
            batch.append(["ECHO", RedisArgument("\(index)")])
        }
        try #require(prefetcher.start())
        #expect(try prefetcher.next().get().map { $0.string ?? "" } == (0..<10).map { "\($0)" })
        // The thread is at most two batches ahead: the kill comes long before the last of 10,000.
        _ = try fixture.redis().command("CLIENT", "KILL", "ID", "\(id)")
        var read = 10
        var failure: RedisError?
        for _ in 1..<prefetcher.batchCount {
            switch prefetcher.next() {
            case .success(let replies):
                #expect(replies.first?.string == "\(read)")
                read += replies.count
                continue
            case .failure(let error): failure = error
            }
            break
        }
        #expect(failure != nil)
        #expect(read < 100_000)
        prefetcher.finish()
    }
}
