import ClustmakeRedis

extension JobStore {
    /// Events after `id`, oldest first.
    /// - Parameters:
    ///   - id: A stream id; ``StoreEvent/beginning`` for the oldest event kept.
    ///   - count: At most this many events.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func events(after id: String = StoreEvent.beginning, count: Int = 1000) throws(StoreError) -> [StoreEvent] {
        try checkSchema()
        let start = id == StoreEvent.beginning ? "-" : "(" + id
        let reply = try command(
            ["XRANGE", RedisArgument(keys.events), RedisArgument(start), "+", "COUNT", RedisArgument(count)],
            "reading events")
        return try decodeEntries(reply)
    }

    /// Blocks until events after `id` arrive or `timeout` passes (`XREAD BLOCK`).
    ///
    /// The connection's command timeout must be longer than `timeout`.
    /// - Parameters:
    ///   - id: A stream id (from ``lastEventID()`` or the last event read).
    ///   - timeout: How long to wait at most; positive.
    ///   - count: At most this many events.
    /// - Returns: The events, or none when the time passed.
    /// - Throws: ``StoreError`` when redis fails.
    public func waitForEvents(after id: String, timeout: Duration, count: Int = 100) throws(StoreError) -> [StoreEvent]
    {
        let milliseconds = Self.milliseconds(timeout)
        let reply = try command(
            [
                "XREAD", "COUNT", RedisArgument(count), "BLOCK", RedisArgument(milliseconds), "STREAMS",
                RedisArgument(keys.events), RedisArgument(id),
            ], "waiting for events")
        guard let streams = reply.array, let first = streams.first?.array, first.count == 2 else { return [] }
        return try decodeEntries(first[1])
    }

    /// The id of the newest event, or ``StoreEvent/beginning`` when there is none.
    /// - Throws: ``StoreError`` when redis fails.
    public func lastEventID() throws(StoreError) -> String {
        let reply = try command(
            ["XREVRANGE", RedisArgument(keys.events), "+", "-", "COUNT", "1"], "reading the last event")
        return try decodeEntries(reply).first?.id ?? StoreEvent.beginning
    }

    /// Appends an event (used by pushes; workers' events come from the scripts).
    func appendEvent(_ fields: [(String, String)]) -> [RedisArgument] {
        var arguments: [RedisArgument] = [
            "XADD", RedisArgument(keys.events), "MAXLEN", "~", RedisArgument(StoreSchema.eventStreamLength), "*",
        ]
        for (name, value) in fields {
            arguments.append(RedisArgument(name))
            arguments.append(RedisArgument(value))
        }
        return arguments
    }

    private func decodeEntries(_ reply: RedisReply) throws(StoreError) -> [StoreEvent] {
        guard let entries = reply.array else {
            throw StoreError(.redis, "expected stream entries from \(keys.events), got \(reply)")
        }
        var events: [StoreEvent] = []
        events.reserveCapacity(entries.count)
        for entry in entries {
            guard let parts = entry.array, parts.count == 2, let id = parts[0].string else {
                throw StoreError(.redis, "expected a stream entry from \(keys.events), got \(entry)")
            }
            let fields = Dictionary(try pairs(parts[1], "event \(id) of \(keys.events)"), uniquingKeysWith: { $1 })
            events.append(StoreEvent(id: id, name: fields["event"] ?? "", fields: fields))
        }
        return events
    }
}
