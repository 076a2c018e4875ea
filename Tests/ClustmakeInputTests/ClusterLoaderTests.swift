import ClustmakeInput
import ClustmakeModel
import Testing

@Suite struct ClusterLoaderTests {
    func load(_ text: String) throws(InputError) -> Cluster {
        try ClusterLoader().load(bytes: Array(text.utf8), file: "cluster.yaml")
    }

    func failure(_ text: String) -> InputError? {
        do {
            _ = try load(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("compmake's documented example loads, host defaulting to the nickname")
    func compmakeExample() throws {
        let cluster = try load(
            """
            hosts:
              nickname_machine1:
                host: 10.0.0.1
                processors: 3
              10.0.0.2: {}
            """)
        #expect(cluster.hosts.map(\.name) == ["nickname_machine1", "10.0.0.2"])
        #expect(cluster.hosts[0].address == "10.0.0.1")
        #expect(cluster.hosts[0].processors == 3)
        #expect(cluster.hosts[1].address == "10.0.0.2")
        #expect(cluster.hosts[1].processors == 1)
        #expect(cluster.hosts[0].nice == 10)
        #expect(cluster.hosts[0].tunnelPortBase == 13000)
        #expect(cluster.slots.count == 4)
    }

    @Test("types inherit from default and hosts from their type")
    func types() throws {
        let cluster = try load(
            """
            types:
              default: {username: alice, processors: 2, nice: 5}
              big: {processors: 8, speed: 2.5}
            hosts:
              small1: {host: s1.lab}
              big1: {host: b1.lab, type: big, port: 2222, ssh_config: /etc/ssh/lab, ssh_options: [-o, Compression=yes]}
              big2: {type: big, processors: 6, username: bob, worker: /opt/bin/compmake, tunnel_port_base: 20000, instance: 2}
            redis: {url: "redis://db.lab:6380/2", password_file: /home/alice/.redis-pass}
            """)
        let (small, big1, big2) = (cluster.hosts[0], cluster.hosts[1], cluster.hosts[2])
        #expect(small.processors == 2 && small.username == "alice" && small.nice == 5 && small.speed == 1)
        #expect(big1.processors == 8 && big1.speed == 2.5 && big1.username == "alice" && big1.port == 2222)
        #expect(big1.sshConfig == "/etc/ssh/lab" && big1.sshOptions == ["-o", "Compression=yes"])
        #expect(big1.destination == "alice@b1.lab")
        #expect(big2.processors == 6 && big2.username == "bob" && big2.worker == "/opt/bin/compmake")
        #expect(big2.tunnelPort(instance: 0) == 20002)
        #expect(cluster.redis.url == "redis://db.lab:6380/2")
        #expect(cluster.redis.passwordFile == "/home/alice/.redis-pass")
    }

    @Test(
        "each kind of bad cluster gives its own error",
        arguments: [
            ("hosts: [a, b]", InputError.Code.wrongType),
            ("types: {}", .missingKey),
            ("hosts: {}", .emptyGraph),
            ("hosts: {n1: {processors: 0}}", .invalidValue),
            ("hosts: {n1: {processors: two}}", .wrongType),
            ("hosts: {n1: {port: 70000}}", .invalidValue),
            ("hosts: {n1: {proccessors: 2}}", .unknownKey),
            ("hostz: {n1: {}}", .unknownKey),
            ("hosts: {n1: {type: huge}}", .invalidValue),
            ("hosts: {n1: {host: -oProxyCommand=x}}", .invalidValue),
            ("hosts: {n1: {host: 'a b'}}", .invalidValue),
            ("hosts: {n1: {username: a@b}}", .invalidValue),
            ("hosts: {'n 1': {}}", .invalidID),
            ("hosts: {n1: {speed: 0}}", .invalidValue),
            ("hosts: {n1: {tunnel_port_base: 65535, processors: 2}}", .invalidValue),
            ("hosts: {n1: {ssh_options: -v}}", .wrongType),
            ("hosts: {n1: {}, n1: {}}", .syntax),
            ("hosts: {n1: {", .syntax),
            ("types: {default: {host: x}}\nhosts: {n1: {}}", .unknownKey),
        ])
    func badCluster(text: String, code: InputError.Code) throws {
        let error = try #require(failure(text), "\(text)")
        #expect(error.code == code, "\(error)")
        #expect(error.file == "cluster.yaml")
        #expect(error.line != nil, "YAML errors have a line: \(error)")
    }

    @Test("an unknown key is placed and a fix suggested")
    func unknownKeyMessage() throws {
        let error = try #require(failure("hosts:\n  n1:\n    proccessors: 2\n"))
        #expect(error.description.hasPrefix("cluster.yaml:3:5: host 'n1': unknown key 'proccessors'."))
        #expect(error.description.contains("Did you mean 'processors'?"))
    }
}
