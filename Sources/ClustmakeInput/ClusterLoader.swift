public import ClustmakeModel
import Yams

/// Reads a cluster file: compmake's `cluster.yaml` format and clustmake's documented extensions
/// (docs/cluster.md).
///
/// ```yaml
/// types:
///   default: {username: alice, processors: 2, nice: 10}
///   big: {processors: 8, speed: 2}
/// hosts:
///   node1: {host: 10.0.0.1, processors: 3}
///   node2: {type: big}
/// redis: {url: "redis://db.lab:6379/0", password_file: ~/.config/clustmake/redis-password}
/// ```
///
/// As in compmake, every type inherits from `default`, a host takes the settings of its `type` (default
/// `default`) for every key it does not set, `host` defaults to the nickname, and the top-level `cluster_nice`
/// is the `nice` of every host that neither it nor its type sets. YAML merge keys (`<<: *base`) are resolved
/// first, as YAML 1.1 defines them.
public struct ClusterLoader: Sendable {
    public init() {}

    /// Keys a host (or a type) may set.
    static let hostKeys = [
        "host", "username", "processors", "type", "instance", "init", "test", "nice", "port", "ssh_config",
        "ssh_options", "speed", "tunnel_port_base", "worker", "local", "tunnel",
    ]
    static let topKeys = ["hosts", "slurm", "types", "redis", "cluster_nice", "tunnel"]
    static let redisKeys = ["url", "password_file"]

    /// Loads and validates the cluster file at `path`.
    /// - Throws: ``InputError`` naming the file, line, column and host of the first problem.
    public func load(path: String) throws(InputError) -> Cluster {
        let bytes = try InputFile.read(path)
        return try load(bytes: bytes, file: path)
    }

    /// Loads a cluster from the bytes of a file named `file` (for messages).
    public func load(bytes: [UInt8], file: String) throws(InputError) -> Cluster {
        let text = try InputFile.text(bytes, file: file)
        let root = try YAMLNode.parse(text, file: file)
        return try decode(root, file: file)
    }

    private func decode(_ root: YAMLNode, file: String) throws(InputError) -> Cluster {
        let top = try ObjectReader(root, file: file, subject: nil, what: "a cluster file", known: Self.topKeys)
        let redis = try decodeRedis(root, file: file)
        if let slurmNode = root.member("slurm"), slurmNode.kind != .null {
            if let hostsNode = root.member("hosts") {
                throw top.error(
                    .invalidValue, "the cluster has both 'hosts' and a 'slurm' section.",
                    fix: "A cluster is either ssh hosts or a SLURM partition: keep one of the two (docs/cluster.md).",
                    at: hostsNode)
            }
            if let typesNode = root.member("types") {
                throw top.error(
                    .invalidValue, "'types' applies to ssh hosts, and this cluster is a 'slurm' section.",
                    fix: "Set processors, nice and worker in the slurm section, and remove 'types'.", at: typesNode)
            }
            let clusterNice = try top.integer("cluster_nice", in: -20...19)
            return try decodeSlurm(slurmNode, redis: redis, clusterNice: clusterNice, file: file)
        }
        var types = [String: YAMLNode]()
        if let typeNode = root.member("types"), typeNode.kind != .null {
            _ = try ObjectReader(typeNode, file: file, subject: nil, what: "'types'", known: typeNode.keys)
            for name in typeNode.keys {
                let node = typeNode.member(name)!
                _ = try ObjectReader(
                    node, file: file, subject: "type '\(Format.escaped(name, limit: 60))'", what: "a type",
                    known: Self.hostKeys.filter { $0 != "host" && $0 != "type" })
                types[name] = node
            }
        }
        let hostsNode = try top.required(
            "hosts", example: "hosts: {node1: {host: node1.lab, processors: 4}} (or a 'slurm:' section)")
        guard hostsNode.kind == .object else {
            throw top.error(
                .wrongType, "'hosts' must map nicknames to host settings, not \(hostsNode.kind.phrase).",
                fix: "Write hosts: {node1: {host: node1.lab, processors: 4}}.", at: hostsNode)
        }
        let names = hostsNode.keys
        guard !names.isEmpty else {
            throw top.error(
                .emptyGraph, "the cluster has no hosts.", fix: "Add at least one host under 'hosts:'.", at: hostsNode)
        }
        // compmake's global nice level: the default of every host that sets none (nor does its type).
        let clusterNice = try top.integer("cluster_nice", in: -20...19)
        // The tunnel of every host that neither it nor its type sets.
        let clusterTunnel = try Self.tunnel(top)
        var hosts = [Host]()
        for name in names {
            hosts.append(
                try decodeHost(
                    name, hostsNode.member(name)!, types: types, clusterNice: clusterNice,
                    clusterTunnel: clusterTunnel, file: file))
        }
        return Cluster(hosts: hosts, redis: redis)
    }

    private func decodeRedis(_ root: YAMLNode, file: String) throws(InputError) -> Cluster.Redis {
        var redis = Cluster.Redis()
        if let redisNode = root.member("redis"), redisNode.kind != .null {
            let reader = try ObjectReader(
                redisNode, file: file, subject: nil, what: "'redis'", known: Self.redisKeys)
            redis.url = try reader.nonEmptyString("url", example: "url: redis://db.lab:6379/0")
            redis.passwordFile = try reader.nonEmptyString(
                "password_file", example: "password_file: ~/.config/clustmake/redis-password")
        }
        return redis
    }

