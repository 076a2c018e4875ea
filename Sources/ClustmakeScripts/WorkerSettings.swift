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
    /// The redis password file on the machine that runs the job lines (clustmake's embedded redis has one), or
    /// `nil`: a local worker is told it (`--redis_password_file=FILE`); a remote one gets its contents on standard
    /// input (``JobLine/passwordOnStdinOption``). The password itself never appears in a line.
    public var passwordFile: String?

    public init(
        namespace: String, redis: RedisAddress = .default, more: Bool = false, waitSeconds: Int = 86_400,
        passwordFile: String? = nil
    ) {
        self.namespace = namespace
        self.redis = redis
        self.more = more
        self.waitSeconds = waitSeconds
        self.passwordFile = passwordFile
    }
}
