import ClustmakeHosts
import ClustmakeModel
import ClustmakeRedis
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where redis is and how to log in: the one rule every command follows (plan, run, push, status, stats, results,
/// logs, report, hosts check), documented in docs/hosts.md ("Where redis is").
///
/// The address is the first of:
/// 1. `--redis URL`;
/// 2. the cluster file's `redis: url:`;
/// 3. `localhost:6379` when only `--redis-password-file` was given (a password means a server of your own);
/// 4. this directory's embedded redis (`.clustmake/redis`), started if it does not run (it stops itself when idle):
///    by the commands that write (run, push, plan, hosts check) always; by the commands that read (status, stats,
///    results, logs, report, `plan --print`'s learned costs) when it was ever started here, and `localhost:6379` otherwise
///    (there would be nothing to read). A command that uses it holds it until it exits, so the idle stop waits;
/// 5. `localhost:6379`.
///
/// The password, for an address from 1 to 3 or 5, is the first of: `--redis-password-file`; a password in
/// `--redis` (both at once is an error); the cluster file's `redis: password_file:`; a password in the cluster
/// file's url; the `REDISCLI_AUTH` environment variable. The embedded redis has its own password file and takes none
/// of these.
struct RedisResolver {
    /// Where the address comes from.
    enum Source: Sendable, Equatable {
        /// `--redis`.
        case option
        /// The cluster file's `redis: url:`.
        case clusterFile
        /// `localhost:6379`, because only a password was given.
        case passwordOnly
        /// This directory's embedded redis, or `localhost:6379` where a reader finds none.
        case embedded
    }

    /// What a command does with the embedded redis when the rule comes to it.
    enum EmbeddedUse: Sendable {
        /// Start it if it does not run (run, push, hosts check).
        case start
        /// Start and use it if it was ever started here (its password file exists), else `localhost:6379` (the
        /// commands that only read).
        case ifPresent
        /// Name it, running or not, and start nothing (`plan --no-push`: its scripts start it).
        case locate
    }

    /// Where a command connects, and what it writes into job lines.
    struct Target: Sendable {
        /// The endpoint to connect to, with its password.
        var endpoint: RedisEndpoint
        /// The address job lines name (never a password).
        var address: RedisAddress
        /// Where it came from.
        var source: Source
        /// The embedded redis's password file, when the target is the embedded redis (local workers read it).
        var embeddedPasswordFile: String?
        /// The embedded redis's state directory (absolute; `clustmake redis start --state-dir DIR` starts it), when
        /// the target is the embedded redis.
        var embeddedStateDirectory: String?
        /// The file on this machine the password came from (the embedded redis's, `--redis-password-file`, the
        /// cluster file's `password_file`), absolute; `nil` for a password from a URL or `REDISCLI_AUTH`, or none:
        /// a plan's job lines read it as their standard input.
        var passwordFile: String?

        /// Whether it is this directory's embedded redis.
        var isEmbedded: Bool { embeddedPasswordFile != nil }
    }

    /// `--redis`.
    var url: String?
    /// `--redis-password-file`.
    var passwordFile: String?
    /// The cluster file's redis settings (empty without a cluster file).
    var cluster: Cluster.Redis
    /// The cluster file, for messages about its settings.
    var clusterFile: String?
    /// Reads an environment variable (the process's by default; tests pass their own).
    var environment: (String) -> String?

    /// A resolver for the command line's options and the cluster file's settings.
    init(
        _ options: RedisOptions, cluster: Cluster.Redis = Cluster.Redis(), clusterFile: String? = nil,
        environment: @escaping (String) -> String? = RedisResolver.processEnvironment
    ) {
        self.init(
            url: options.redis, passwordFile: options.redisPasswordFile, cluster: cluster, clusterFile: clusterFile,
            environment: environment)
    }

    init(
        url: String?, passwordFile: String?, cluster: Cluster.Redis, clusterFile: String? = nil,
        environment: @escaping (String) -> String? = RedisResolver.processEnvironment
    ) {
        self.url = url
        self.passwordFile = passwordFile
        self.cluster = cluster
        self.clusterFile = clusterFile
        self.environment = environment
    }

    /// This process's environment.
    static let processEnvironment: @Sendable (String) -> String? = { name in getenv(name).map { String(cString: $0) } }

    /// The address `localhost:6379`, as a URL.
    static let defaultURL = "localhost:6379"

    /// Where the address comes from (rules 1 to 4; the embedded redis may still turn into `localhost:6379`).
    var source: Source {
        if url != nil { return .option }
        if cluster.url != nil { return .clusterFile }
        if passwordFile != nil { return .passwordOnly }
        return .embedded
    }

    /// The endpoint of the configured server (rules 1 to 3, or 5 in place of the embedded redis), with its password.
    /// - Throws: ``ClustmakeModel/InputError`` naming the option, for an address that does not parse, a password
    ///   file that cannot be read or that others may read, or both a password file and a password in `--redis`.
    func configuredEndpoint() throws(InputError) -> RedisEndpoint { try configuredLogin().endpoint }

    /// ``configuredEndpoint()``, and the file its password came from (`nil` for none, or a password from a URL or
    /// `REDISCLI_AUTH`).
    func configuredLogin() throws(InputError) -> (endpoint: RedisEndpoint, passwordFile: String?) {
        var endpoint: RedisEndpoint
        do {
            endpoint = try RedisEndpoint(parsing: url ?? cluster.url ?? Self.defaultURL)
        } catch {
            throw located(
                InputError(
                    .invalidValue, error.message, fix: "Write it as one of: \(RedisEndpoint.acceptedForms)."))
        }
        if let passwordFile {
            if url != nil && endpoint.password != nil {
                throw InputError(
                    .invalidValue, "--redis has a password and --redis-password-file gives another.",
                    fix: "Keep the password in the file only (it then stays off the command line).",
                    subject: "--redis-password-file")
            }
            return (
                endpoint.withPassword(try Self.readPassword(passwordFile, subject: "--redis-password-file")),
                try Self.absolute(passwordFile, subject: "--redis-password-file")
            )
        }
        if url != nil && endpoint.password != nil { return (endpoint, nil) }
        if let file = cluster.passwordFile {
            return (
                endpoint.withPassword(try Self.readPassword(file, subject: "redis password_file")),
                try Self.absolute(file, subject: "redis password_file")
            )
        }
        if endpoint.password != nil { return (endpoint, nil) }
        if let value = environment(RedisOptions.passwordVariable), !value.isEmpty {
            return (endpoint.withPassword(value), nil)
        }
        return (endpoint, nil)
    }

    /// Where the command connects.
    /// - Parameter embedded: What to do when the rule comes to the embedded redis.
    /// - Returns: The endpoint and the address job lines name.
    /// - Throws: ``ClustmakeModel/InputError`` (see ``configuredEndpoint()``), ``CommandFailure`` (status 1) when
    ///   the embedded redis cannot be started.
    func resolve(embedded: EmbeddedUse) async throws -> Target {
        guard source == .embedded else { return try configuredTarget() }
        let local: LocalRedis
        do {
            local = try LocalRedis(idleStop: try RedisCommand.idleStop(option: nil, environment: environment))
        } catch let error as HostsError {
            throw CommandFailure(status: 1, "cannot use the embedded redis: \(error)")
        }
        if embedded == .locate {
            return Self.embeddedTarget(local, endpoint: RedisEndpoint(unixSocket: local.socketPath, password: nil))
        }
        // Its password file exists once it was started here; a reader needs no server started to read nothing.
        if embedded == .ifPresent && (try? local.endpoint()) == nil { return try configuredTarget() }
        do {
            try await Self.hold(local)
            let running = try await local.ensureRunning()
            return Self.embeddedTarget(local, endpoint: running.endpoint)
        } catch {
            throw CommandFailure(
                status: 1,
                "cannot start the embedded redis of this directory (\(local.directory)): \(error) "
                    + "Start it by hand with `clustmake redis start` once that is fixed, or pass --redis URL.")
        }
    }

    /// The holds this process keeps on embedded redis servers until it exits (``ClustmakeHosts/LocalRedis/hold()``):
    /// the idle stop never stops a server while a command that resolved it runs.
    private static let holds = Mutex<[String: LocalRedis.Hold]>([:])

    /// Holds `local` for the rest of this process, once.
    private static func hold(_ local: LocalRedis) async throws(HostsError) {
        if holds.withLock({ $0[local.directory] != nil }) { return }
        let hold = try await local.hold()
        holds.withLock { $0[local.directory] = hold }
    }

    private static func embeddedTarget(_ local: LocalRedis, endpoint: RedisEndpoint) -> Target {
        // LocalRedis keeps its server in STATE/redis.
        var state = local.directory
        if state.hasSuffix("/redis") { state.removeLast("/redis".count) }
        return Target(
            endpoint: endpoint, address: .unix(path: local.socketPath), source: .embedded,
            embeddedPasswordFile: local.passwordFile, embeddedStateDirectory: state, passwordFile: local.passwordFile)
    }

    private func configuredTarget() throws(InputError) -> Target {
        let (endpoint, passwordFile) = try configuredLogin()
        let address: RedisAddress
        switch source {
        case .option, .clusterFile: address = try parsedAddress()
        case .passwordOnly, .embedded: address = .default
        }
        return Target(
            endpoint: endpoint, address: address, source: source, embeddedPasswordFile: nil,
            embeddedStateDirectory: nil, passwordFile: passwordFile)
    }

    private func parsedAddress() throws(InputError) -> RedisAddress {
        do {
            return try RedisAddress(parsing: url ?? cluster.url ?? Self.defaultURL)
        } catch {
            throw located(error)
        }
    }

    /// `error` about the address, naming where the address came from.
    private func located(_ error: InputError) -> InputError {
        var located = error
        if url != nil {
            located.subject = "--redis"
        } else {
            located.subject = "redis url"
            if cluster.url != nil, let clusterFile { located.file = clusterFile }
        }
        return located
    }

    /// `path` made absolute, as the job lines of a plan name it (its scripts may run from another directory).
    private static func absolute(_ path: String, subject: String) throws(InputError) -> String {
        do { return try FileSystem.absolute(path) } catch {
            throw InputError(.unreadable, error.description + ".", subject: subject)
        }
    }

    /// The password file the workers on SLURM nodes read (`--redis_password_file`), for `target`: the embedded
    /// redis's, else `--redis-password-file` or the cluster file's `redis: password_file`, made absolute (the
    /// nodes run in another directory); `nil` for a redis without a password.
    /// - Throws: ``ClustmakeModel/InputError`` when redis has a password from anywhere else (`--redis`, the url,
    ///   `REDISCLI_AUTH`): the nodes could not read it.
    func nodePasswordFile(_ target: Target) throws(InputError) -> String? {
        if let file = target.passwordFile { return file }
        guard target.endpoint.password == nil else {
            throw InputError(
                .invalidValue,
                "redis has a password that is not in a file, and the workers on the SLURM nodes could not read it.",
                fix: "Put it in a file (mode 0600) on a file system the nodes share and name it with "
                    + "--redis-password-file or the cluster file's redis: password_file.", subject: "--target slurm")
        }
        return nil
    }

    private static func readPassword(_ path: String, subject: String) throws(InputError) -> String {
        do {
            return try RedisPasswordFile.read(path)
        } catch {
            throw InputError(.unreadable, error.message + ".", subject: subject)
        }
    }
}
