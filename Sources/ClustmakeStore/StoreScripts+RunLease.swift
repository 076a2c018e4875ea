extension StoreScripts {
    /// Reads redis's clock in milliseconds (`now`) and the run lease at `KEYS[1]` as a table (`lease`, empty when
    /// there is none): the start of every run-lease script.
    static let runLeasePrelude = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local flat = redis.call('HGETALL', KEYS[1])
        local lease = {}
        for i = 1, #flat, 2 do lease[flat[i]] = flat[i + 1] end
        local function expires() return tonumber(lease['expires'] or '') or 0 end

        """

    /// Takes the namespace's run lease. `KEYS[1]`: the lease; `ARGV`: token, TTL in ms, the token of a lease that
    /// may be taken over although it has not expired (its run is known to be gone; empty for none), then field,
    /// value pairs describing the holder. Reply: `{'held', ms left, fields…}` when another run holds it (nothing
    /// changes), else `{'claimed', ms since the earlier lease expired (or -1 when it had not), fields of the
    /// lease it replaced…}`.
    static let claimRunLease =
        runLeasePrelude + """
            local token, ttl, takeover = ARGV[1], tonumber(ARGV[2]), ARGV[3]
            if #flat > 0 and lease['token'] ~= token and lease['token'] ~= takeover and expires() > now then
              return {'held', tostring(expires() - now), unpack(flat)}
            end
            local since = '-1'
            if #flat > 0 and expires() <= now then since = tostring(now - expires()) end
            if lease['token'] == token then flat = {} end
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], 'token', token, 'expires', tostring(now + ttl), unpack(ARGV, 4))
            return {'claimed', since, unpack(flat)}
            """

    /// Renews the run lease for another TTL while it is this run's, or takes it again when it is gone (redis lost
    /// it). `ARGV` as ``claimRunLease`` without the takeover token. Reply: `{1}` renewed, or `{0, fields…}` when
    /// another run holds it now.
    static let renewRunLease =
        runLeasePrelude + """
            local token, ttl = ARGV[1], tonumber(ARGV[2])
            if #flat > 0 and lease['token'] ~= token then return {0, unpack(flat)} end
            if #flat == 0 then redis.call('HSET', KEYS[1], 'token', token, unpack(ARGV, 3)) end
            redis.call('HSET', KEYS[1], 'expires', tostring(now + ttl))
            return {1}
            """

    /// Lets the run lease go if it is this run's. `ARGV`: token. Reply: 1 released, 0 not this run's.
    static let releaseRunLease = """
        if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
        return redis.call('DEL', KEYS[1])
        """
}
