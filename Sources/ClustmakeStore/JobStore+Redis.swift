import ClustmakeRedis

/// The store's redis plumbing: commands with errors turned into ``StoreError``, and reply decoding.
extension JobStore {
    /// How many commands go to redis in one pipeline when reading or writing many keys.
    static let batchSize = 1000

    func command(_ arguments: [RedisArgument], _ doing: String) throws(StoreError) -> RedisReply {
        do {
            return try connection.command(arguments)
        } catch {
            throw StoreError.wrapping(error, "\(doing) in namespace '\(namespace)'")
        }
    }

    /// Runs `commands` in pipelines of ``batchSize``; throws on the first error reply.
    func pipeline(_ commands: [[RedisArgument]], _ doing: String) throws(StoreError) -> [RedisReply] {
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        try pipeline(count: commands.count, batchSize: Self.batchSize, doing) {
            commands[$0]
        } each: { (_, reply) throws(StoreError) in
            replies.append(reply)
        }
        return replies
    }

    /// Sends `count` commands, built by `command` one batch of `batchSize` at a time, and hands each reply to
    /// `each` with its command's offset as it comes (so that a batch's commands and replies are freed before the
    /// next batch); throws on the first error reply.
    func pipeline(
        count: Int, batchSize: Int, _ doing: String, command: (Int) -> [RedisArgument],
        each: (Int, RedisReply) throws(StoreError) -> Void
    ) throws(StoreError) {
        try pipeline(count: count, batchSize: batchSize, doing, encode: { $1.append(command($0)) }, each: each)
    }

    /// ``pipeline(count:batchSize:_:command:each:)`` with each command written into the batch by `encode` (with a
    /// ``ClustmakeRedis/RedisCommandBatch/Template`` for commands that differ in one argument).
    func pipeline(
        count: Int, batchSize: Int, _ doing: String, encode: (Int, inout RedisCommandBatch) -> Void,
        each: (Int, RedisReply) throws(StoreError) -> Void
    ) throws(StoreError) {
        var start = 0
        while start < count {
            let end = min(start + batchSize, count)
            var commands = RedisCommandBatch()
            for offset in start..<end { encode(offset, &commands) }
            let batch: [RedisReply]
            do {
                batch = try connection.pipeline(commands)
            } catch {
                throw StoreError.wrapping(error, "\(doing) in namespace '\(namespace)'")
            }
            for (offset, reply) in batch.enumerated() {
                try each(start + offset, try checked(reply, doing))
            }
            start = end
        }
    }

    /// `reply`, or the error it is turned into when redis replied with one.
    func checked(_ reply: RedisReply, _ doing: String) throws(StoreError) -> RedisReply {
        if case .error(let message) = reply {
            throw StoreError.wrapping(
                RedisError(.server, "redis replied with an error: \(message)", serverMessage: message),
                "\(doing) in namespace '\(namespace)'")
        }
        return reply
    }

    /// Runs a script of ``StoreScripts`` with the schema key and version prepended to its arguments, turning the
    /// scripts' `CLUSTMAKE-…` error replies into the matching ``StoreError``.
    ///
    /// The script goes by name (`EVALSHA`); its source follows (`EVAL`, which caches it again) only when redis
    /// replies `NOSCRIPT`: it restarted or its script cache was flushed. Either way the script runs once.
    func evaluate(
        _ script: StoreScript, _ arguments: [RedisArgument], _ doing: String
    ) throws(StoreError) -> RedisReply {
        let tail: [RedisArgument] = ["1", RedisArgument(keys.schema), RedisArgument(StoreSchema.version)] + arguments
        do throws(RedisError) {
            do {
                return try connection.command(["EVALSHA", RedisArgument(script.sha1)] + tail)
            } catch {
                guard error.serverMessage?.hasPrefix("NOSCRIPT ") == true else { throw error }
                return try connection.command(["EVAL", RedisArgument(script.source)] + tail)
            }
        } catch {
            if let message = error.serverMessage { throw scriptError(message, doing) }
            throw StoreError.wrapping(error, "\(doing) in namespace '\(namespace)'")
        }
    }

    /// The error for a script's error reply `message`: the scripts' `CLUSTMAKE-…` replies as the matching
    /// ``StoreError``, any other as a redis error.
    func scriptError(_ message: String, _ doing: String) -> StoreError {
        if message.hasPrefix("CLUSTMAKE-NAMESPACE") { return unknownNamespace() }
        if message.hasPrefix("CLUSTMAKE-SCHEMA ") {
            return schemaMismatch(found: String(message.dropFirst("CLUSTMAKE-SCHEMA ".count)))
        }
        if message.hasPrefix("CLUSTMAKE-NOJOB ") {
            return unknownJob(String(message.dropFirst("CLUSTMAKE-NOJOB ".count)))
        }
        return StoreError.wrapping(
            RedisError(.server, "redis replied with an error: \(message)", serverMessage: message),
            "\(doing) in namespace '\(namespace)'")
    }

    /// `HGETALL key` as a dictionary of UTF-8 strings.
    func hash(_ key: String, _ doing: String) throws(StoreError) -> [String: String] {
        Dictionary(try pairs(try command(["HGETALL", RedisArgument(key)], doing), key), uniquingKeysWith: { $1 })
    }

    /// `HGETALL` of many keys, pipelined; an empty dictionary for a missing key.
    func hashes(_ keys: [String], _ doing: String) throws(StoreError) -> [[String: String]] {
        let replies = try pipeline(keys.map { ["HGETALL", RedisArgument($0)] }, doing)
        var result: [[String: String]] = []
        result.reserveCapacity(keys.count)
        for (key, reply) in zip(keys, replies) {
            result.append(Dictionary(try pairs(reply, key), uniquingKeysWith: { $1 }))
        }
        return result
    }

    /// A flat array reply of field, value, … as pairs.
    func pairs(_ reply: RedisReply, _ what: String) throws(StoreError) -> [(String, String)] {
        let flat = try strings(reply, what)
        guard flat.count % 2 == 0 else {
            throw StoreError(.redis, "\(what): expected field, value pairs, got \(flat.count) strings")
        }
        return stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) }
    }

    /// An array reply of UTF-8 strings.
    func strings(_ reply: RedisReply, _ what: String) throws(StoreError) -> [String] {
        guard let elements = reply.array else {
            throw StoreError(.redis, "\(what): expected an array from redis, got \(reply)")
        }
        var result: [String] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard let text = element.string else {
                throw StoreError(.corruptRecord, "\(what): expected UTF-8 text, got \(element)")
            }
            result.append(text)
        }
        return result
    }

    /// A bulk string reply as UTF-8 text, or `nil` for the null reply.
    func text(_ reply: RedisReply, _ what: String) throws(StoreError) -> String? {
        if reply.isNull { return nil }
        guard let text = reply.string else {
            throw StoreError(.corruptRecord, "\(what): expected UTF-8 text, got \(reply)")
        }
        return text
    }
}
