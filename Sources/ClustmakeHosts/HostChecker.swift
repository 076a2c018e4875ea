public import ClustmakeModel
public import ClustmakeRedis
import ClustmakeScripts
import ClustmakeSystem

/// Checks hosts before jobs run there: ssh, the worker and its version, the reverse tunnel to redis, the nice
/// level, free disk. Every host of a cluster is checked at once, each in one ssh session (docs/hosts.md).
///
/// ```swift
/// let checker = try HostChecker(redis: endpoint)
/// let checks = await checker.check(cluster)
/// for check in checks where !check.passed { print("\(check.host.name) left out: \(check.reason!)") }
/// let runnable = HostCheck.usableCluster(cluster, checks: checks)
/// ```
///
/// The redis check runs the host's worker exactly as a job line does (`nice -n N WORKER --redis_host=localhost:PORT`
/// through `-R PORT:REDIS`, with every slot's tunnel port forwarded), against a namespace that does not exist: the
/// worker's exit status 120 ("unknown namespace") proves that it reached redis and logged in. The password, if any,
/// travels as the first line of the session's standard input (`--redis_password_stdin`), never on a command line.
public struct HostChecker: Sendable {
    /// How hosts are checked.
    public struct Options: Sendable {
        /// How the ssh sessions are opened.
        public var ssh: SSHSettings
        /// How long one host's whole check may take, connecting included, before it is stopped and the host
        /// reported unreachable.
        public var timeout: Duration
        /// The least free space the directory jobs start in must have.
        public var minimumFreeBytes: Int64
        /// How many hosts are checked at the same time.
        public var concurrency: Int
        /// How long the worker keeps trying to reach redis (`--redis_retry`), in seconds.
        public var redisRetrySeconds: Int

        /// The default least free space: 1 GiB.
        public static let defaultMinimumFreeBytes: Int64 = 1 << 30

        public init(
            ssh: SSHSettings = SSHSettings(), timeout: Duration = .seconds(40),
            minimumFreeBytes: Int64 = Options.defaultMinimumFreeBytes, concurrency: Int = 32, redisRetrySeconds: Int = 2
        ) {
            self.ssh = ssh
            self.timeout = timeout
            self.minimumFreeBytes = minimumFreeBytes
            self.concurrency = max(1, concurrency)
            self.redisRetrySeconds = max(1, redisRetrySeconds)
        }
    }

    /// redis as seen from this machine (the target of the tunnels), or `nil` to leave the redis check out.
    public let redis: RedisEndpoint?
    /// How hosts are checked.
    public let options: Options
    /// The version a worker must have: this clustmake's.
    public let version: String
    private let address: RedisAddress?

    /// Creates a checker.
    /// - Parameters:
    ///   - redis: redis as seen from this machine, with its password; `nil` skips the redis check (as
    ///     `clustmake hosts install` does).
    ///   - options: How hosts are checked.
    ///   - version: The worker version hosts must have (this clustmake's by default).
    /// - Throws: ``HostsError`` (``HostsError/Code/invalidRedis``) for a redis address job lines cannot carry: a
    ///   socket path with ':'.
    public init(redis: RedisEndpoint?, options: Options = Options(), version: String = ClustmakeVersion.current)
        throws(HostsError)
    {
        self.redis = redis
        self.options = options
        self.version = version
        guard let redis else {
            address = nil
            return
        }
        do {
            address = try RedisAddress(parsing: redis.withPassword(nil).url())
        } catch {
            throw HostsError(.invalidRedis, error.message, fix: error.fix)
        }
    }

    /// Checks every host of `cluster` at once (at most ``Options/concurrency`` at a time).
    /// - Parameter cluster: The cluster.
    /// - Returns: One check per host, in the cluster's order.
    public func check(_ cluster: Cluster) async -> [HostCheck] {
        await check(cluster.hosts)
    }

    /// Checks `hosts` at once (at most ``Options/concurrency`` at a time).
    /// - Parameter hosts: The hosts.
    /// - Returns: One check per host, in the same order.
    public func check(_ hosts: [Host]) async -> [HostCheck] {
        await hosts.concurrentMap(limit: options.concurrency) { host in await check(host) }
    }

    /// The `-R` arguments of a check of `host`: every slot's tunnel, as its job lines open it (none for a local
    /// host, or without redis).
    func forwards(for host: Host) -> [String] {
        guard let address, !host.isLocal else { return [] }
        return (0..<host.processors).map { RemoteShell.tunnel(host: host, instance: $0, redis: address) }
    }

    /// Checks one host.
    /// - Parameter host: The host.
    /// - Returns: Its findings; never throws: a host that cannot be checked fails the ssh check with the reason.
    public func check(_ host: Host) async -> HostCheck {
        let namespace = "clustmake-check-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        var probe: CheckScript.Probe?
        var forwards: [String] = []
        if let address, let redis {
            let redisHost = host.isLocal ? address.description : "localhost:\(host.tunnelPort(instance: 0))"
            probe = CheckScript.Probe(
                redisHost: redisHost, user: redis.username, passwordOnStdin: redis.password != nil,
                namespace: namespace, retrySeconds: options.redisRetrySeconds)
            forwards = self.forwards(for: host)
        }
        let script = CheckScript(worker: host.worker, version: version, nice: host.nice, probe: probe)
        let password = redis?.password
        // ExitOnForwardFailure=no: a tunnel port taken on the host fails the redis check, not the whole session.
        // LogLevel=INFO: ssh then says which forward failed ("remote port forwarding failed for listen port N").
        let arguments = RemoteShell.arguments(
            host: host, script: script.text, settings: options.ssh,
            overrides: ["-o", "ExitOnForwardFailure=no", "-o", "LogLevel=INFO"], stdin: password != nil,
            forwards: forwards)
        let input: ProcessInput = password.map { .bytes(Array(($0 + "\n").utf8)) } ?? .none
        let result: ProcessResult
        do {
            result = try await ProcessRunner.runSSH(arguments, input: input, timeout: options.timeout)
        } catch {
            var findings = [HostCheck.Finding(.ssh, .failed, error.message, fix: error.fix)]
            findings += HostCheck.Item.allCases.dropFirst().map { HostCheck.Finding($0, .skipped, "not checked") }
            return HostCheck(host: host, findings: findings)
        }
        return CheckAnalysis(
            host: host, version: version, result: result, report: CheckScript.Report(parsing: result.stdout),
            redis: address, probed: probe != nil, options: options
        ).check
    }
}
