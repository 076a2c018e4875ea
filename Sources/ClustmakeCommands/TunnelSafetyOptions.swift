import ArgumentParser
import ClustmakeModel
import ClustmakeRedis
import ClustmakeSystem

/// `--insecure-redis`, and the check behind it that `run`, `plan` and `hosts check` make before any remote host
/// gets a tunnel to redis (docs/security.md).
///
/// Every remote slot opens `ssh -R PORT:REDIS`: sshd listens on the host's loopback, where every user of that host
/// can connect. A redis that lets a client in without logging in would then let any of them read and change every
/// job's command. So a run, plan or check with a remote host is refused (exit 2, with the fix) when redis accepts a
/// client that has not logged in, unless `--insecure-redis` is given, which prints a warning every time. Runs on
/// this machine alone are not affected; the embedded redis always has a password.
struct TunnelSafetyOptions: ParsableArguments {
    @Flag(
        help: ArgumentHelp(
            "Let remote hosts reach a redis that accepts clients without a password (any user of those hosts could "
                + "then change what runs; see docs/security.md)."))
    var insecureRedis = false

    /// What an unauthenticated client gets from the server.
    enum Exposure: Equatable {
        /// The server answers clients that have not logged in.
        case open
        /// The server asks for a login first.
        case authenticated
        /// The server could not be asked (the reason).
        case unknown(String)
    }

    /// Asks `endpoint`'s server, without logging in, whether it answers (`PING`). Blocks up to a few seconds: call
    /// it from a dedicated thread.
    static func exposure(of endpoint: RedisEndpoint) -> Exposure {
        var anonymous = endpoint.withPassword(nil)
        anonymous.username = nil
        do {
            let connection = try RedisConnection(
                endpoint: anonymous, connectTimeout: .seconds(3), commandTimeout: .seconds(5))
            defer { connection.close() }
            try connection.command("PING")
            return .open
        } catch let error where error.code == .authentication {
            return .authenticated
        } catch {
            return .unknown(error.message)
        }
    }

    /// Throws unless remote hosts of `cluster` may reach `target`'s redis: it is the embedded redis, or its server
    /// asks clients to log in (or, when it cannot be asked, a password is known), or there is no remote host; with
    /// ``insecureRedis`` it warns instead.
    /// - Parameters:
    ///   - target: The redis the job lines name.
    ///   - cluster: The hosts that will get tunnels.
    /// - Throws: ``ClustmakeModel/InputError`` (exit 2) naming `--redis` and the fix.
    func check(_ target: RedisResolver.Target, cluster: Cluster) async throws(InputError) {
        let remote = cluster.hosts.filter { !$0.isLocal }.map(\.name)
        guard !remote.isEmpty, !target.isEmbedded else { return }
        let endpoint = target.endpoint
        let exposure = await DedicatedThread.run { Self.exposure(of: endpoint) }
        let problem: String
        switch exposure {
        case .authenticated: return
        case .unknown where endpoint.password != nil: return
        case .open: problem = "redis at \(endpoint) lets clients in without a password"
        case .unknown(let reason):
            problem =
                "no redis password was given, and whether redis at \(endpoint) asks for one cannot be checked "
                + "(\(reason))"
        }
        let hosts = remote.prefix(3).joined(separator: ", ") + (remote.count > 3 ? ", …" : "")
        if insecureRedis {
            CommandLineTool.writeError(
                "clustmake: warning: --insecure-redis: \(problem); any user of \(hosts) can reach it through the ssh "
                    + "tunnel and change what runs (docs/security.md)")
            return
        }
        throw InputError(
            .invalidValue,
            "\(problem), and the remote hosts (\(hosts)) would reach it through their ssh tunnel: any user of those "
                + "hosts could read and change every job's command.",
            fix: "Give redis a password (requirepass, or an ACL user) and pass it with --redis-password-file FILE or "
                + "the cluster file's password_file; or leave out --redis and the cluster file's redis url to use "
                + "clustmake's embedded redis; or pass --insecure-redis to accept the risk (docs/security.md).",
            subject: "--redis")
    }
}
