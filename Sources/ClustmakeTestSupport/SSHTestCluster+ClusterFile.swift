/// clustmake cluster files (docs/cluster.md) for a test cluster.
extension SSHTestCluster {
    /// A clustmake cluster file listing every host of this cluster, reached through ``sshConfigPath``:
    ///
    /// ```yaml
    /// hosts:
    ///   "h1": {host: "h1", processors: 2, ssh_config: "/tmp/clustmake-ssh.Ab12Cd/ssh_config", worker: "/…/compmake"}
    /// ```
    ///
    /// - Parameters:
    ///   - processors: Slots per host.
    ///   - worker: The worker's path, as the test user runs it on the hosts (every host sees this machine's
    ///     files: only the network is separate). It and its directories must be readable by the test user.
    ///   - nice: The hosts' `nice`, or `nil` for clustmake's default.
    ///   - tunnelPortBase: The hosts' `tunnel_port_base`, or `nil` for clustmake's default (13000).
    ///   - redisURL: The `redis: {url: …}` section, or `nil` to leave it out.
    /// - Returns: The YAML text; every string double-quoted.
    public func clusterYAML(
        processors: Int = 2, worker: String, nice: Int? = nil, tunnelPortBase: Int? = nil, redisURL: String? = nil
    ) -> String {
        var text = """
            # clustmake cluster file of test cluster \(name) (SSHTestCluster; docs/testing.md).
            # Every host is a network namespace reached with: ssh -F \(sshConfigPath) HOST
            hosts:

            """
        for host in hostNames {
            var settings = [
                "host: \(Self.yamlQuoted(host))", "processors: \(processors)",
                "ssh_config: \(Self.yamlQuoted(sshConfigPath))", "worker: \(Self.yamlQuoted(worker))",
            ]
            if let nice { settings.append("nice: \(nice)") }
            if let tunnelPortBase { settings.append("tunnel_port_base: \(tunnelPortBase)") }
            text += "  \(Self.yamlQuoted(host)): {\(settings.joined(separator: ", "))}\n"
        }
        if let redisURL { text += "redis: {url: \(Self.yamlQuoted(redisURL))}\n" }
        return text
    }

    /// Writes ``clusterYAML(processors:worker:nice:tunnelPortBase:redisURL:)`` to a file.
    /// - Parameters:
    ///   - path: Where; `cluster.yaml` in ``directory`` by default (removed with the cluster).
    ///   - processors: Slots per host.
    ///   - worker: The worker's path on the hosts.
    ///   - nice: The hosts' `nice`, or `nil` for clustmake's default.
    ///   - tunnelPortBase: The hosts' `tunnel_port_base`, or `nil` for clustmake's default.
    ///   - redisURL: The `redis: {url: …}` section, or `nil` to leave it out.
    /// - Returns: The file's path.
    /// - Throws: ``TestHarnessError`` (`.setupFailed`) when the file cannot be written.
    @discardableResult
    public func writeClusterFile(
        to path: String? = nil, processors: Int = 2, worker: String, nice: Int? = nil, tunnelPortBase: Int? = nil,
        redisURL: String? = nil
    ) throws(TestHarnessError) -> String {
        let path = path ?? directory + "/cluster.yaml"
        try Self.writeFile(
            clusterYAML(
                processors: processors, worker: worker, nice: nice, tunnelPortBase: tunnelPortBase,
                redisURL: redisURL),
            to: path, mode: 0o644)
        return path
    }

    /// `text` as a YAML double-quoted scalar.
    static func yamlQuoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                quoted += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
