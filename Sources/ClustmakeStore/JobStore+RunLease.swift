import ClustmakeRedis

/// The run lease (``RunLeaseHolder``): one `clustmake run` of a namespace at a time, whatever machine it runs on.
extension JobStore {
    /// Takes the namespace's run lease (the namespace need not exist yet): a token unique to the run, who holds it,
    /// and an expiry on redis's clock.
    /// - Parameters:
    ///   - token: Unique to this run.
    ///   - ttl: How long the lease lasts unless renewed.
    ///   - holder: Who holds it.
    ///   - takingOver: The token of a lease whose run is known to be gone (its process no longer runs on this
    ///     machine), taken over although it has not expired; `nil`: only an expired lease is taken over.
    /// - Throws: ``StoreError`` when redis fails.
    public func claimRunLease(
        token: String, ttl: Duration, holder: RunLeaseHolder, takingOver: String? = nil
    ) throws(StoreError) -> RunLeaseClaim {
        let reply = try runLeaseScript(
            StoreScripts.claimRunLease,
            [RedisArgument(token), RedisArgument(Self.milliseconds(ttl)), RedisArgument(takingOver ?? "")]
                + holder.fields.map { RedisArgument($0) }, "taking the run lease")
        let parts = try strings(reply, "the reply to taking the run lease")
        guard parts.count >= 2, let milliseconds = Int64(parts[1]) else {
            throw StoreError(.redis, "unexpected reply to taking the run lease: \(reply)")
        }
        let fields = Dictionary(
            stride(from: 2, to: parts.count - 1, by: 2).map { (parts[$0], parts[$0 + 1]) }, uniquingKeysWith: { $1 })
        if parts[0] == "held" {
            return .held(
                by: RunLeaseHolder(fields: fields), token: fields["token"] ?? "",
                remaining: .milliseconds(max(0, milliseconds)))
        }
        return .claimed(
            replaced: fields.isEmpty ? nil : RunLeaseHolder(fields: fields),
            expiredFor: milliseconds >= 0 ? .milliseconds(milliseconds) : nil)
    }

    /// Renews the run lease (or takes it again if redis lost it); the arguments as
    /// ``claimRunLease(token:ttl:holder:takingOver:)``.
    /// - Returns: `nil` when it is still this run's, else who holds it now.
    /// - Throws: ``StoreError`` when redis fails.
    public func renewRunLease(token: String, ttl: Duration, holder: RunLeaseHolder) throws(StoreError)
        -> RunLeaseHolder?
    {
        let reply = try runLeaseScript(
            StoreScripts.renewRunLease,
            [RedisArgument(token), RedisArgument(Self.milliseconds(ttl))]
                + holder.fields.map { RedisArgument($0) }, "renewing the run lease")
        guard let parts = reply.array, let first = parts.first?.integer else {
            throw StoreError(.redis, "unexpected reply to renewing the run lease: \(reply)")
        }
        if first == 1 { return nil }
        let rest = try strings(.array(Array(parts.dropFirst())), "the holder of the run lease")
        return RunLeaseHolder(
            fields: Dictionary(
                stride(from: 0, to: rest.count - 1, by: 2).map { (rest[$0], rest[$0 + 1]) },
                uniquingKeysWith: { $1 }))
    }

    /// Lets the run lease go, if it is still the one of `token`.
    /// - Throws: ``StoreError`` when redis fails.
    public func releaseRunLease(token: String) throws(StoreError) {
        _ = try runLeaseScript(StoreScripts.releaseRunLease, [RedisArgument(token)], "letting the run lease go")
    }

    private func runLeaseScript(_ script: String, _ arguments: [RedisArgument], _ doing: String) throws(StoreError)
        -> RedisReply
    {
        try command(["EVAL", RedisArgument(script), "1", RedisArgument(keys.run)] + arguments, doing)
    }
}
