import ClustmakeModel

/// The Lua scripts that make the store's state changes atomic (`EVAL`).
///
/// Every script takes the namespace's schema key as `KEYS[1]` and the expected schema version as `ARGV[1]`, checks
/// them first, and derives the other keys of the namespace from the schema key's prefix. Those keys share its hash
/// tag, hence its Redis Cluster slot, so the scripts run unchanged on a cluster. Errors come back as error replies
/// whose first word says what went wrong (`CLUSTMAKE-NAMESPACE`, `CLUSTMAKE-SCHEMA found`, `CLUSTMAKE-NOJOB id`).
enum StoreScripts {
    /// What every script does first: check the namespace and its schema version (an error reply and nothing else
    /// when they are not the expected ones), then define the helpers the scripts share.
    static let prelude = """
        local P = string.sub(KEYS[1], 1, -7)
        do
          local found = redis.call('GET', KEYS[1])
          if not found then return redis.error_reply('CLUSTMAKE-NAMESPACE no such namespace') end
          if found ~= ARGV[1] then return redis.error_reply('CLUSTMAKE-SCHEMA ' .. found) end
        end
        local function event(fields)
          return redis.call('XADD', P .. 'events', 'MAXLEN', '~', '\(StoreSchema.eventStreamLength)', '*',
            unpack(fields))
        end
        local function hmget_all(key, fields)
          local out = {}
          for first = 1, #fields, 1000 do
            local chunk = {}
            for i = first, math.min(first + 999, #fields) do chunk[#chunk + 1] = fields[i] end
            local part = redis.call('HMGET', key, unpack(chunk))
            for i = 1, #chunk do out[#out + 1] = part[i] end
          end
          return out
        end
        local function decode_list(text)
          if not text then return {} end
          return cjson.decode(text)
        end
        local function list(key, field)
          return decode_list(redis.call('HGET', key, field))
        end
        local function lose(id, now, reason)
          local status = P .. 'status:' .. id
          local attempt = redis.call('HGET', status, 'attempt')
          redis.call('HSET', P .. 'states', id, 'lost')
          redis.call('SREM', P .. 'running', id)
          redis.call('HSET', status, 'reason',
            reason or 'its worker stopped renewing the lease (killed, or its host or network failed)', 'updated', now)
          if attempt then
            local record = P .. 'attempt:' .. id .. ':' .. attempt
            if redis.call('HGET', record, 'state') == 'running' then
              redis.call('HSET', record, 'state', 'lost', 'lost_at', now)
              if reason then redis.call('HSET', record, 'reason', reason) end
            end
            local host = redis.call('HGET', record, 'host')
            if host then redis.call('HINCRBY', P .. 'host:' .. host, 'lost', 1) end
          end
          event({'event', 'job-lost', 'job', id, 'attempt', attempt or '0', 'time', now})
        end
        local function invalidate_dependents(root, now)
          local queue = {root}
          local seen = {[root] = true}
          local head = 1
          local count = 0
          while head <= #queue do
            local current = queue[head]
            head = head + 1
            local dependents = list(P .. 'job:' .. current, 'dependents')
            if #dependents > 0 then
              local states = hmget_all(P .. 'states', dependents)
              for i, dependent in ipairs(dependents) do
                if not seen[dependent] and states[i] == 'done' then
                  seen[dependent] = true
                  queue[#queue + 1] = dependent
                  count = count + 1
                  redis.call('HSET', P .. 'states', dependent, 'not-started')
                  redis.call('HSET', P .. 'status:' .. dependent, 'reason',
                    "no longer up to date: '" .. root .. "' upstream of it runs again", 'updated', now)
                end
              end
            end
          end
          if count > 0 then
            event({'event', 'jobs-invalidated', 'job', root, 'count', tostring(count), 'time', now})
          end
        end

        """

