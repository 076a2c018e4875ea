import ClustmakeModel
public import ClustmakePlanner

extension ScriptWriter {
    /// `plan.json` as one byte array (``PlanDirectory`` streams it to the file instead).
    ///
    /// The document is compact JSON on one line, ending with a newline; its fields are documented in
    /// docs/plan-directory.md. Every byte is written by `ClustmakeJSON.JSONWriter`.
    public func planJSON() -> [UInt8] {
        var bytes: [UInt8] = []
        PlanJSON.write(self) { chunk in bytes.append(contentsOf: chunk) }
        return bytes
    }
}

extension ScriptWriter {
    /// `plan.json` as one byte array, or `nil` as soon as it grows past `limit` bytes (a plan too large to keep
    /// elsewhere is never held whole in memory).
    public func planJSON(limit: Int) -> [UInt8]? {
        struct TooLarge: Error {}
        var bytes: [UInt8] = []
        do {
            try PlanJSON.write(self, chunkSize: min(1 << 20, max(1, limit))) { (chunk) throws(TooLarge) in
                guard bytes.count + chunk.count <= limit else { throw TooLarge() }
                bytes.append(contentsOf: chunk)
            }
        } catch {
            return nil
        }
        return bytes
    }
}

extension ScriptWriter {
    /// A lower bound of the size of `plan`'s `plan.json`, from its jobs alone: each job's entry holds at least its
    /// id, its host's name, its dependencies' ids (quoted) and 80 bytes of keys and values
    /// (`{"id":"","host":"","slot":0,"order":0,"cost":0,"est_start":0,"est_end":0,"deps":[]}` is 83). Far cheaper
    /// than the document or a ``ScriptWriter``: a run checks it before making the plan's document to keep in redis.
    public static func planJSONMinimumBytes(_ plan: Plan) -> Int {
        let hostNames = plan.cluster.hosts.map(\.name.utf8.count)
        var total = 0
        for (index, job) in plan.graph.jobs.enumerated() {
            total += 80 + job.id.utf8.count + hostNames[plan.slots[Int(plan.placements[index].slot)].host]
            for dep in job.deps { total += dep.utf8.count + 2 }
        }
        return total
    }
}
