public import ClustmakeModel
public import ClustmakePlanner

/// The command that runs one job: compmake's cluster line, as an argument vector and as one shell line.
///
/// For a job on a remote host:
///
/// ```
/// ssh [-F CFG] -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 [-p PORT] [ssh_options…]
///     [USER@]HOST -R TUNNEL:REDISHOST:REDISPORT nice -n N WORKER --hostname=NICK --db=redis
///     --redis_host=localhost:TUNNEL --save_progress=False --slave NS make_single more=False wait=SECONDS -- JOB
/// ```
///
/// `--` ends the worker's options and `make_single`'s arguments: every word after it is a job id, so an id such as
/// `more=True` or `wait=0` is never read as one of them.
///
/// ssh joins the words after the host with spaces and the remote shell splits them again, so each of those words
/// is quoted for the remote shell in ``argv``, and ``shellLine`` quotes every element of ``argv`` once more for the
/// local shell. Safe words need neither, so the line reads exactly like compmake's. For a local host
/// (``Host/isLocal``) the ssh part is dropped and the worker reaches redis directly
/// (`--redis_host=REDISHOST:REDISPORT`, or `unix:/path` for a socket). A password, local or remote, reaches the
/// worker one way only: the first line of the line's standard input (`--redis_password_stdin`), never its command
/// line, its environment or a script's text (docs/security.md). A redis database other than 0
/// is named in `--redis_host` (`redis://localhost:TUNNEL/N`, `redis://REDISHOST:REDISPORT/N`, `unix:/path?db=N`);
/// with database 0 the line is compmake's. On a host with `tunnel: unix` the line opens no tunnel: the host's ssh
/// master forwards a unix socket for the whole run and the worker gets `--redis_host=unix:SOCKET`
/// (``TunnelSocket``).
///
/// The job's own command never appears (workers read it from redis), nor does any password. This is the only
/// place that builds the line: the scripts and the executor both use it.
public struct JobLine: Sendable, Hashable {
    /// The argument vector to run on the machine that runs the plan, without a shell (`ssh …` or `nice …`).
    public let argv: [String]
    /// The worker's own command as the host runs it, unquoted: `nice -n N WORKER … make_single … JOB`.
    public let command: [String]
    /// Whether the job runs over ssh.
    public let isRemote: Bool

    /// The options that make every ssh of a job line unattended, after `-F CFG`: no stdin, no prompts, no
    /// worker without its redis tunnel, a bounded connection time.
    public static let batchOptions = ["-n"] + unattendedOptions

    /// ``batchOptions`` but `-n`: for a line whose standard input carries the redis password.
    public static let unattendedOptions = [
        "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-o", "ConnectTimeout=10",
    ]

    /// The worker option that makes it read the redis password from the first line of its standard input.
    public static let passwordOnStdinOption = "--redis_password_stdin"

    /// Builds the line for job `jobID` on slot `instance` of `host`.
    /// - Parameters:
    ///   - jobID: The job's id (its last word).
    ///   - nice: The nice level (the job's own, or the host's).
    ///   - host: The host the job runs on.
    ///   - instance: The slot's instance number on the host, from 0 (it picks the tunnel port).
    ///   - settings: The namespace, redis address, `more` and `wait` of the run.
    public init(jobID: String, nice: Int, host: Host, instance: Int, settings: WorkerSettings) {
        self.init(jobIDs: [jobID], nice: nice, host: host, instance: instance, settings: settings)
    }

