public import ArgumentParser
import ClustmakeModel
public import ClustmakeRedis
import ClustmakeStore

#if canImport(Glibc)
    import Glibc
#endif

/// Where clustmake's redis is and how to log in, for every command that connects to it.
///
/// `--redis redis://[user:password@]host:port/db` or `unix:///path/to/socket`; the password may instead come from
/// `--redis-password-file FILE` (a file only you can read: mode 0600) or the `REDISCLI_AUTH` environment variable,
/// so it never needs to be on a command line.
public struct RedisOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The redis server: redis://[user:password@]host:port/db or unix:///path/to/socket. "
                + "Default: the cluster file's redis url; else (but for push) this directory's embedded redis, which "
                + "run starts (clustmake redis); else localhost:6379.",
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

    /// The endpoint to connect to.
    ///
    /// The address is `--redis`, else `defaultURL` (a cluster file's `redis: url:`), else `localhost:6379`. The
    /// password is the first of: `--redis-password-file`, a password in the `--redis` URL, `defaultPasswordFile`
    /// (a cluster file's `redis: password_file:`), a password in `defaultURL`, `REDISCLI_AUTH`.
    /// - Parameters:
    ///   - defaultURL: The address to use without `--redis`.
    ///   - defaultPasswordFile: A password file to use without `--redis-password-file`.
    ///   - environment: Reads an environment variable (the process's by default; tests pass their own).
    /// - Returns: The endpoint, with its password.
    /// - Throws: ``ClustmakeModel/InputError`` naming the option, for an address that does not parse, a password
    ///   file that cannot be read or that others may read, or both a password file and a password in the URL.
    public func endpoint(
        default defaultURL: String?, defaultPasswordFile: String? = nil,
        environment: (String) -> String? = { name in getenv(name).map { String(cString: $0) } }
    ) throws -> RedisEndpoint {
        let subject = redis != nil ? "--redis" : "redis url"
        var endpoint: RedisEndpoint
        do {
            endpoint = try RedisEndpoint(parsing: redis ?? defaultURL ?? "localhost:6379")
        } catch {
            throw InputError(
                .invalidValue, error.message, fix: "Write it as one of: \(RedisEndpoint.acceptedForms).",
                subject: subject)
        }
        if let path = redisPasswordFile {
            if redis != nil && endpoint.password != nil {
                throw InputError(
                    .invalidValue, "--redis has a password and --redis-password-file gives another.",
                    fix: "Keep the password in the file only (it then stays off the command line).",
                    subject: "--redis-password-file")
            }
            return endpoint.withPassword(try Self.readPassword(path, subject: "--redis-password-file"))
        }
        if redis != nil && endpoint.password != nil { return endpoint }
        if let path = defaultPasswordFile {
            return endpoint.withPassword(try Self.readPassword(path, subject: "redis password_file"))
        }
        if endpoint.password != nil { return endpoint }
        if let value = environment(Self.passwordVariable), !value.isEmpty {
            return endpoint.withPassword(value)
        }
        return endpoint
    }

    private static func readPassword(_ path: String, subject: String) throws(InputError) -> String {
        do {
            return try RedisPasswordFile.read(path)
        } catch {
            throw InputError(.unreadable, error.message + ".", subject: subject)
        }
    }
}
