import ClustmakeRedis
import Glibc
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

    @Test("one batch is at redis beyond the two waiting to be read, so redis works while this side copies")
    func oneBatchInFlight() throws {
        let fixture = try Fixture()
        let connection = try fixture.redis()
        let observer = try fixture.redis()
        try observer.command("CONFIG", "RESETSTAT").expectOK()
        func echoes() throws -> Int {
            let info = try #require(try observer.command("INFO", "commandstats").expectString())
            guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("cmdstat_echo:calls=") })
            else { return 0 }
            return Int(line.dropFirst("cmdstat_echo:calls=".count).prefix { $0.isNumber }) ?? 0
        }
        let prefetcher = BatchPrefetcher(connection: connection, count: 100, batchSize: 10) { index, batch in
            batch.append(["ECHO", RedisArgument("\(index)")])
        }
        try #require(prefetcher.start())
        // Nothing is read yet: two batches wait for the reader, and the third has reached redis.
        let deadline = ContinuousClock.now + .seconds(60)
        while try echoes() < 30 && ContinuousClock.now < deadline { usleep(1000) }
        #expect(try echoes() == 30)
        var replies: [String] = []
        for _ in 0..<prefetcher.batchCount { replies += try prefetcher.next().get().map { $0.string ?? "" } }
        prefetcher.finish()
        #expect(replies == (0..<100).map { "\($0)" })
        #expect(try echoes() == 100)
        #expect(try connection.command("PING").string == "PONG")
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
