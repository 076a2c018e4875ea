import ClustmakeJSON
public import ClustmakeModel
import ClustmakeRedis

extension JobStore {
    /// Records where the namespace's plan was handed off (``HandOff``), replacing an earlier record.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func recordHandOff(_ handOff: HandOff) throws(StoreError) {
        try checkSchema()
        var fields: [RedisArgument] = [
            "target", RedisArgument(handOff.target.rawValue), "submitted", RedisArgument(handOff.submitted.iso8601),
            "plan", RedisArgument(handOff.planDirectory), "ids",
            RedisArgument(JSONValue.array(handOff.ids.map { .string($0) }).serialized()),
        ]
        if let block = handOff.cronBlock { fields += ["cron_block", RedisArgument(block)] }
        _ = try pipeline(
            [
                ["MULTI"], ["DEL", RedisArgument(keys.handOff)], ["HSET", RedisArgument(keys.handOff)] + fields,
                ["EXEC"],
            ],
            "recording the hand-off")
    }

    /// Where the namespace's plan was handed off, or `nil` when it was not (or the record was cleared).
    /// - Throws: ``StoreError``: ``StoreError/Code/corruptRecord`` naming the key and field of a record that is
    ///   not one clustmake writes; otherwise for an unknown namespace, another schema, or when redis fails.
    public func handOff() throws(StoreError) -> HandOff? {
        try checkSchema()
        let fields = try hash(keys.handOff, "reading the hand-off")
        if fields.isEmpty { return nil }
        let key = keys.handOff
        func corrupt(_ field: String, _ problem: String) -> StoreError {
            StoreError(
                .corruptRecord,
                "the hand-off record \(key) has \(problem) in field '\(field)'; "
                    + "clear it with clustmake cancel --namespace \(namespace), or redis-cli DEL \(key)")
        }
        guard let text = fields["target"], let target = HandOff.Target(rawValue: text) else {
            throw corrupt("target", fields["target"].map { "the unknown target '\($0)'" } ?? "no value")
        }
        guard let submitted = fields["submitted"].flatMap({ UTCTime(iso8601: $0) }) else {
            throw corrupt("submitted", "no UTC time")
        }
        guard let plan = fields["plan"], plan.hasPrefix("/") else {
            throw corrupt("plan", "no absolute directory")
        }
        guard let idsText = fields["ids"], case .array(let values)? = try? JSONValue.parse(idsText),
            let ids = Optional(values.compactMap(\.stringValue)), ids.count == values.count
        else {
            throw corrupt("ids", "no JSON array of strings")
        }
        let block = fields["cron_block"]
        if target == .cron && block == nil { throw corrupt("cron_block", "no value for a cron hand-off") }
        return HandOff(target: target, submitted: submitted, planDirectory: plan, ids: ids, cronBlock: block)
    }

    /// Removes the hand-off record; nothing happens when there is none.
    /// - Throws: ``StoreError`` when redis fails.
    public func clearHandOff() throws(StoreError) {
        _ = try command(["DEL", RedisArgument(keys.handOff)], "clearing the hand-off")
    }

    /// Where ``handOff()`` reads from, for messages.
    public var handOffKey: String { keys.handOff }
}
