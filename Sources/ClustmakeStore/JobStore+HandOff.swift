import ClustmakeJSON
public import ClustmakeModel
import ClustmakeRedis

extension JobStore {
    /// Records where the namespace's plan was handed (`clustmake submit`), replacing an earlier record.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func recordHandOff(_ handOff: HandOff) throws(StoreError) {
        try checkSchema()
        var ids = JSONWriter()
        ids.beginArray()
        for id in handOff.ids { ids.string(id) }
        ids.endArray()
        var arguments: [RedisArgument] = [
            "HSET", RedisArgument(keys.handOff), "target", RedisArgument(handOff.target.rawValue), "submitted",
            RedisArgument(handOff.submitted.iso8601), "plan", RedisArgument(handOff.planDirectory), "ids",
            RedisArgument(ids.takeBytes()),
        ]
        if let block = handOff.cronBlock { arguments += ["cron_block", RedisArgument(block)] }
        // One transaction: a reader never sees half a record, nor fields left from an earlier one.
        let replies: [RedisReply]
        do {
            replies = try connection.pipeline([["MULTI"], ["DEL", RedisArgument(keys.handOff)], arguments, ["EXEC"]])
        } catch {
            throw StoreError.wrapping(error, "recording the hand-off")
        }
        if let failure = replies.first(where: { $0.isError }) {
            throw StoreError(.redis, "redis refused the hand-off record \(keys.handOff): \(failure.errorMessage ?? "")")
        }
    }

    /// Where the namespace's plan was handed, or `nil` when it was not (or the record was cleared).
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, when redis fails, and
    ///   ``StoreError/Code/corruptRecord`` naming the key for a record that does not decode.
    public func handOff() throws(StoreError) -> HandOff? {
        try checkSchema()
        let fields = try hash(keys.handOff, "reading the hand-off")
        if fields.isEmpty { return nil }
        func corrupt(_ what: String) -> StoreError {
            StoreError(
                .corruptRecord,
                "the hand-off record \(keys.handOff) \(what); clear it with clustmake cancel or redis-cli DEL")
        }
        guard let target = fields["target"].flatMap(HandOff.Target.init(rawValue:)) else {
            throw corrupt("has no known target")
        }
        guard let submitted = fields["submitted"].flatMap(UTCTime.init(iso8601:)) else {
            throw corrupt("has no readable submission time")
        }
        guard let plan = fields["plan"], !plan.isEmpty else { throw corrupt("names no plan directory") }
        guard let text = fields["ids"], let value = try? JSONValue.parse(Array(text.utf8)),
            let array = value.arrayValue
        else { throw corrupt("has no JSON array of ids") }
        var ids: [String] = []
        for element in array {
            guard let id = element.stringValue else { throw corrupt("holds an id that is not a string") }
            ids.append(id)
        }
        return HandOff(
            target: target, submitted: submitted, planDirectory: plan, ids: ids, cronBlock: fields["cron_block"])
    }

    /// Removes the hand-off record (nothing happens when there is none).
    /// - Throws: ``StoreError`` when redis fails.
    public func clearHandOff() throws(StoreError) {
        _ = try command(["DEL", RedisArgument(keys.handOff)], "clearing the hand-off")
    }
}
