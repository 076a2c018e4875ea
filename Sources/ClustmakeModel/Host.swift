/// A machine that runs jobs: a `hosts:` entry of a cluster file, or this machine in the embedded default.
public struct Host: Sendable, Hashable {
    /// The nickname: the key in `hosts:`, used in messages, file names and statistics.
    public var name: String
    /// The address given to ssh (`host:`; defaults to the nickname).
    public var address: String
    /// The user to log in as, if not the current one.
    public var username: String?
    /// How many jobs run on the host at once (its slots).
    public var processors: Int
    /// The nice level the jobs run at.
    public var nice: Int
    /// The ssh port, if not the default.
    public var port: Int?
    /// An ssh configuration file passed to every ssh as `-F`.
    public var sshConfig: String?
    /// More ssh options, passed before the host.
    public var sshOptions: [String]
    /// Relative speed for planning: a job of cost c takes c / speed seconds here.
    public var speed: Double
    /// The first tunnel port; slot i uses `tunnelPortBase + i`.
    public var tunnelPortBase: Int
    /// The path of the worker executable on the host.
    public var worker: String
    /// Jobs run on this machine directly, without ssh.
    public var isLocal: Bool
    /// What the worker's end of a slot's reverse tunnel is on the host (`tunnel:` in the cluster file).
    public var tunnel: Tunnel

    /// The worker's end of a reverse tunnel: a TCP port on the host's loopback (compmake's), or a unix socket in
    /// a directory only the user can enter (docs/security.md).
    public enum Tunnel: String, Sendable, Hashable, CaseIterable {
        case tcp
        case unix
    }

    public static let defaultNice = 10
    public static let defaultTunnelPortBase = 13000
    public static let defaultWorker = "compmake"
    public static let defaultTunnel = Tunnel.tcp

    public init(
        name: String, address: String? = nil, username: String? = nil, processors: Int = 1,
        nice: Int = Host.defaultNice, port: Int? = nil, sshConfig: String? = nil, sshOptions: [String] = [],
        speed: Double = 1, tunnelPortBase: Int = Host.defaultTunnelPortBase, worker: String = Host.defaultWorker,
        isLocal: Bool = false, tunnel: Tunnel = Host.defaultTunnel
    ) {
        self.name = name
        self.address = address ?? name
        self.username = username
        self.processors = processors
        self.nice = nice
        self.port = port
        self.sshConfig = sshConfig
        self.sshOptions = sshOptions
        self.speed = speed
        self.tunnelPortBase = tunnelPortBase
        self.worker = worker
        self.isLocal = isLocal
        self.tunnel = tunnel
    }

    /// `user@address`, or the address alone.
    public var destination: String {
        username.map { "\($0)@\(address)" } ?? address
    }

    /// The reverse-tunnel port of slot `instance`, as compmake numbered them.
    public func tunnelPort(instance: Int) -> Int {
        tunnelPortBase + instance
    }
}
