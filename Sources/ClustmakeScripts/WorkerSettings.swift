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
    /// The file on the machine that runs a plan's scripts that holds the redis password (the embedded redis's,
    /// `--redis-password-file`, the cluster file's `password_file`), or `nil`. Every job line of the scripts, local
    /// or remote, reads it as its standard input (` <FILE`) and its worker reads the password from there
    /// (``JobLine/passwordOnStdinOption``). The password itself never appears in a line.
    public var passwordFile: String?
    /// The redis ACL user the workers log in as (`--redis_user=NAME`), `nil` for the default user.
    public var redisUser: String?

    public init(
        namespace: String, redis: RedisAddress = .default, more: Bool = false, waitSeconds: Int = 86_400,
        passwordFile: String? = nil, redisUser: String? = nil
    ) {
        self.namespace = namespace
        self.redis = redis
        self.more = more
        self.waitSeconds = waitSeconds
        self.passwordFile = passwordFile
        self.redisUser = redisUser
    }
}
