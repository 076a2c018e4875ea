import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore

#if canImport(Glibc)
    import Glibc
#endif

/// Where the worker's redis is and how it logs in, from `--redis_host`, `--redis_user` and the password sources
/// of docs/worker.md, in this order: `--redis_password_file`, `--redis_password_stdin`, `REDISCLI_AUTH`,
/// `$CLUSTMAKE_REDIS_PASSWORD_FILE`, `~/.config/clustmake/redis-password` (`$XDG_CONFIG_HOME` if set) when it
/// exists. A password never comes from the command line: a `--redis_host` URL holding one is refused.
enum WorkerEndpoint {
    /// The default password file, relative to the configuration directory.
    static let defaultPasswordFile = "clustmake/redis-password"

    static func resolve(_ arguments: WorkerArguments) throws(WorkerError) -> RedisEndpoint {
        var endpoint: RedisEndpoint
        let host = arguments.redisHost
        if host.hasPrefix("unix:") && !host.hasPrefix("unix:/") {
            throw WorkerError(
                WorkerExitStatus.badArguments,
                "--redis_host=\(host): the socket path must be absolute (unix:/path/to/redis.sock)")
        }
        // The one parser of redis addresses: `unix:/path?db=N` and `redis://host:port/N` carry a database, which
        // every connection of the worker selects.
        do {
            endpoint = try RedisEndpoint(parsing: host)
        } catch {
            throw WorkerError(WorkerExitStatus.badArguments, "--redis_host: \(error.message)")
        }
        if endpoint.password != nil {
            throw WorkerError(
                WorkerExitStatus.badArguments,
                "--redis_host must not hold a password (it would show in ps on this host): put it in a file "
                    + "readable only by you and pass --redis_password_file=FILE, or see docs/worker.md")
        }
        if let user = arguments.redisUser { endpoint.username = user }
        return endpoint.withPassword(try password(arguments))
    }

    static func password(_ arguments: WorkerArguments) throws(WorkerError) -> String? {
        func fromFile(_ path: String) throws(WorkerError) -> String {
            do { return try RedisPasswordFile.read(path) } catch {
                throw WorkerError(WorkerExitStatus.badArguments, error.message)
            }
        }
        if let path = arguments.passwordFile { return try fromFile(path) }
        if arguments.passwordFromStdin { return try readStandardInput() }
        if let value = environment("REDISCLI_AUTH"), !value.isEmpty { return value }
        if let path = environment("CLUSTMAKE_REDIS_PASSWORD_FILE"), !path.isEmpty { return try fromFile(path) }
        let base =
            environment("XDG_CONFIG_HOME").flatMap { $0.isEmpty ? nil : $0 }
            ?? environment("HOME").map { $0 + "/.config" }
        if let base {
            let path = base + "/" + defaultPasswordFile
            var info = stat()
            if stat(path, &info) == 0 { return try fromFile(path) }
        }
        return nil
    }

    /// The first line of standard input (the executor writes the password there, over the ssh session). Read a
    /// byte at a time, so that nothing after the line is taken: a streamed session's job ids follow it.
    static func readStandardInput() throws(WorkerError) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count <= 4096 && bytes.last != UInt8(ascii: "\n") {
            let count = read(0, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes.append(byte)
        }
        do {
            return try RedisPasswordFile.firstLine(bytes, source: "the password line on standard input")
        } catch {
            throw WorkerError(WorkerExitStatus.badArguments, "--redis_password_stdin: \(error.message)")
        }
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