    /// The body of ``acquire`` as a Lua function, `acquire(id, more, token, ttl, now, host, nodename, pid,
    /// version, expect_attempt, expect_digest)`, shared with ``finishThenAcquire``; and `reserve(id, more, token, ttl,
    /// after)`, the body of ``reserve``. A lease on a job that is not in progress is a *reservation*: the worker
    /// holding it runs the job next (docs/run.md, "Reservations"); `acquire` leaves such a job to that worker, and
    /// gives the reservation back when the holder's own acquire does not start the job.
    static let acquireFunction = """
        -- The job's definition for the worker, without its dependents (a long list for a fan-in root, which the
        -- worker never needs), appended to `reply`.
        local function definition(job, reply)
          local fields = redis.call('HGETALL', job)
          for i = 1, #fields, 2 do
            if fields[i] ~= 'dependents' then
              reply[#reply + 1] = fields[i]
              reply[#reply + 1] = fields[i + 1]
            end
          end
          return reply
        end
        local function acquire(id, more, token, ttl, now, host, nodename, pid, version, expect_attempt,
          expect_digest)
          local job = P .. 'job:' .. id
          -- One read for what the checks need: `id` is in every pushed job, so its absence means no job (the EXISTS
          -- only settles the case of a hash that lost its `id`, which the decoding then reports).
          local known = redis.call('HMGET', job, 'id', 'deps', 'digest')
          if not known[1] and redis.call('EXISTS', job) == 0 then
            return redis.error_reply('CLUSTMAKE-NOJOB ' .. id)
          end
          local status = P .. 'status:' .. id
          local lease = P .. 'lease:' .. id
          local state = redis.call('HGET', P .. 'states', id) or 'not-started'
          local function started(attempt, seq)
            return definition(job, {'started', attempt, seq})
          end
          if state == 'in-progress' then
            local holder = redis.call('GET', lease)
            if holder == token then
              -- The same worker asking again (its first reply was lost): the attempt is already its.
              local current = redis.call('HMGET', status, 'attempt', 'start_seq')
              return started(tonumber(current[1]), tonumber(current[2]))
            end
            if holder then
              local current = redis.call('HMGET', status, 'attempt', 'host')
              return {'held', holder, current[1] or '0', current[2] or ''}
            end
            lose(id, now)
            state = 'lost'
          end
          -- A lease on a job not in progress is a reservation: another worker's is left alone; this worker's own
          -- is given back by any reply but a start.
          local mine = false
          do
            local holder = redis.call('GET', lease)
            if holder and holder ~= token then return {'reserved', holder} end
            mine = holder == token
          end
          local function decline(reply)
            if mine then redis.call('DEL', lease) end
            return reply
          end
          if state == 'done' and more ~= '1' then return decline({'up-to-date'}) end
          local deps = decode_list(known[2])
          local waiting = {}
          if #deps > 0 then
            local states = hmget_all(P .. 'states', deps)
            for i, dep in ipairs(deps) do
              local s = states[i] or 'not-started'
              if s == 'failed' or s == 'blocked' then
                redis.call('HSET', P .. 'states', id, 'blocked')
                redis.call('HSET', status, 'reason', "dependency '" .. dep .. "' is " .. s, 'blocked_by', dep,
                  'updated', now)
                event({'event', 'job-blocked', 'job', id, 'dependency', dep, 'dependency_state', s, 'host', host,
                  'time', now})
                return decline({'blocked', dep, s})
              end
              if s ~= 'done' then
                if s == 'in-progress' and redis.call('EXISTS', P .. 'lease:' .. dep) == 0 then s = 'lost' end
                waiting[#waiting + 1] = dep
                waiting[#waiting + 1] = s
              end
            end
          end
          if #waiting > 0 then
            local last = redis.call('XREVRANGE', P .. 'events', '+', '-', 'COUNT', 1)
            local reply = {'wait', (last[1] and last[1][1]) or '0-0'}
            for _, value in ipairs(waiting) do reply[#reply + 1] = value end
            return decline(reply)
          end
          -- A worker that started the job's command on its reservation: only the attempt and definition it ran.
          if expect_attempt and expect_attempt ~= '' then
            local next_attempt = tonumber(redis.call('HGET', status, 'attempts') or '0') + 1
            if tostring(next_attempt) ~= expect_attempt or (known[3] or '') ~= expect_digest then
              return decline({'stale', next_attempt, known[3] or ''})
            end
          end
          if state == 'done' then invalidate_dependents(id, now) end
          local attempt = redis.call('HINCRBY', status, 'attempts', 1)
          local seq = redis.call('HINCRBY', P .. 'meta', 'seq', 1)
          redis.call('HINCRBY', P .. 'meta', 'outcomes_seq', 1)
          redis.call('SET', lease, token, 'PX', ttl)
          redis.call('HSET', P .. 'states', id, 'in-progress')
          redis.call('HSET', status, 'attempt', attempt, 'start_seq', seq, 'host', host, 'updated', now)
          redis.call('HDEL', status, 'reason', 'blocked_by')
          redis.call('SADD', P .. 'running', id)
          redis.call('HSET', P .. 'attempt:' .. id .. ':' .. attempt, 'job', id, 'attempt', attempt,
            'state', 'running',
            'host', host, 'nodename', nodename, 'worker_pid', pid, 'worker_version', version, 'lease', token,
            'started', now, 'start_seq', seq, 'digest', known[3] or '')
          local hostkey = P .. 'host:' .. host
          redis.call('SADD', P .. 'hosts', host)
          redis.call('HSETNX', hostkey, 'first_seen', now)
          redis.call('HSET', hostkey, 'nickname', host, 'nodename', nodename, 'worker_version', version,
            'last_seen', now)
          redis.call('HINCRBY', hostkey, 'started', 1)
          event({'event', 'job-started', 'job', id, 'attempt', tostring(attempt), 'host', host, 'time', now})
          -- A worker that started the command on its reservation has the definition already.
          if expect_attempt and expect_attempt ~= '' then return {'started', attempt, seq} end
          return started(attempt, seq)
        end
        -- Reserves job `id` for the worker whose job `after` is in progress, to run right after it: when the job
        -- is not in progress, not up to date, has no other lease, and every dependency but `after` is done. Writes
        -- the lease key only; replies `{'reserved', attempt, field, value, ...}` (the attempt its start will get
        -- and the job's definition) or `{'no'}`.
        local function reserve(id, more, token, ttl, after)
          local job = P .. 'job:' .. id
          local known = redis.call('HMGET', job, 'id', 'deps')
          if not known[1] then return {'no'} end
          local state = redis.call('HGET', P .. 'states', id) or 'not-started'
          if state == 'in-progress' or (state == 'done' and more ~= '1') then return {'no'} end
          local lease = P .. 'lease:' .. id
          local holder = redis.call('GET', lease)
          if holder and holder ~= token then return {'no'} end
          local deps = decode_list(known[2])
          if #deps > 0 then
            local states = hmget_all(P .. 'states', deps)
            for i, dep in ipairs(deps) do
              if states[i] ~= 'done' and dep ~= after then return {'no'} end
            end
          end
          redis.call('SET', lease, token, 'PX', ttl)
          local attempts = tonumber(redis.call('HGET', P .. 'status:' .. id, 'attempts') or '0')
          return definition(job, {'reserved', attempts + 1})
        end

        """

