public import ArgumentParser
import ClustmakeModel
public import ClustmakeRedis

#if canImport(Glibc)
    import Glibc
#endif

/// Where clustmake's redis is and how to log in, for every command that connects to it.
///
/// `--redis redis://[user:password@]host:port/db` or `unix:///path/to/socket`; the password may instead come from
/// `--redis-password-file FILE` (a file only you can read: mode 0600) or the `REDISCLI_AUTH` environment variable,
/// so it never needs to be on a command line. ``RedisResolver`` turns them into an endpoint, by the one rule every
/// command follows.
public struct RedisOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The redis server: redis://[user:password@]host:port/db or unix:///path/to/socket. "
                + "Default: the cluster file's redis url; else this directory's embedded redis (clustmake redis), "
                + "which run, push, plan and hosts check start; else localhost:6379 (docs/hosts.md).",
            valueName: "url"))
    public var redis: String?

    @Option(
        help: ArgumentHelp(
            "Read the redis password from this file (mode 0600) instead of the URL or REDISCLI_AUTH.",
            valueName: "file"))
    public var redisPasswordFile: String?

    public init() {}

    /// The environment variable redis-cli reads its password from, read here too.
    public static let passwordVariable = "REDISCLI_AUTH"

    /// The endpoint of the configured server, by ``RedisResolver``'s rule (``RedisResolver/configuredEndpoint()``),
    /// with `defaultURL` and `defaultPasswordFile` as a cluster file's `redis: url:` and `password_file:`.
    /// - Parameters:
    ///   - defaultURL: The address to use without `--redis`.
    ///   - defaultPasswordFile: A password file to use without `--redis-password-file`.
    ///   - environment: Reads an environment variable (the process's by default; tests pass their own).
    /// - Returns: The endpoint, with its password.
    /// - Throws: ``ClustmakeModel/InputError`` naming the option, for an address that does not parse, a password
    ///   file that cannot be read or that others may read, or both a password file and a password in the URL.
    public func endpoint(
        default defaultURL: String?, defaultPasswordFile: String? = nil,
        environment: @escaping (String) -> String? = { name in getenv(name).map { String(cString: $0) } }
    ) throws -> RedisEndpoint {
        try RedisResolver(
            self, cluster: Cluster.Redis(url: defaultURL, passwordFile: defaultPasswordFile), environment: environment
        ).configuredEndpoint()
    }
}

/// `--cluster FILE` for the commands that take only a cluster file's redis settings (`url`, `password_file`) from
/// it: `push`, `runs`, `cancel` and the collector's commands.
struct ClusterRedisOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A cluster file whose redis settings (url, password_file) are the defaults.", valueName: "file"))
    var cluster: String?
}
