extension StoreScripts {
    /// Records a job failed without an attempt of its own: the executor gave up on it (it lost too many hosts).
    /// `ARGV`: schema, id, reason, now. Reply: `failed`, or `done` / `running` when the job is done or a live
    /// worker holds it (then nothing changes). A worker's reservation of the job is given back.
    static let abandon = StoreScript(
        sha1: "954dc09c0fea68be7dd527ad9c7e2f58caf4cea0",
        prelude + """
            local id, reason, now = ARGV[2], ARGV[3], ARGV[4]
            if redis.call('EXISTS', P .. 'job:' .. id) == 0 then return redis.error_reply('CLUSTMAKE-NOJOB ' .. id) end
            local state = redis.call('HGET', P .. 'states', id) or 'not-started'
            if state == 'done' then return 'done' end
            if state == 'in-progress' then
              if redis.call('EXISTS', P .. 'lease:' .. id) == 1 then return 'running' end
              lose(id, now)
            else
              -- A reservation (a lease on a job not in progress): given up with the job.
              redis.call('DEL', P .. 'lease:' .. id)
            end
            local status = P .. 'status:' .. id
            redis.call('HSET', P .. 'states', id, 'failed')
            redis.call('HSET', status, 'reason', reason, 'updated', now)
            redis.call('HDEL', status, 'blocked_by')
            event({'event', 'job-abandoned', 'time', now, 'job', id, 'reason', reason})
            return 'failed'
            """)

    /// Declares an attempt lost before its lease expires: the executor saw the attempt's host fail (its ssh
    /// session ended with 255, its master connection broke), so the job can run elsewhere at once. Only that
    /// attempt, on that host, while it still owns the job; a worker that is in fact alive and renews before any
    /// other attempt starts takes the job back (`renew` replies 2), and one that renews later finds its lease lost
    /// and stops its job.
    ///
    /// `ARGV`: schema, id, attempt, host, reason, now. Reply: `lost`, or `unchanged`.
    static let revoke = StoreScript(
        sha1: "4d664fb71412c47c0abfcdf26db292819e30c4b1",
        prelude + """
            local id, attempt, host, reason, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
            if redis.call('HGET', P .. 'states', id) ~= 'in-progress' then return 'unchanged' end
            if redis.call('HGET', P .. 'status:' .. id, 'attempt') ~= attempt then return 'unchanged' end
            if redis.call('HGET', P .. 'attempt:' .. id .. ':' .. attempt, 'host') ~= host then return 'unchanged' end
            redis.call('DEL', P .. 'lease:' .. id)
            lose(id, now, reason)
            return 'lost'
            """)
}
