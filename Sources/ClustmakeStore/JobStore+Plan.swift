import ClustmakeRedis

extension JobStore {
    /// The largest plan document kept in redis: a plan of about 100,000 jobs. Larger plans stay in their plan
    /// directory (`clustmake stats --plan DIR`).
    public static let maximumPlanBytes = 64 << 20

    /// Keeps the plan a run follows (plan.json's bytes, docs/plan-directory.md) with the namespace, so that the
    /// collector compares the run with it without a plan directory; `nil` (a plan larger than
    /// ``maximumPlanBytes``) removes the previous run's plan instead, which this run does not follow.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, a document larger than
    ///   ``maximumPlanBytes``, or when redis fails.
    public func storePlan(_ document: [UInt8]?) throws(StoreError) {
        try checkSchema()
        guard let document else {
            _ = try command(["DEL", RedisArgument(keys.plan)], "removing the previous run's plan")
            return
        }
        guard document.count <= Self.maximumPlanBytes else {
            throw StoreError(
                .invalidArgument,
                "the plan has \(document.count) bytes; redis keeps at most \(Self.maximumPlanBytes) of it")
        }
        _ = try command(["SET", RedisArgument(keys.plan), RedisArgument(document)], "keeping the run's plan")
    }

    /// The plan the last `clustmake run` of the namespace followed (plan.json's bytes), or `nil`.
    /// - Throws: ``StoreError`` for an unknown namespace, another schema, or when redis fails.
    public func plan() throws(StoreError) -> [UInt8]? {
        try checkSchema()
        return try command(["GET", RedisArgument(keys.plan)], "reading the run's plan").bytes
    }

    /// Where ``plan()`` reads from, for messages.
    public var planKey: String { keys.plan }
}
