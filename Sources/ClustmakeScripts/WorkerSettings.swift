/// What every job line of one run tells its worker, with nothing left to default.
public struct WorkerSettings: Sendable, Hashable {
    /// The namespace (`--slave NS`).
    public var namespace: String
    /// redis as seen from the machine that runs the scripts.
    public var redis: RedisAddress
    /// `more=True` rather than `more=False`.
    public var more: Bool
    /// `wait=SECONDS`.
    public var waitSeconds: Int

    public init(namespace: String, redis: RedisAddress = .default, more: Bool = false, waitSeconds: Int = 86_400) {
        self.namespace = namespace
        self.redis = redis
        self.more = more
        self.waitSeconds = waitSeconds
    }
}
