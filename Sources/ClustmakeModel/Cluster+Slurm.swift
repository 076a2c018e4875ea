extension Cluster {
    /// A SLURM partition in place of ssh hosts: the `slurm:` section of a cluster file (docs/cluster.md).
    ///
    /// A plan for it has one host per node (`node1` … `nodeN`, ``nodeName(_:)``) whose jobs run on the node
    /// itself, without ssh, inside one SLURM job of ``nodes`` nodes.
    public struct Slurm: Sendable, Hashable {
        /// How the workers on the compute nodes reach redis.
        public enum RedisRoute: Sendable, Hashable {
            /// Directly, at this URL as seen from the nodes (`redis: {from_nodes: URL}`).
            case fromNodes(url: String)
            /// Through a forward tunnel each host script opens to `loginHost` (`ssh -N -L PORT:REDIS LOGINHOST`),
            /// node K listening on `portBase + K - 1` (`redis: {tunnel: LOGINHOST}`).
            case tunnel(loginHost: String, portBase: Int)
        }

        /// The number of nodes of the allocation (`--nodes`).
        public var nodes: Int
        /// Slots per node: how many jobs run on a node at once.
        public var processors: Int
        /// `--partition`, when set.
        public var partition: String?
        /// `--account`, when set.
        public var account: String?
        /// The wall-time limit in seconds (`--time`), when set.
        public var timeLimit: Int?
        /// `--mem`, as written (`4G`, `500M`), when set.
        public var memory: String?
        /// `--qos`, when set.
        public var qos: String?
        /// `--constraint`, when set.
        public var constraint: String?
        /// More `#SBATCH` options, one per line, as written (`--gres=gpu:1`).
        public var sbatch: [String]
        /// How the nodes reach redis.
        public var redis: RedisRoute
        /// At most this many SLURM jobs of a namespace in the queue at once, in per-job mode (`max_submit`;
        /// `--target slurm-jobs`). Not part of the cluster's fingerprint: it changes how a plan is submitted, not
        /// the plan.
        public var maxSubmit: Int

        public init(
            nodes: Int, processors: Int = 1, partition: String? = nil, account: String? = nil,
            timeLimit: Int? = nil, memory: String? = nil, qos: String? = nil, constraint: String? = nil,
            sbatch: [String] = [], redis: RedisRoute, maxSubmit: Int = Cluster.Slurm.defaultMaxSubmit
        ) {
            self.maxSubmit = maxSubmit
            self.nodes = nodes
            self.processors = processors
            self.partition = partition
            self.account = account
            self.timeLimit = timeLimit
            self.memory = memory
            self.qos = qos
            self.constraint = constraint
            self.sbatch = sbatch
            self.redis = redis
        }

        /// The default of `max_submit`: SLURM's own default `MaxArraySize` is 1001, and sites cap queued jobs per
        /// user around there.
        public static let defaultMaxSubmit = 1000
        /// The values `max_submit` may take.
        public static let maxSubmitRange = 1...100_000

        /// The default first local port of the redis tunnels (`tunnel_port`).
        public static let defaultTunnelPortBase = 13000

        /// The host name of node `number` (from 1) in a plan: `node1`, `node2`, ….
        public static func nodeName(_ number: Int) -> String {
            "node\(number)"
        }

        /// The seconds of a SLURM time limit as `sbatch --time` reads it: `MINUTES`, `MINUTES:SECONDS`,
        /// `HOURS:MINUTES:SECONDS`, `DAYS-HOURS`, `DAYS-HOURS:MINUTES` or `DAYS-HOURS:MINUTES:SECONDS`.
        /// - Returns: The seconds, or `nil` for text in none of these forms (or a limit of 0 or over a year).
        public static func seconds(ofTime text: String) -> Int? {
            func number(_ part: Substring) -> Int? {
                guard !part.isEmpty, part.count <= 6, part.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                    return nil
                }
                return Int(part)
            }
            var days = 0
            var rest = Substring(text)
            let hasDays = text.contains("-")
            if hasDays {
                let pieces = text.split(separator: "-", omittingEmptySubsequences: false)
                guard pieces.count == 2, let value = number(pieces[0]) else { return nil }
                days = value
                rest = pieces[1]
            }
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false).map(number)
            guard !parts.contains(where: { $0 == nil }) else { return nil }
            let values = parts.map { $0! }
            let seconds: Int
            switch (hasDays, values.count) {
            case (false, 1): seconds = values[0] * 60
            case (false, 2): seconds = values[0] * 60 + values[1]
            case (false, 3), (true, 3): seconds = values[0] * 3600 + values[1] * 60 + values[2]
            case (true, 1): seconds = values[0] * 3600
            case (true, 2): seconds = values[0] * 3600 + values[1] * 60
            default: return nil
            }
            let total = days * 86_400 + seconds
            guard total > 0, total <= 366 * 86_400 else { return nil }
            return total
        }

        /// A time limit as `sbatch --time` reads it: `DAYS-HH:MM:SS`, or `HH:MM:SS` under a day.
        public static func timeText(seconds: Int) -> String {
            let (days, rest) = seconds.quotientAndRemainder(dividingBy: 86_400)
            let clock = [rest / 3600, rest / 60 % 60, rest % 60].map { $0 < 10 ? "0\($0)" : "\($0)" }
                .joined(separator: ":")
            return days > 0 ? "\(days)-\(clock)" : clock
        }
    }
}