    private func decodeHost(
        _ name: String, _ node: YAMLNode, types: [String: YAMLNode], clusterNice: Int?, clusterTunnel: Host.Tunnel?,
        file: String
    ) throws(InputError) -> Host {
        let subject = "host '\(Format.escaped(name, limit: 60))'"
        let own = try ObjectReader(
            node.kind == .null ? YAMLNode(node: [:]) : node, file: file, subject: subject, what: "a host",
            known: Self.hostKeys)
        if let problem = JobID.problem(with: name) {
            throw own.error(
                .invalidID, "the nickname '\(name)' is not valid: \(problem).",
                fix: "Nicknames name script files: use only \(JobID.allowedDescription).")
        }
        let typeName = try own.string("type", example: "type: big") ?? "default"
        if typeName != "default", types[typeName] == nil {
            let known = types.keys.sorted()
            throw own.error(
                .invalidValue, "unknown type '\(typeName)'.",
                fix: (nearest(typeName, in: known).map { "Did you mean '\($0)'? " } ?? "")
                    + (known.isEmpty ? "Define it under 'types:'." : "Known types: \(known.joined(separator: ", ")).")
            )
        }
        // Settings come from the host, then its type, then the default type: merge them into one mapping whose
        // values keep their own positions, so a bad value inherited from a type is reported where it is written.
        let hostMapping = own.node.node.mapping
        var pairs: [(Node, Node)] = hostMapping.map { $0.map { ($0.key, $0.value) } } ?? []
        for layerName in typeName == "default" ? ["default"] : [typeName, "default"] {
            for pair in types[layerName]?.node.mapping ?? [:] where !pairs.contains(where: { $0.0 == pair.key }) {
                pairs.append((pair.key, pair.value))
            }
        }
        let settings = try ObjectReader(
            YAMLNode(node: .mapping(Node.Mapping(pairs, .implicit, .any, hostMapping?.mark))), file: file,
            subject: subject, what: "a host", known: Self.hostKeys)
        var host = Host(name: name)
        if let address = try own.nonEmptyString("host", example: "host: node1.lab") {
            try check(address, as: "host", reader: own, fix: "Write the host name or address ssh should connect to.")
            host.address = address
        }
        if let username = try settings.nonEmptyString("username", example: "username: alice") {
            try check(username, as: "username", reader: settings, fix: "Write the login name alone.")
            if username.contains("@") {
                throw settings.error(
                    .invalidValue, "the username '\(username)' contains '@'.", fix: "Write the login name alone.",
                    at: settings.node.member("username"))
            }
            host.username = username
        }
        host.processors = try settings.integer("processors", in: 1...4096) ?? 1
        let instance = try settings.integer("instance", in: 0...60000) ?? 0
        host.nice = try settings.integer("nice", in: -20...19) ?? clusterNice ?? Host.defaultNice
        host.port = try settings.integer("port", in: 1...65535)
        host.sshConfig = try settings.nonEmptyString("ssh_config", example: "ssh_config: ~/.ssh/lab_config")
        host.sshOptions =
            try settings.strings("ssh_options", example: "ssh_options: [\"-o\", \"Compression=yes\"]") ?? []
        host.speed = try settings.number("speed", in: 0.000001...1e6) ?? 1
        let base = try settings.integer("tunnel_port_base", in: 1024...65535) ?? Host.defaultTunnelPortBase
        host.tunnelPortBase = base + instance
        if host.tunnelPortBase + host.processors - 1 > 65535 {
            throw settings.error(
                .invalidValue,
                "tunnel ports \(host.tunnelPortBase)…\(host.tunnelPortBase + host.processors - 1) go past 65535.",
                fix: "Lower tunnel_port_base (or instance) so that base + processors - 1 <= 65535.",
                at: settings.node.member("tunnel_port_base"))
        }
        host.worker =
            try settings.nonEmptyString("worker", example: "worker: ~/.local/bin/compmake") ?? Host.defaultWorker
        host.isLocal = try settings.bool("local") ?? false
        host.tunnel = try Self.tunnel(settings) ?? clusterTunnel ?? Host.defaultTunnel
        return host
    }

    /// The `tunnel:` of a host, a type or the file: `tcp` or `unix`.
    private static func tunnel(_ reader: ObjectReader<YAMLNode>) throws(InputError) -> Host.Tunnel? {
        let choices = Host.Tunnel.allCases.map(\.rawValue).joined(separator: " or ")
        guard let text = try reader.string("tunnel", example: "tunnel: unix") else { return nil }
        guard let tunnel = Host.Tunnel(rawValue: text) else {
            throw reader.error(
                .invalidValue, "'tunnel' must be \(choices).",
                fix: "Write tunnel: unix (a socket only you can open on the host) or tunnel: tcp (a port on its "
                    + "loopback, as compmake did).",
                at: reader.node.member("tunnel"))
        }
        return tunnel
    }

    func check(
        _ value: String, as key: String, reader: ObjectReader<YAMLNode>, fix: String
    ) throws(InputError) {
        let place = reader.node.member(key)
        if value.hasPrefix("-") {
            throw reader.error(
                .invalidValue, "\(key) '\(value)' starts with '-', which ssh would read as an option.", fix: fix,
                at: place)
        }
        if value.contains(where: { $0.isWhitespace || $0.unicodeScalars.contains { $0.value < 0x20 } }) {
            throw reader.error(.invalidValue, "\(key) '\(value)' contains white space.", fix: fix, at: place)
        }
    }
}
