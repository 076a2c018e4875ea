import ClustmakeModel

/// The `slurm:` section of a cluster file (docs/cluster.md, "SLURM").
///
/// ```yaml
/// slurm:
///   nodes: 4
///   processors: 16
///   partition: batch
///   account: lab42
///   time: "2-00:00:00"
///   memory: 64G
///   sbatch: ["--gres=gpu:1"]
///   redis: {from_nodes: "redis://login1:6379/0"}
/// ```
///
/// Every value reaches an `#SBATCH` line or a script, so each is checked against what SLURM accepts there, and
/// refused with its line and column otherwise.
extension ClusterLoader {
    static let slurmKeys = [
        "nodes", "processors", "partition", "account", "time", "memory", "qos", "constraint", "sbatch", "redis",
        "nice", "worker", "max_submit",
    ]
    static let slurmRedisKeys = ["from_nodes", "tunnel", "tunnel_port"]

    func decodeSlurm(
        _ node: YAMLNode, redis: Cluster.Redis, clusterNice: Int?, file: String
    ) throws(InputError) -> Cluster {
        let reader = try ObjectReader(node, file: file, subject: "slurm", what: "'slurm'", known: Self.slurmKeys)
        guard let nodes = try reader.integer("nodes", in: 1...100_000) else {
            throw reader.error(.missingKey, "the key 'nodes' is missing.", fix: "Add it, for example nodes: 4.")
        }
        let processors = try reader.integer("processors", in: 1...4096) ?? 1
        let nice = try reader.integer("nice", in: -20...19) ?? clusterNice ?? Host.defaultNice
        let worker = try reader.nonEmptyString("worker", example: "worker: ~/.local/bin/compmake") ?? Host.defaultWorker
        try checkControl(
            worker, what: "worker", reader: reader, place: node.member("worker"),
            fix: "Write the path of the worker on the nodes.")
        var slurm = Cluster.Slurm(
            nodes: nodes, processors: processors, redis: try decodeRoute(reader, nodes: nodes, file: file))
        slurm.partition = try name("partition", reader: reader, example: "partition: batch")
        slurm.account = try name("account", reader: reader, example: "account: lab42")
        slurm.qos = try name("qos", reader: reader, example: "qos: normal")
        slurm.constraint = try text(
            "constraint", reader: reader, allowed: "&|[]*:,.-_!", example: "constraint: \"intel&ib\"")
        if let memory = try reader.nonEmptyString("memory", example: "memory: 16G") {
            let digits = memory.drop { $0.isASCII && $0.isNumber }
            guard digits.count < memory.count, digits.count <= 1, digits.allSatisfy({ "KMGTkmgt".contains($0) }) else {
                throw reader.error(
                    .invalidValue, "memory '\(memory)' is not a SLURM size.",
                    fix: "Write a whole number with an optional unit K, M, G or T, for example memory: 16G.",
                    at: node.member("memory"))
            }
            slurm.memory = memory
        }
        slurm.maxSubmit =
            try reader.integer("max_submit", in: Cluster.Slurm.maxSubmitRange) ?? Cluster.Slurm.defaultMaxSubmit
        slurm.timeLimit = try timeLimit(reader)
        slurm.sbatch = try sbatchLines(reader)
        let hosts = (1...nodes).map {
            Host(
                name: Cluster.Slurm.nodeName($0), processors: processors, nice: nice, worker: worker, isLocal: true)
        }
        return Cluster(hosts: hosts, redis: redis, slurm: slurm)
    }

    private func decodeRoute(
        _ reader: ObjectReader<YAMLNode>, nodes: Int, file: String
    ) throws(InputError) -> Cluster.Slurm.RedisRoute {
        let example = "redis: {from_nodes: \"redis://login1:6379/0\"} or redis: {tunnel: login1}"
        let node = try reader.required("redis", example: example)
        let route = try ObjectReader(
            node, file: file, subject: "slurm", what: "'slurm: redis'", known: Self.slurmRedisKeys)
        let url = try route.nonEmptyString("from_nodes", example: "from_nodes: \"redis://login1:6379/0\"")
        let login = try route.nonEmptyString("tunnel", example: "tunnel: login1")
        switch (url, login) {
        case (let url?, nil):
            if node.member("tunnel_port") != nil {
                throw route.error(
                    .invalidValue, "'tunnel_port' is set but the nodes reach redis directly (from_nodes).",
                    fix: "Remove tunnel_port, or replace from_nodes by tunnel: LOGINHOST.",
                    at: node.member("tunnel_port"))
            }
            do throws(InputError) {
                let location = try RedisLocation(parsing: url)
                if case .unix = location.address {
                    throw InputError(.invalidValue, "a unix socket is not reachable from compute nodes.")
                }
            } catch {
                throw route.error(
                    .invalidValue, "from_nodes '\(url.contains("@") ? "***" : url)' cannot be used: \(error.message)",
                    fix: "Write the TCP address the nodes reach redis at, for example redis://login1:6379/0.",
                    at: node.member("from_nodes"))
            }
            if url.contains("@") {
                throw route.error(
                    .invalidValue, "from_nodes carries a user or password, which would end up in the scripts.",
                    fix: "Write redis://HOST:PORT/DB and keep the password in redis: password_file.",
                    at: node.member("from_nodes"))
            }
            return .fromNodes(url: url)
        case (nil, let login?):
            try check(login, as: "tunnel", reader: route, fix: "Write the login host ssh should connect to.")
            let base = try route.integer("tunnel_port", in: 1024...65535) ?? Cluster.Slurm.defaultTunnelPortBase
            if base + nodes - 1 > 65535 {
                throw route.error(
                    .invalidValue, "tunnel ports \(base)…\(base + nodes - 1) go past 65535.",
                    fix: "Lower tunnel_port so that tunnel_port + nodes - 1 <= 65535.", at: node.member("tunnel_port"))
            }
            return .tunnel(loginHost: login, portBase: base)
        case (.some, .some):
            throw route.error(
                .invalidValue, "'slurm: redis' sets both from_nodes and tunnel.",
                fix: "Keep from_nodes when the nodes reach redis directly, tunnel otherwise.")
        case (nil, nil):
            throw route.error(
                .missingKey, "'slurm: redis' says neither from_nodes nor tunnel.", fix: "Write \(example).")
        }
    }

