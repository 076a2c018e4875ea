import ClustmakeModel
import ClustmakeRedis

extension JobStore {
    /// What learning costs needs of the namespace (``ClustmakeModel/CostSamples``), without the rest of a snapshot.
    ///
    /// While the metadata says the outcome copies are current (docs/redis-schema.md, "Outcome copies"): the job
    /// states, an `HMGET` per ``stateGroup`` jobs, then the outcome copies of the done jobs, an `HMGET` per
    /// ``copyGroup``: each gives its job's attempt count and the attempt that did it, so that attempt is not read
    /// again. Every other job (not done, or its copy missing or not of its form): one `HGET` of its attempt count.
    /// Then each attempt not read from a copy, from its summary (``readAttempts(of:counts:skipping:_:each:)``: an
    /// `MGET` per 50, field by field for an attempt without one), in pipelines read ahead on a thread of their own;
    /// then, only if `needingTags` says the samples need them, one `HGET` of the tags of each job that has a sample
    /// (the only ones a tag's median is made of). A sample is an attempt recorded `succeeded`, with a start, neither
    /// superseded nor stale, and a finite wall time of at least 0 (the attempts whose success counted, as
    /// ``NamespaceSnapshot`` and the collector's history see them).
    ///
    /// Values are not trusted: tags that are not a JSON list of strings count as none, an attempt count that is
    /// not a whole number from 0 to ``ClustmakeModel/NamespaceSnapshot/maximumAttempts`` as 0 (its attempts are
    /// not read), an attempt whose fields cannot be read gives no sample, and a copy whose attempt count, done
    /// attempt or summary does not agree with itself is not used (the job is read from its hashes).
    /// - Parameter needingTags: Whether the samples read need the jobs' tags (a job to plan has none of its own).
    /// - Returns: The jobs and samples; jobs without a sample, or all when no tags were needed, with no tags.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func costSamples(needingTags: (CostSamples) -> Bool) throws(StoreError) -> CostSamples {
        let keys = keys
        let first = try bulkPipeline(
            [
                ["GET", RedisArgument(keys.schema)], ["ZRANGE", RedisArgument(keys.jobs), "0", "-1"],
                ["HGETALL", RedisArgument(keys.meta)],
            ], "reading the namespace")
        try checkSchema(found: try text(first[0], "the schema version at \(keys.schema)"))
        let ids = try strings(first[1], "the job list at \(keys.jobs)")
        let metadata = RunMetadata(namespace: namespace, fields: try dictionary(first[2], keys.meta))
        let counts = (0...NamespaceSnapshot.maximumAttempts)
        var attemptCounts = [Int](repeating: 0, count: ids.count)
        // The attempt each job's copy gave (0: none; every job's count is then read from its status).
        var fromCopy = [Int](repeating: 0, count: ids.count)
        // Each sample with its job's position and attempt number, the order of ``CostSamples/samples``.
        var samples: [(job: Int, attempt: Int, sample: CostSamples.Sample)] = []
        if metadata.outcomesInStep {
            try readOutcomeCopies(of: ids) { (job, copy) in
                guard let attempts = copy.integer(.attempts), counts.contains(attempts),
                    let attempt = copy.integer(.doneAttempt), attempt >= 1, attempt <= attempts,
                    let summary = copy.summary(of: attempt)
                else { return }
                attemptCounts[job] = attempts
                fromCopy[job] = attempt
                if let sample = Self.sample(of: job, AttemptSource.summary(summary)) {
                    samples.append((job, attempt, sample))
                }
            }
        }
        let uncounted = ids.indices.filter { fromCopy[$0] == 0 }
        // A million commands that differ only in the job id: encoded from a template straight into each batch.
        let readCount = RedisCommandBatch.Template(["HGET"], key: keys.status(""), then: ["attempts"])
        try prefetchedPipeline(count: uncounted.count, "reading the jobs' attempt counts") { offset, batch in
            batch.append(readCount, varying: ids[uncounted[offset]])
        } each: { (offset, reply) throws(StoreError) in
            let count = BulkDecoding.integer(reply) ?? 0
            attemptCounts[uncounted[offset]] = counts.contains(count) ? count : 0
        }
        var ordered = samples.isEmpty
        try readAttempts(of: ids, counts: attemptCounts, skipping: fromCopy, "reading the attempts' wall times") {
            (_, job, source) throws(StoreError) in
            guard let sample = Self.sample(of: job, source) else { return }
            let attempt = source.integer(.attempt) ?? 0
            if let last = samples.last, (last.job, last.attempt) > (job, attempt) { ordered = false }
            samples.append((job, attempt, sample))
        }
        // Copies come first, and attempts read field by field after the summaries: back into the order of jobs,
        // then attempts.
        if !ordered { samples.sort { ($0.job, $0.attempt) < ($1.job, $1.attempt) } }
        var result = CostSamples(jobs: ids.map { CostSamples.Job(id: $0, tags: []) }, samples: samples.map(\.sample))
        guard needingTags(result) else { return result }
        var sampled: [Int] = []
        for sample in result.samples where sampled.last != sample.job { sampled.append(sample.job) }
        try prefetchedPipeline(count: sampled.count, "reading the tags of the jobs with samples") { [sampled] offset in
            ["HGET", RedisArgument(keys.job(ids[sampled[offset]])), "tags"]
        } each: { (offset, reply) throws(StoreError) in
            result.jobs[sampled[offset]].tags =
                BulkDecoding.bytes(reply).flatMap { BulkDecoding.stringArray(String(decoding: $0, as: UTF8.self)) }
                ?? []
        }
        return result
    }

    /// Reads the states of `ids` (an `HMGET` per ``stateGroup``), then the outcome copies of those done (an `HMGET`
    /// per ``copyGroup``), and hands each copy of the form of one to `each` with its job's position, in order. A
    /// state that is not one counts as not done; a copy missing or not of its form is not handed over.
    func readOutcomeCopies(of ids: [String], each: (_ job: Int, _ copy: OutcomeCopy) -> Void) throws(StoreError) {
        let keys = keys
        var done: [Int] = []
        let doneBytes = Array(JobState.done.rawValue.utf8)
        try hashValues(
            of: keys.states, count: ids.count, group: Self.stateGroup, batchSize: 1, "reading the job states",
            member: { ids[$0] }
        ) { (first, values) in
            for (place, value) in values.enumerated() where BulkDecoding.bytes(value) == doneBytes {
                done.append(first + place)
            }
        }
        // Batches of two groups: each reply is 500 copies of a few hundred bytes, decoded while the next comes.
        try hashValues(
            of: keys.outcomes, count: done.count, group: Self.copyGroup, batchSize: 2, "reading the outcome copies",
            member: { [done] in ids[done[$0]] }
        ) { (first, values) in
            for (place, value) in values.enumerated() {
                guard let copy = BulkDecoding.bytes(value).flatMap(OutcomeCopy.init) else { continue }
                each(done[first + place], copy)
            }
        }
    }

    /// The sample an attempt gives, if its success counted: recorded `succeeded`, with a start, neither superseded
    /// nor stale, and a finite wall time of at least 0. A record without a host is read as a snapshot reads it:
    /// host "", which no cluster names (speed 1).
    static func sample(of job: Int, _ attempt: some AttemptFieldSource) -> CostSamples.Sample? {
        guard attempt.string(.state) == AttemptState.succeeded.rawValue, attempt.time(.started) != nil,
            let wall = attempt.number(.wallTime), wall >= 0, attempt.string(.superseded) == nil,
            attempt.string(.stale) == nil
        else { return nil }
        return CostSamples.Sample(job: job, host: attempt.string(.host) ?? "", wallTime: wall)
    }
}