    /// Takes a job's lease, or says why not.
    ///
    /// `ARGV`: schema, id, more (`1`/`0`), token, ttl (ms), now, host, nodename, pid, worker version.
    /// Replies: `{'up-to-date'}`; `{'held', token, attempt, host}`; `{'wait', last-event-id, dep, state, …}`;
    /// `{'blocked', dep, state}` (recorded); `{'started', attempt, start-seq, field, value, …}` with the job's
    /// definition.
    static let acquire = StoreScript(
        sha1: "85dbe44c9c7cf2631817bfc43285c061e69edfa3",
        prelude + acquireFunction + """
            return acquire(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
            """)

    /// Takes a job's lease as ``acquire`` does and, when that started the job, reserves the next job of the
    /// worker's line as ``reserve`` does: one round trip.
    ///
    /// `ARGV`: schema, acquire's nine arguments, then the id to reserve. Reply: `{acquire-reply}`, or
    /// `{acquire-reply, reserve-reply}` when the job started.
    static let acquireThenReserve = StoreScript(
        sha1: "87c8659d9117ab7f8b42de1ce379f1d9fc2fa9f4",
        prelude + acquireFunction + """
            local taken = acquire(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
            if taken.err or taken[1] ~= 'started' then return {taken} end
            return {taken, reserve(ARGV[11], ARGV[3], ARGV[4], ARGV[5], ARGV[2])}
            """)

