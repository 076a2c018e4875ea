import ClustmakeModel
import ClustmakeRedis

extension JobStore {
    /// The attempt fields ``costSamples(needingTags:)`` reads, in order.
    static let sampleFields: [RedisArgument] = ["state", "started", "wall_time", "host", "superseded", "stale"]

    /// What learning costs needs of the namespace (``ClustmakeModel/CostSamples``), without the rest of a snapshot:
    /// one `HGET` of each job's attempt count, then an `HMGET` of six fields of each attempt, in pipelines read ahead
    /// on a thread of their own; then, only if `needingTags` says the samples need them, one `HGET` of the tags of
    /// each job that has a sample (the only ones a tag's median is made of). A sample is an attempt recorded
    /// `succeeded`, with a start, neither superseded nor stale, and a finite wall time of at least 0 (the attempts
    /// whose success counted, as ``NamespaceSnapshot`` and the collector's history see them).
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
        try prefetchedPipeline(count: ids.count, "reading the jobs' attempt counts") { offset in
            ["HGET", RedisArgument(keys.status(ids[offset])), "attempts"]
        } each: { (_, reply) throws(StoreError) in
            let count = BulkDecoding.integer(reply) ?? 0
            attemptCounts.append((0...NamespaceSnapshot.maximumAttempts).contains(count) ? count : 0)
        }
        var samples: [CostSamples.Sample] = []
        let fields = Self.sampleFields
        try readAttempts(of: ids, counts: attemptCounts, fields: fields, "reading the attempts' wall times") {
            (job, values) throws(StoreError) in
            guard values.count == fields.count, BulkDecoding.string(values, 0) == AttemptState.succeeded.rawValue,
                BulkDecoding.time(values, 1) != nil, let wall = BulkDecoding.number(values, 2), wall >= 0,
                values[4].isNull, values[5].isNull
            else { return }
            // A record without a host is read as a snapshot reads it: host "", which no cluster names (speed 1).
            samples.append(CostSamples.Sample(job: job, host: BulkDecoding.string(values, 3) ?? "", wallTime: wall))
        }
        var result = CostSamples(jobs: ids.map { CostSamples.Job(id: $0, tags: []) }, samples: samples)
        guard needingTags(result) else { return result }
        var sampled: [Int] = []
        for sample in samples where sampled.last != sample.job { sampled.append(sample.job) }
        try prefetchedPipeline(count: sampled.count, "reading the tags of the jobs with samples") { [sampled] offset in
            ["HGET", RedisArgument(keys.job(ids[sampled[offset]])), "tags"]
        } each: { (offset, reply) throws(StoreError) in
            result.jobs[sampled[offset]].tags =
                BulkDecoding.bytes(reply).flatMap { BulkDecoding.stringArray(String(decoding: $0, as: UTF8.self)) }
                ?? []
        }
        return result
    }
}
