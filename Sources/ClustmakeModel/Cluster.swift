/// The machines a plan may use, and where their workers find redis.
public struct Cluster: Sendable, Hashable {
    /// Where the workers' redis is, as seen from the machine that runs clustmake.
    public struct Redis: Sendable, Hashable {
        /// A redis URL (`redis://host:port/db` or `unix:///path`).
        public var url: String?
        /// A file holding the redis password (mode 0600).
        public var passwordFile: String?
        public init(url: String? = nil, passwordFile: String? = nil) {
            self.url = url
            self.passwordFile = passwordFile
        }
    }

    /// The hosts, in the order of the cluster file.
    public var hosts: [Host]
    /// Redis settings from the cluster file.
    public var redis: Redis
    /// The SLURM partition the hosts are nodes of (a `slurm:` section), or `nil` for ssh hosts.
    public var slurm: Slurm?

    public init(hosts: [Host], redis: Redis = Redis(), slurm: Slurm? = nil) {
        self.hosts = hosts
        self.redis = redis
        self.slurm = slurm
    }

    /// Every slot of every host, host by host, instance by instance.
    public var slots: [Slot] {
        hosts.indices.flatMap { host in (0..<hosts[host].processors).map { Slot(host: host, instance: $0) } }
    }

    /// The embedded default: this machine, one slot per core, no ssh.
    /// - Parameters:
    ///   - cores: The number of slots.
    ///   - worker: The worker executable to run.
    public static func embeddedDefault(cores: Int, worker: String) -> Cluster {
        Cluster(hosts: [Host(name: "localhost", processors: max(1, cores), worker: worker, isLocal: true)])
    }
}

/// One place on a host where one job runs at a time.
public struct Slot: Sendable, Hashable {
    /// The index of the host in ``Cluster/hosts``.
    public var host: Int
    /// The slot's instance number on its host, from 0.
    public var instance: Int
    public init(host: Int, instance: Int) {
        self.host = host
        self.instance = instance
    }
}