    /// Reserves the job the worker runs after its current one (docs/run.md, "Reservations"): sets the job's lease
    /// key to the worker's token when the job is not in progress, not up to date, has no lease, and every
    /// dependency but the current job is done; writes nothing else.
    ///
    /// `ARGV`: schema, id, more, token, ttl (ms), the current job's id. Reply: `{'reserved', attempt, field, value,
    /// …}` (the attempt the start will get, the job's definition), or `{'no'}`.
    static let reserve = StoreScript(
        sha1: "ef808d404e9fc400fc88199df57585e9dd08b1b4",
        prelude + acquireFunction + "return reserve(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])\n")

    /// Gives reservations back: deletes the lease key of each job that is not in progress and whose lease is held
    /// by the token (`token` mode: the worker's own) or by a worker of the host (`host` mode: the executor, for the
    /// jobs of a line whose session ended; tokens start with the host's nickname and `/`).
    ///
    /// `ARGV`: schema, mode (`token`/`host`), the token or host, then the job ids. Reply: how many were given back.
    static let release = StoreScript(
        sha1: "f19abb71f1a7b98df8e63a767cefe6fb97e6da6b",
        prelude + """
            local mode, holder = ARGV[2], ARGV[3]
            local released = 0
            for i = 4, #ARGV do
              local lease = P .. 'lease:' .. ARGV[i]
              local found = redis.call('GET', lease)
              if found and redis.call('HGET', P .. 'states', ARGV[i]) ~= 'in-progress' then
                if (mode == 'token' and found == holder)
                  or (mode == 'host' and string.sub(found, 1, #holder + 1) == holder .. '/') then
                  redis.call('DEL', lease)
                  released = released + 1
                end
              end
            end
            return released
            """)

    /// Renews a lease: `1` renewed, `2` taken again (it had expired, or a reader had declared the job lost, and no
    /// other attempt started since), `0` lost to another attempt (or the job left the in-progress state).
    ///
    /// With an eighth argument, the id of a job the worker reserved, renews that reservation too (when it is still
    /// the worker's and the job not in progress).
    ///
    /// `ARGV`: schema, id, token, ttl (ms), attempt, now, host[, reserved id].
    static let renew = StoreScript(
        sha1: "706664db6b78e6e36ec8e306f6b5f10ba1266ba6",
        prelude + """
            local id, token, ttl, attempt, now, host = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
            local lease = P .. 'lease:' .. id
            local holder = redis.call('GET', lease)
            redis.call('HSET', P .. 'host:' .. host, 'last_seen', now)
            if ARGV[8] then
              local reservation = P .. 'lease:' .. ARGV[8]
              if redis.call('GET', reservation) == token and redis.call('HGET', P .. 'states', ARGV[8]) ~= 'in-progress'
              then
                redis.call('PEXPIRE', reservation, ttl)
              end
            end
            if holder == token then
              redis.call('PEXPIRE', lease, ttl)
              return 1
            end
            if holder then return 0 end
            if redis.call('EXISTS', P .. 'job:' .. id) == 0 then return 0 end
            if redis.call('HGET', P .. 'status:' .. id, 'attempt') ~= attempt then return 0 end
            local state = redis.call('HGET', P .. 'states', id)
            if state == 'lost' then
              redis.call('HSET', P .. 'states', id, 'in-progress')
              redis.call('SADD', P .. 'running', id)
              redis.call('HDEL', P .. 'status:' .. id, 'reason')
              local record = P .. 'attempt:' .. id .. ':' .. attempt
              if redis.call('HGET', record, 'state') == 'lost' then
                redis.call('HSET', record, 'state', 'running')
                redis.call('HDEL', record, 'lost_at')
              end
              event({'event', 'job-reclaimed', 'job', id, 'attempt', attempt, 'host', host, 'time', now})
            elseif state ~= 'in-progress' then
              return 0
            end
            redis.call('SET', lease, token, 'PX', ttl)
            return 2
            """)

