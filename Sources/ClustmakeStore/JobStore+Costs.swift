import ClustmakeModel
import ClustmakeRedis

extension JobStore {
    /// What learning costs needs of the namespace (``ClustmakeModel/CostSamples``), without the rest of a snapshot:
    /// one `HGET` of each job's attempt count, then each attempt's summary (``readAttempts(of:counts:skipping:_:each:)``: an
    /// `MGET` per 50, field by field for an attempt without one), in pipelines read ahead on a thread of their own;
    /// then, only if `needingTags` says the samples need them, one `HGET` of the tags of each job that has a sample
    /// (the only ones a tag's median is made of). A sample is an attempt recorded `succeeded`, with a start, neither
    /// superseded nor stale, and a finite wall time of at least 0 (the attempts whose success counted, as
    /// ``NamespaceSnapshot`` and the collector's history see them).
    ///
    /// Values are not trusted: tags that are not a JSON list of strings count as none, an attempt count that is
    /// not a whole number from 0 to ``ClustmakeModel/NamespaceSnapshot/maximumAttempts`` as 0 (its attempts are
    /// not read), and an attempt whose fields cannot be read gives no sample.
    /// - Parameter needingTags: Whether the samples read need the jobs' tags (a job to plan has none of its own).
    /// - Returns: The jobs and samples; jobs without a sample, or all when no tags were needed, with no tags.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func costSamples(needingTags: (CostSamples) -> Bool) throws(StoreError) -> CostSamples {
        let keys = keys
        let first = try bulkPipeline(
            [["GET", RedisArgument(keys.schema)], ["ZRANGE", RedisArgument(keys.jobs), "0", "-1"]],
            "reading the namespace")
        try checkSchema(found: try text(first[0], "the schema version at \(keys.schema)"))
        let ids = try strings(first[1], "the job list at \(keys.jobs)")
        var attemptCounts: [Int] = []
        attemptCounts.reserveCapacity(ids.count)
        // A million commands that differ only in the job id: encoded from a template straight into each batch.
        let readCount = RedisCommandBatch.Template(["HGET"], key: keys.status(""), then: ["attempts"])
        try prefetchedPipeline(count: ids.count, "reading the jobs' attempt counts") { offset, batch in
            batch.append(readCount, varying: ids[offset])
        } each: { (_, reply) throws(StoreError) in
            let count = BulkDecoding.integer(reply) ?? 0
            attemptCounts.append((0...NamespaceSnapshot.maximumAttempts).contains(count) ? count : 0)
        }
        var samples: [(position: Int, sample: CostSamples.Sample)] = []
        var ordered = true
        try readAttempts(of: ids, counts: attemptCounts, "reading the attempts' wall times") {
            (position, job, source) throws(StoreError) in
            guard let sample = Self.sample(of: job, source) else { return }
            if let last = samples.last, last.position > position { ordered = false }
            samples.append((position, sample))
        }
        // Attempts read field by field come after the summaries: back into the order of jobs, then attempts.
        if !ordered { samples.sort { $0.position < $1.position } }
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
