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

    /// Found by the cluster fuzzer (scripts/fuzz.sh cluster): a YAML complex key (`? …`) in `types`, `hosts` or a
    /// job's `env` was listed among the keys under a name no lookup found, and the loader trapped.
    @Test(
        "a complex YAML key (? {nice: 10}) is an error with its place, never a crash",
        arguments: [
            "types:\n  default:\n    processors: 4\n  ?  nice: 10\nhosts:\n  n1: {}\n",
            "types:\n  ? {nice: 10}\n  : {processors: 2}\nhosts:\n  n1: {type: x}\n",
            "hosts:\n  ? [a, b]\n  : {processors: 2}\n",
        ])
    func complexKey(text: String) throws {
        let error = try #require(failure(text), "loaded: \(text)")
        #expect(error.file == "cluster.yaml" && error.line != nil, "\(error)")
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

    @Test(
        "a control character in any setting that reaches ssh or a script is refused where it is written, escaped",
        arguments: [
            (#"hosts: {n1: {worker: "/opt/bin/compmake\0x"}}"#, "'worker' holds a NUL byte at character 18"),
            (#"hosts: {n1: {worker: "/opt/\e[2Jcompmake"}}"#, "'worker' holds the control character U+001B"),
            (#"hosts: {n1: {ssh_config: "/home/a/cfg\n"}}"#, "'ssh_config' holds the control character U+000A"),
            (#"hosts: {n1: {ssh_options: ["-o", "ProxyCommand=x\0"]}}"#, "'ssh_options' holds a NUL byte"),
            (#"hosts: {n1: {username: "al\u202Eice"}}"#, "'username' holds the control character U+202E"),
            (#"redis: {url: "redis://db\0:6379"}"# + "\nhosts: {n1: {}}", "'url' holds a NUL byte"),
        ])
    func controlCharacters(text: String, expected: String) throws {
        let error = try #require(failure(text), "\(text)")
        #expect(error.code == .invalidValue, "\(error)")
        #expect(error.line != nil && error.description.contains(expected), "\(error)")
        #expect(!error.description.unicodeScalars.contains { Format.isUnsafeOnTerminal($0) }, "\(error)")
    }

    @Test("an unknown key is placed and a fix suggested")
    func unknownKeyMessage() throws {
        let error = try #require(failure("hosts:\n  n1:\n    proccessors: 2\n"))
        #expect(error.description.hasPrefix("cluster.yaml:3:5: host 'n1': unknown key 'proccessors'."))
        #expect(error.description.contains("Did you mean 'processors'?"))
    }

    @Test("a merge key (<<: *base) fills a host's settings, and the host's own keys win")
    func mergeKey() throws {
        let cluster = try load(
            """
            types:
              big: &base
                username: alice
                processors: 4
                nice: 5
            hosts:
              n1:
                <<: *base
                host: n1.lab
                processors: 8
              n2: {<<: *base}
            """)
        let (n1, n2) = (cluster.hosts[0], cluster.hosts[1])
        #expect(n1.address == "n1.lab" && n1.username == "alice" && n1.processors == 8 && n1.nice == 5)
        #expect(n2.address == "n2" && n2.username == "alice" && n2.processors == 4 && n2.nice == 5)
    }

    @Test("a list of merged mappings: an earlier mapping wins over a later one, explicit keys over both")
    func mergeList() throws {
        let cluster = try load(
            """
            types:
              fast: &fast {processors: 16, speed: 2}
              lab: &lab {processors: 2, username: bob, nice: 3}
            hosts:
              n1:
                <<: [*fast, *lab]
                nice: 7
            """)
        let host = cluster.hosts[0]
        #expect(host.processors == 16 && host.speed == 2 && host.username == "bob" && host.nice == 7)
    }

    @Test("a bad value that comes through a merge key is reported where it is written")
    func mergedErrorPlace() throws {
        let error = try #require(
            failure(
                """
                types:
                  base: &base
                    processors: 0
                hosts:
                  n1:
                    <<: *base
                """))
        #expect(error.description.hasPrefix("cluster.yaml:3:17: host 'n1': 'processors' is 0"), "\(error)")
        let unknown = try #require(
            failure("types:\n  base: &base {proccessors: 2}\nhosts:\n  n1: {<<: *base}\n"))
        #expect(unknown.code == .unknownKey)
        #expect(unknown.line == 2 && unknown.column == 16, "\(unknown)")
    }

    @Test(
        "a merge key that names no mapping is refused at its value",
        arguments: [
            ("hosts:\n  n1:\n    <<: 4\n", 3, 9),
            // The list the alias names, where it is written (from its anchor).
            ("a: &a [1]\nhosts:\n  n1:\n    <<: [*a]\n", 1, 4),
        ])
    func badMerge(text: String, line: Int, column: Int) throws {
        let error = try #require(failure(text))
        #expect(error.code == .wrongType, "\(error)")
        #expect(error.message.contains("merge key '<<'"), "\(error)")
        #expect(error.line == line && error.column == column, "\(error)")
    }

    @Test("a quoted '<<' is an ordinary key, refused as unknown")
    func quotedMergeKey() throws {
        let error = try #require(failure("hosts:\n  n1: {'<<': {processors: 2}}\n"))
        #expect(error.code == .unknownKey && error.message.contains("'<<'"), "\(error)")
    }

    @Test("nested aliases are resolved once each, not expanded", .timeLimit(.minutes(1)))
    func aliasBomb() throws {
        var text = "types:\n  t0: &l0 {a: 1}\n"
        for level in 1...40 {
            text += "  t\(level): {ssh_options: &l\(level) [*l\(level - 1), *l\(level - 1)]}\n"
        }
        text += "hosts:\n  n1: {<<: *l0, ssh_options: *l40}\n"
        let error = try #require(failure(text))
        #expect(error.code == .unknownKey, "\(error)")
    }

    @Test("compmake's top-level cluster_nice is every host's nice, unless the host or its type sets one")
    func clusterNice() throws {
        let cluster = try load(
            """
            cluster_nice: 4
            types:
              quiet: {nice: 19}
            hosts:
              n1: {}
              n2: {nice: -2}
              n3: {type: quiet}
            """)
        #expect(cluster.hosts.map(\.nice) == [4, -2, 19])
        #expect(try load("hosts: {n1: {}}").hosts[0].nice == 10)
        let error = try #require(failure("cluster_nice: 30\nhosts: {n1: {}}\n"))
        #expect(error.code == .invalidValue && error.line == 1 && error.column == 15, "\(error)")
    }

    @Test("tunnel: unix or tcp per host, from its type or the file's top level; tcp when nothing sets it")
    func tunnel() throws {
        let cluster = try load(
            """
            tunnel: unix
            types:
              old: {tunnel: tcp}
            hosts:
              n1: {}
              n2: {tunnel: tcp}
              n3: {type: old}
            """)
        #expect(cluster.hosts.map(\.tunnel) == [.unix, .tcp, .tcp])
        let typed = try load("types: {default: {tunnel: unix}}\nhosts: {n1: {}, n2: {tunnel: tcp}}")
        #expect(typed.hosts.map(\.tunnel) == [.unix, .tcp])
        #expect(try load("hosts: {n1: {}}").hosts[0].tunnel == .tcp)
        // A unix tunnel is part of the cluster's fingerprint; the fingerprint of a tcp cluster stays as it was.
        #expect(typed.fingerprint != (try load("hosts: {n1: {}, n2: {tunnel: tcp}}")).fingerprint)
        #expect(try load("hosts: {n1: {tunnel: tcp}}").fingerprint == (try load("hosts: {n1: {}}")).fingerprint)
    }

    @Test(
        "a tunnel other than unix or tcp is refused where it is written, with the fix",
        arguments: [
            ("hosts:\n  n1: {tunnel: ssh}\n", 2, 16),
            ("tunnel: socket\nhosts: {n1: {}}\n", 1, 9),
            ("types:\n  default: {tunnel: 3}\nhosts: {n1: {}}\n", 2, 21),
        ])
    func badTunnel(text: String, line: Int, column: Int) throws {
        let error = try #require(failure(text), "\(text)")
        #expect(error.code == .invalidValue || error.code == .wrongType, "\(error)")
        #expect(error.file == "cluster.yaml" && error.line == line && error.column == column, "\(error)")
        #expect(error.fix?.contains("tunnel: unix") == true, "\(error)")
    }
}