    /// The body of ``finish`` as a Lua function, `finish(first)`, reading its arguments from `ARGV[first]` on
    /// (id, token, attempt, outcome, now, host, reason, exit summary, stdout tail, stderr tail, then field, value
    /// pairs for the attempt hash to the end); shared with ``finishThenAcquire``.
    static let finishFunction = """
        -- The attempt's fields that readers of many attempts use, packed into its summary key once its outcome is
        -- written (docs/redis-schema.md): '1|', then per field '~' when absent or LENGTH ':' VALUE. A key of its
        -- own: a long value in the attempt's hash would make redis keep the hash in its larger encoding.
        local summary_fields = {\(AttemptRecord.Field.allCases.map { "'\($0.name)'" }.joined(separator: ", "))}
        -- The packed form of `values` (`count` of them, any absent): '1|', then per value '~' when absent or
        -- LENGTH ':' VALUE.
        local function pack(values, count)
          local out = {'1|'}
          for i = 1, count do
            local value = values[i]
            if value then
              out[#out + 1] = #value
              out[#out + 1] = ':'
              out[#out + 1] = value
            else
              out[#out + 1] = '~'
            end
          end
          return table.concat(out)
        end
        -- Writes the attempt's summary and returns it.
        local function summarize(record, key)
          local summary = pack(redis.call('HMGET', record, unpack(summary_fields)), #summary_fields)
          redis.call('SET', key, summary)
          return summary
        end
        -- A done job's outcome copy (docs/redis-schema.md, "Outcome copies"): the status fields a snapshot reads,
        -- as the finish left them, then the summary of the attempt that did the job.
        local status_fields = {\(StatusField.allCases.map { "'\($0.name)'" }.joined(separator: ", "))}
        -- Gives back the worker's reservation of job `id` (its lease key while the job is not in progress).
        local function release_own(id, token)
          local lease = P .. 'lease:' .. id
          if redis.call('GET', lease) == token and redis.call('HGET', P .. 'states', id) ~= 'in-progress' then
            redis.call('DEL', lease)
          end
        end
        local function finish(first)
          local id, token, attempt, outcome = ARGV[first], ARGV[first + 1], ARGV[first + 2], ARGV[first + 3]
          local now, host, reason, exit = ARGV[first + 4], ARGV[first + 5], ARGV[first + 6], ARGV[first + 7]
          local record = P .. 'attempt:' .. id .. ':' .. attempt
          local summary = P .. 'summary:' .. id .. ':' .. attempt
          -- What the checks below need of the attempt (written when it started) and of the job, read once each.
          local recorded = redis.call('HMGET', record, 'finished', 'digest', 'start_seq')
          if recorded[1] then
            return {'recorded', redis.call('HGET', P .. 'states', id) or 'not-started', 'again'}
          end
          local job = P .. 'job:' .. id
          local known = redis.call('HMGET', job, 'id', 'digest', 'deps')
          if not known[1] and redis.call('EXISTS', job) == 0 then return {'superseded', 'removed'} end
          -- One write of the attempt's fields: the worker's fields come after the fixed ones and win over them
          -- (its `ended` is the command's end, not this call's time).
          local fields = {'job', id, 'attempt', attempt, 'state', outcome, 'ended', now, 'finished', '1'}
          for i = first + 10, #ARGV do fields[#fields + 1] = ARGV[i] end
          if reason ~= '' then
            fields[#fields + 1] = 'reason'
            fields[#fields + 1] = reason
          end
          redis.call('HSET', record, unpack(fields))
          -- An attempt that wrote nothing on a channel has no key for it (most jobs write no stderr).
          if ARGV[first + 8] ~= '' then redis.call('SET', P .. 'stdout:' .. id .. ':' .. attempt, ARGV[first + 8]) end
          if ARGV[first + 9] ~= '' then redis.call('SET', P .. 'stderr:' .. id .. ':' .. attempt, ARGV[first + 9]) end
          local hostkey = P .. 'host:' .. host
          redis.call('SADD', P .. 'hosts', host)
          redis.call('HSET', hostkey, 'nickname', host, 'last_seen', now)
          redis.call('HINCRBY', hostkey, outcome, 1)
          local status = P .. 'status:' .. id
          local lease = P .. 'lease:' .. id
          local state = redis.call('HGET', P .. 'states', id) or 'not-started'
          local holder = redis.call('GET', lease)
          -- The status fields a snapshot reads (`status_fields`): the attempt and reason checked here, all of them
          -- for a done job's outcome copy.
          local current = redis.call('HMGET', status, unpack(status_fields))
          local current_attempt, current_reason = current[2], current[5]
          if current_attempt ~= attempt or (state ~= 'in-progress' and state ~= 'lost')
            or (holder and holder ~= token) then
            redis.call('HSET', record, 'superseded', 'another attempt took the job over while this one ran')
            summarize(record, summary)
            return {'superseded', state}
          end
          if holder then redis.call('DEL', lease) end
          redis.call('SREM', P .. 'running', id)
          local new_state, name = 'failed', 'job-failed'
          local changes = {'updated', now}
          if outcome == 'succeeded' then
            local stale = nil
            if known[2] ~= recorded[2] then
              stale = 'its definition was changed by a push while it ran'
            else
              local start = tonumber(recorded[3] or '0')
              local deps = decode_list(known[3])
              if #deps > 0 then
                local states = hmget_all(P .. 'states', deps)
                for i, dep in ipairs(deps) do
                  if states[i] ~= 'done' then
                    stale = "dependency '" .. dep .. "' is " .. (states[i] or 'not-started') .. ' now'
                    break
                  end
                  local done_seq = tonumber(redis.call('HGET', P .. 'status:' .. dep, 'done_seq') or '0')
                  if done_seq > start then
                    stale = "dependency '" .. dep .. "' was run again while it ran"
                    break
                  end
                end
              end
            end
            if stale then
              new_state, name = 'not-started', 'job-stale'
              reason = 'the command succeeded but the result is not up to date: ' .. stale
              redis.call('HSET', record, 'stale', reason)
            else
              new_state, name = 'done', 'job-succeeded'
              local seq = redis.call('HINCRBY', P .. 'meta', 'seq', 1)
              redis.call('HINCRBY', P .. 'meta', 'outcomes_seq', 1)
              changes[#changes + 1] = 'done_seq'
              changes[#changes + 1] = seq
              changes[#changes + 1] = 'done_attempt'
              changes[#changes + 1] = attempt
            end
          elseif outcome == 'interrupted' then
            new_state, name = 'interrupted', 'job-interrupted'
          end
          local packed = summarize(record, summary)
          redis.call('HSET', P .. 'states', id, new_state)
          if reason ~= '' and new_state ~= 'done' then
            changes[#changes + 1] = 'reason'
            changes[#changes + 1] = reason
          end
          redis.call('HSET', status, unpack(changes))
          if current_reason and not (reason ~= '' and new_state ~= 'done') then
            redis.call('HDEL', status, 'reason')
          end
          if new_state == 'done' then
            -- The status as the writes above left it: attempts, attempt, host, updated, reason, blocked_by,
            -- done_attempt.
            local values = {current[1], attempt, current[3], now, false, current[6], attempt, packed}
            redis.call('HSET', P .. 'outcomes', id, pack(values, #values))
          end
          local event_fields = {'event', name, 'job', id, 'attempt', attempt, 'host', host, 'time', now,
            'state', new_state}
          if exit ~= '' then
            event_fields[#event_fields + 1] = 'exit'
            event_fields[#event_fields + 1] = exit
          end
          if reason ~= '' then
            event_fields[#event_fields + 1] = 'reason'
            event_fields[#event_fields + 1] = reason
          end
          event(event_fields)
          return {'recorded', new_state}
        end

        """