    /// A partition, account or QoS name: letters, digits, `_`, `.`, `-` (and `,` between several).
    private func name(_ key: String, reader: ObjectReader<YAMLNode>, example: String) throws(InputError) -> String? {
        try text(key, reader: reader, allowed: "_.,-", example: example)
    }

    private func text(
        _ key: String, reader: ObjectReader<YAMLNode>, allowed: String, example: String
    ) throws(InputError) -> String? {
        guard let value = try reader.nonEmptyString(key, example: example) else { return nil }
        try checkControl(value, what: key, reader: reader, place: reader.node.member(key), fix: "Write \(example).")
        let bad = value.first { !($0.isASCII && ($0.isLetter || $0.isNumber)) && !allowed.contains($0) }
        if let bad {
            throw reader.error(
                .invalidValue, "\(key) '\(value)' contains '\(bad)', which SLURM does not take there.",
                fix:
                    "Use only letters, digits and \(allowed.map { "'\($0)'" }.joined(separator: " ")), as in \(example).",
                at: reader.node.member(key))
        }
        if value.hasPrefix("-") {
            throw reader.error(
                .invalidValue, "\(key) '\(value)' starts with '-', which sbatch would read as an option.",
                fix: "Write the name alone, as in \(example).", at: reader.node.member(key))
        }
        return value
    }

    private func timeLimit(_ reader: ObjectReader<YAMLNode>) throws(InputError) -> Int? {
        guard let value = reader.node.member("time"), value.kind != .null else { return nil }
        let fix =
            "Write minutes (time: 90) or SLURM's forms \"HH:MM:SS\", \"DAYS-HH:MM:SS\", \"DAYS-HH\", up to a year."
        if let minutes = value.integer {
            guard (1...527_040).contains(minutes) else {
                throw reader.error(.invalidValue, "time \(minutes) minutes is outside 1…527040.", fix: fix, at: value)
            }
            return minutes * 60
        }
        guard let text = value.string else {
            throw reader.error(
                .wrongType, "time must be a string or minutes, not \(value.kind.phrase).", fix: fix, at: value)
        }
        try checkControl(text, what: "time", reader: reader, place: value, fix: fix)
        guard let seconds = Cluster.Slurm.seconds(ofTime: text) else {
            throw reader.error(.invalidValue, "time '\(text)' is not a SLURM time limit.", fix: fix, at: value)
        }
        return seconds
    }

    private func sbatchLines(_ reader: ObjectReader<YAMLNode>) throws(InputError) -> [String] {
        let example = "sbatch: [\"--gres=gpu:1\", \"--mail-type=END\"]"
        let lines = try reader.strings("sbatch", example: example) ?? []
        for (index, line) in lines.enumerated() {
            let place = reader.node.member("sbatch")?.elements[index]
            try checkControl(
                line, what: "sbatch line \(index + 1)", reader: reader, place: place,
                fix: "Write each option as an entry of its own, without control characters.")
            if line.contains("$(") || line.contains("`") || line.contains("${") {
                throw reader.error(
                    .invalidValue, "sbatch line \(index + 1) '\(line)' contains a command or variable substitution.",
                    fix: "Write the value itself: #SBATCH lines are not run by a shell.", at: place)
            }
            guard line.hasPrefix("-"), !line.dropFirst().hasPrefix(" ") else {
                throw reader.error(
                    .invalidValue, "sbatch line \(index + 1) '\(line)' is not an sbatch option.",
                    fix: "Write the option alone, without #SBATCH, as in \(example).", at: place)
            }
        }
        return lines
    }

    /// Throws when `value` holds a control character (a newline, a NUL, an escape), naming its code point.
    private func checkControl(
        _ value: String, what: String, reader: ObjectReader<YAMLNode>, place: YAMLNode?, fix: String
    ) throws(InputError) {
        guard let bad = value.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        else { return }
        throw reader.error(
            .invalidValue,
            "\(what) contains the control character U+\(String(bad.value, radix: 16, uppercase: true)) "
                + "(a newline, a NUL, …), which cannot appear in a batch script.",
            fix: fix, at: place)
    }
}