    /// Builds the line for the jobs `jobIDs`, run one after the other by one worker (`make_single … a b c`), on slot
    /// `instance` of `host`, with extra ssh options for the executor's connection.
    ///
    /// The worker runs the jobs in order and stops at the first that does not end with status 0 (docs/worker.md);
    /// an executor reads each job's outcome back from redis. `connectionOptions` go right after
    /// ``batchOptions`` (before the host's own options), e.g. ``controlOptions(path:)``.
    ///
    /// With `passwordOnStdin`, the worker gets ``passwordOnStdinOption`` (and a remote line drops ssh's `-n`): whoever
    /// runs the line writes the redis password and a newline to its standard input, and the password crosses to
    /// the host inside the encrypted session, never on a command line, in an environment or in a file there; a
    /// local worker reads it the same way. With ``WorkerSettings/redisUser`` the
    /// worker logs in as that ACL user. These are the only differences between a dispatched line and a script's.
    /// - Parameters:
    ///   - jobIDs: The jobs' ids (at least one).
    ///   - nice: The nice level.
    ///   - host: The host the jobs run on.
    ///   - instance: The slot's instance number on the host.
    ///   - settings: The namespace, redis address, `more` and `wait` of the run.
    ///   - connectionOptions: More ssh options (ignored for a local host).
    ///   - passwordOnStdin: The redis password comes on standard input.
    ///   - tunnelSocket: For a host with `tunnel: unix`, the socket its ssh master forwards to redis
    ///     (``TunnelSocket``): the worker connects to it (`--redis_host=unix:SOCKET`) and the line opens no
    ///     tunnel of its own.
    ///   - stream: The line is a streamed session (`make_single … stream=True`, no job id): its worker reads
    ///     lines of job ids from its standard input, after the password line if any, and answers each on its
    ///     standard output (docs/worker.md, "Streamed sessions"). `jobIDs` is then ignored, and ssh keeps its
    ///     standard input.
    public init(
        jobIDs: [String], nice: Int, host: Host, instance: Int, settings: WorkerSettings,
        connectionOptions: [String] = [], passwordOnStdin: Bool = false, tunnelSocket: String? = nil,
        stream: Bool = false
    ) {
        let tunnelPort = host.tunnelPort(instance: instance)
        // A local worker reaches redis directly; a remote one through its slot's tunnel or its master's socket.
        let redisHost =
            host.isLocal
            ? settings.redis.description
            : tunnelSocket.map { RedisAddress.unix(path: $0, database: settings.redis.database).description }
                ?? settings.redis.tunnelEnd(port: tunnelPort)
        let command =
            [
                "nice", "-n", String(nice), host.worker, "--hostname=\(host.name)", "--db=redis",
                "--redis_host=\(redisHost)",
            ] + Self.credentialOptions(passwordOnStdin: passwordOnStdin, redisUser: settings.redisUser)
            + [
                "--save_progress=False", "--slave", settings.namespace, "make_single",
                settings.more ? "more=True" : "more=False", "wait=\(settings.waitSeconds)",
            ] + (stream ? ["stream=True"] : ["--"] + jobIDs)
        self.command = command
        self.isRemote = !host.isLocal
        if host.isLocal {
            argv = command
            return
        }
        var argv = Self.ssh(
            host,
            options: (passwordOnStdin || stream ? Self.unattendedOptions : Self.batchOptions) + connectionOptions)
        argv.append(host.destination)
        if tunnelSocket == nil { argv += ["-R", "\(tunnelPort):\(settings.redis.tunnelTarget)"] }
        argv += command.map(ShellQuote.quote)
        self.argv = argv
    }

    /// The worker's login options: `--redis_user=NAME` for an ACL user, ``passwordOnStdinOption`` when the password
    /// comes on standard input. Nothing else of the credentials is ever on a line.
    static func credentialOptions(passwordOnStdin: Bool, redisUser: String?) -> [String] {
        (redisUser.map { ["--redis_user=\($0)"] } ?? []) + (passwordOnStdin ? [passwordOnStdinOption] : [])
    }