    /// Records an attempt's outcome and, if the attempt still owns the job, the job's new state; releases the
    /// lease. Idempotent: a second call for the same attempt changes nothing.
    ///
    /// With a job id as `ARGV[2]`, also gives back the worker's reservation of that job (``release``): a worker that
    /// stops after this attempt does not run the job it reserved.
    ///
    /// `ARGV`: schema, the id of a reservation to give back (or empty), then id, token, attempt, outcome
    /// (`succeeded`/`failed`/`interrupted`), now, host, reason, exit summary, stdout tail, stderr tail, then field,
    /// value pairs for the attempt hash.
    /// Replies: `{'recorded', new-state}`, `{'recorded', state, 'again'}`, `{'superseded', state}` (the job was
    /// removed, or another attempt owns it; the attempt hash is still written unless the job was removed).
    static let finish = StoreScript(
        sha1: "625dfc9a8e14716bc9e1e1efb6e5a9daf247f8d8",
        prelude + finishFunction + """
            local finished = finish(3)
            if ARGV[2] ~= '' then release_own(ARGV[2], ARGV[4]) end
            return finished
            """)

    /// Records an attempt's outcome as ``finish`` does and then, only if it was recorded (the attempt still owned
    /// the job), takes the lease of the next job of the worker's line as ``acquire`` does: the two steps of a line's
    /// consecutive jobs in one round trip. Each step is what its own script does; a reply lost with the connection
    /// is harmless to send again (the finish replies `again`, the acquire finds the lease already the worker's).
    ///
    /// A worker that started the next job's command on its reservation passes the attempt and digest it ran: the
    /// acquire then starts only that attempt of that definition (else replies `{'stale', attempt, digest}` and gives
    /// the reservation back). With a job id to reserve, a started acquire is followed by ``reserve`` of that job.
    ///
    /// `ARGV`: schema, then acquire's nine arguments (id, more, token, ttl, now, host, nodename, pid, version), the
    /// expected attempt and digest (or empty), the id to reserve (or empty), then finish's arguments (from
    /// `ARGV[14]`). Reply: `{finish-reply}` when the outcome was not recorded (a reservation of the next job is given
    /// back then), else `{finish-reply, acquire-reply}`, the second an error reply when the acquire failed (an
    /// unknown job, say): the finish stands either way; `{finish-reply, acquire-reply, reserve-reply}` when the
    /// acquire started the job and an id to reserve was given.
    static let finishThenAcquire = StoreScript(
        sha1: "1a1868b41c4074e859ef606058d2a63b373ac24d",
        prelude + acquireFunction + finishFunction + """
            local finished = finish(14)
            if finished[1] ~= 'recorded' then
              release_own(ARGV[2], ARGV[4])
              return {finished}
            end
            local ok, taken = pcall(acquire, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9],
              ARGV[10], ARGV[11], ARGV[12])
            if not ok then
              if type(taken) == 'table' and taken.err then return {finished, taken} end
              return {finished, redis.error_reply(tostring(taken))}
            end
            if taken.err or taken[1] ~= 'started' or ARGV[13] == '' then return {finished, taken} end
            return {finished, taken, reserve(ARGV[13], ARGV[3], ARGV[4], ARGV[5], ARGV[2])}
            """)

    /// Every script, by the name of its property: what the tests check the written-out names against.
    static var all: [(name: String, script: StoreScript)] {
        [
            ("acquire", acquire), ("acquireThenReserve", acquireThenReserve), ("reserve", reserve),
            ("release", release), ("renew", renew), ("finish", finish), ("finishThenAcquire", finishThenAcquire),
            ("reap", reap), ("abandon", abandon), ("revoke", revoke),
        ]
    }

    /// Declares lost every job in progress whose lease expired. `ARGV`: schema, now. Reply: the ids.
    static let reap = StoreScript(
        sha1: "99cd0ddf7be20c60ff105c1706d0cd1dceff3db5",
        prelude + """
            local lost = {}
            for _, id in ipairs(redis.call('SMEMBERS', P .. 'running')) do
              if redis.call('EXISTS', P .. 'lease:' .. id) == 0 then
                lose(id, ARGV[2])
                lost[#lost + 1] = id
              end
            end
            return lost
            """)
}
