extension StoreScripts {
    /// Records a job failed without an attempt of its own: the executor gave up on it (it lost too many hosts).
    /// `ARGV`: schema, id, reason, now. Reply: `failed`, or `done` / `running` when the job is done or a live
    /// worker holds it (then nothing changes).
    static let abandon =
        prelude + """
            local problem = namespace_problem()
            if problem then return redis.error_reply(problem) end
            local id, reason, now = ARGV[2], ARGV[3], ARGV[4]
            if redis.call('EXISTS', P .. 'job:' .. id) == 0 then return redis.error_reply('CLUSTMAKE-NOJOB ' .. id) end
            local state = redis.call('HGET', P .. 'states', id) or 'not-started'
            if state == 'done' then return 'done' end
            if state == 'in-progress' then
              if redis.call('EXISTS', P .. 'lease:' .. id) == 1 then return 'running' end
              lose(id, now)
            end
            local status = P .. 'status:' .. id
            redis.call('HSET', P .. 'states', id, 'failed')
            redis.call('HSET', status, 'reason', reason, 'updated', now)
            redis.call('HDEL', status, 'blocked_by')
            event({'event', 'job-abandoned', 'time', now, 'job', id, 'reason', reason})
            return 'failed'
            """
}