    /// `ssh [-F CFG] OPTIONS… [-p PORT] [ssh_options…]`: how everything clustmake runs over ssh (job lines, masters,
    /// checks, installs, remote kills) reaches `host`, up to its destination. `options` come before the host's own,
    /// so they win where both set one (ssh keeps the first value).
    public static func ssh(_ host: Host, options: [String]) -> [String] {
        var argv = ["ssh"]
        if let config = host.sshConfig { argv += ["-F", config] }
        argv += options
        if let port = host.port { argv += ["-p", String(port)] }
        return argv + host.sshOptions
    }

    /// How often a connection that sshd dropped before the key exchange (``refusedBeforeLogin(_:)``) is tried
    /// again, after 0.25 s, 0.5 s, 1 s, 2 s (each up to half as long again, at random).
    public static let refusalRetries = 4

    /// The delay before try `retry` (from 1) of a connection sshd dropped before the key exchange.
    public static func refusalDelay(retry: Int) -> Double {
        0.25 * Double(1 << max(0, min(retry - 1, 8))) * Double.random(in: 1...1.5)
    }

    /// Whether ssh's messages say the server closed the connection before the key exchange began. That is what
    /// sshd does to connections beyond its `MaxStartups` unauthenticated ones (other users' logins count too), so
    /// such a connection is worth trying again after a moment; a refused TCP connection or a timeout is not that.
    public static func refusedBeforeLogin(_ sshOutput: String) -> Bool {
        sshOutput.contains("kex_exchange_identification") || sshOutput.contains("ssh_exchange_identification")
    }

    /// The ssh options that make a session go through the ControlMaster listening at `path` (started by the
    /// executor) instead of opening its own connection.
    /// - Parameter path: The master's control socket.
    public static func controlOptions(path: String) -> [String] {
        ["-o", "ControlMaster=no", "-o", "ControlPath=\(path)"]
    }

    /// Builds the line for the jobs `jobs` of `plan` (one job, or a bundle), on slot `slot` of the plan, with the
    /// first job's nice level.
    /// - Parameters:
    ///   - plan: The plan.
    ///   - jobs: The jobs' indices in the plan's graph (at least one).
    ///   - slot: The slot's index in ``ClustmakePlanner/Plan/slots``.
    ///   - settings: The namespace, redis address, `more` and `wait` of the run.
    ///   - connectionOptions: More ssh options (``controlOptions(path:)``).
    ///   - passwordOnStdin: The redis password comes on standard input.
    ///   - tunnelSocket: The socket the host's master forwards when it has `tunnel: unix`.
    ///   - stream: The line is a streamed session, its jobs' ids sent on its standard input.
    public init(
        plan: Plan, jobs: [Int32], slot: Int, settings: WorkerSettings, connectionOptions: [String] = [],
        passwordOnStdin: Bool = false, tunnelSocket: String? = nil, stream: Bool = false
    ) {
        let place = plan.slots[slot]
        let host = plan.cluster.hosts[place.host]
        let first = plan.graph.jobs[Int(jobs[0])]
        self.init(
            jobIDs: jobs.map { plan.graph.jobs[Int($0)].id }, nice: first.nice ?? host.nice, host: host,
            instance: place.instance, settings: settings, connectionOptions: connectionOptions,
            passwordOnStdin: passwordOnStdin, tunnelSocket: tunnelSocket, stream: stream)
    }

    /// Builds the line for job `job` of `plan`, on the slot the plan gives it.
    /// - Parameters:
    ///   - plan: The plan.
    ///   - job: The job's index in the plan's graph.
    ///   - settings: The namespace, redis address, `more` and `wait` of the run.
    public init(plan: Plan, job: Int, settings: WorkerSettings) {
        let slot = plan.slots[Int(plan.placements[job].slot)]
        let host = plan.cluster.hosts[slot.host]
        self.init(
            jobID: plan.graph.jobs[job].id, nice: plan.graph.jobs[job].nice ?? host.nice, host: host,
            instance: slot.instance, settings: settings)
    }

    /// The line for `sh`: every element of ``argv`` quoted for the local shell, joined by spaces.
    public var shellLine: String { ShellQuote.join(argv) }
}
