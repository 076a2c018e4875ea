import ClustmakeInput
import ClustmakeModel
import Testing

/// The `slurm:` section (docs/cluster.md, "`slurm`").
extension ClusterLoaderTests {
    @Test("a slurm section becomes one local host per node, with every #SBATCH setting kept")
    func fullSection() throws {
        let cluster = try load(
            """
            cluster_nice: 5
            slurm:
              nodes: 3
              processors: 4
              partition: batch
              account: lab-42
              time: "1-12:30:00"
              memory: 16G
              qos: normal
              constraint: "intel&ib"
              sbatch: ["--gres=gpu:1", "--mail-type=END"]
              worker: /opt/clustmake/bin/compmake
              redis: {from_nodes: "redis://login1:6379/2"}
            redis: {password_file: /home/alice/.redis-pass}
            """)
        let slurm = try #require(cluster.slurm)
        #expect(cluster.hosts.map(\.name) == ["node1", "node2", "node3"])
        #expect(cluster.hosts.allSatisfy { $0.isLocal && $0.processors == 4 && $0.nice == 5 })
        #expect(cluster.hosts[0].worker == "/opt/clustmake/bin/compmake")
        #expect(cluster.slots.count == 12)
        #expect(slurm.nodes == 3 && slurm.processors == 4)
        #expect(slurm.partition == "batch" && slurm.account == "lab-42" && slurm.qos == "normal")
        #expect(slurm.timeLimit == 86_400 + 12 * 3600 + 30 * 60)
        #expect(slurm.memory == "16G" && slurm.constraint == "intel&ib")
        #expect(slurm.sbatch == ["--gres=gpu:1", "--mail-type=END"])
        #expect(slurm.redis == .fromNodes(url: "redis://login1:6379/2"))
        #expect(cluster.redis.passwordFile == "/home/alice/.redis-pass")
    }

    @Test("max_submit caps a per-job submission's queued jobs: 1000 by default, not part of the fingerprint")
    func maxSubmit() throws {
        let plain = try load("slurm: {nodes: 2, redis: {tunnel: l}}")
        #expect(plain.slurm?.maxSubmit == 1000)
        let small = try load("slurm: {nodes: 2, max_submit: 3, redis: {tunnel: l}}")
        #expect(small.slurm?.maxSubmit == 3)
        // Changing it changes how a plan is submitted, not the plan: a plan made before still submits.
        #expect(small.fingerprint == plain.fingerprint)
    }

    @Test("a tunnel to the login host numbers its ports from tunnel_port, 13000 by default")
    func slurmTunnel() throws {
        let plain = try load("slurm: {nodes: 2, redis: {tunnel: login1.hpc}}")
        #expect(plain.slurm?.redis == .tunnel(loginHost: "login1.hpc", portBase: 13000))
        let custom = try load("slurm: {nodes: 2, redis: {tunnel: login1, tunnel_port: 20000}}")
        #expect(custom.slurm?.redis == .tunnel(loginHost: "login1", portBase: 20000))
    }

    @Test(
        "SLURM's time formats are read as sbatch reads them",
        arguments: [
            ("30", 1800), ("90:15", 5415), ("2:00:00", 7200), ("3-0", 259_200), ("1-2", 93_600),
            ("1-02:30", 95_400), ("1-02:30:05", 95_405),
        ])
    func times(text: String, seconds: Int) throws {
        #expect(try load("slurm: {nodes: 1, time: \"\(text)\", redis: {tunnel: l}}").slurm?.timeLimit == seconds)
        #expect(Cluster.Slurm.seconds(ofTime: text) == seconds)
    }

    @Test("a time limit is written back in a form sbatch reads")
    func timeText() {
        #expect(Cluster.Slurm.timeText(seconds: 95_405) == "1-02:30:05")
        #expect(Cluster.Slurm.timeText(seconds: 3_600) == "01:00:00")
        #expect(Cluster.Slurm.seconds(ofTime: Cluster.Slurm.timeText(seconds: 200_000)) == 200_000)
    }

    @Test(
        "hostile or impossible slurm values are refused with their line and column",
        arguments: [
            ("slurm: {nodes: 0, redis: {tunnel: l}}", InputError.Code.invalidValue, "outside 1…100000"),
            ("slurm: {redis: {tunnel: l}}", .missingKey, "'nodes'"),
            ("slurm: {nodes: 2}", .missingKey, "'redis'"),
            ("slurm: {nodes: 2, redis: {}}", .missingKey, "neither from_nodes nor tunnel"),
            ("slurm: {nodes: 2, redis: {tunnel: l, from_nodes: 'redis://a:1'}}", .invalidValue, "both"),
            ("slurm: {nodes: 2, redis: {from_nodes: 'unix:///tmp/r.sock'}}", .invalidValue, "unix socket"),
            ("slurm: {nodes: 2, redis: {from_nodes: 'redis://:pw@a:1'}}", .invalidValue, "password"),
            ("slurm: {nodes: 2, redis: {tunnel: -oProxyCommand=x}}", .invalidValue, "starts with '-'"),
            ("slurm: {nodes: 2, redis: {tunnel: l, tunnel_port: 65535}}", .invalidValue, "past 65535"),
            ("slurm: {nodes: 2, partition: 'batch;rm -rf ~', redis: {tunnel: l}}", .invalidValue, "contains ';'"),
            ("slurm: {nodes: 2, account: '$(id)', redis: {tunnel: l}}", .invalidValue, "contains '$'"),
            ("slurm: {nodes: 2, account: \"a\\nb\", redis: {tunnel: l}}", .invalidValue, "U+000A"),
            ("slurm: {nodes: 2, partition: -p, redis: {tunnel: l}}", .invalidValue, "starts with '-'"),
            ("slurm: {nodes: 2, qos: 'a b', redis: {tunnel: l}}", .invalidValue, "contains ' '"),
            ("slurm: {nodes: 2, constraint: 'a`id`', redis: {tunnel: l}}", .invalidValue, "contains '`'"),
            ("slurm: {nodes: 2, memory: 16 GB, redis: {tunnel: l}}", .invalidValue, "not a SLURM size"),
            ("slurm: {nodes: 2, time: '1:2:3:4', redis: {tunnel: l}}", .invalidValue, "not a SLURM time"),
            ("slurm: {nodes: 2, time: 'soon', redis: {tunnel: l}}", .invalidValue, "not a SLURM time"),
            ("slurm: {nodes: 2, time: 0, redis: {tunnel: l}}", .invalidValue, "outside"),
            ("slurm: {nodes: 2, time: '00:00', redis: {tunnel: l}}", .invalidValue, "not a SLURM time"),
            (
                "slurm: {nodes: 2, sbatch: [\"--gres=gpu:1\\n#SBATCH --x\"], redis: {tunnel: l}}", .invalidValue,
                "U+000A"
            ),
            ("slurm: {nodes: 2, sbatch: [\"--a\\u0000b\"], redis: {tunnel: l}}", .invalidValue, "NUL byte"),
            ("slurm: {nodes: 2, sbatch: ['--output=$(id).log'], redis: {tunnel: l}}", .invalidValue, "substitution"),
            ("slurm: {nodes: 2, sbatch: ['#SBATCH --exclusive'], redis: {tunnel: l}}", .invalidValue, "not an sbatch"),
            ("slurm: {nodes: 2, sbatch: '--exclusive', redis: {tunnel: l}}", .wrongType, "list of strings"),
            ("slurm: {nodes: 2, partitions: a, redis: {tunnel: l}}", .unknownKey, "Did you mean 'partition'?"),
            ("slurm: {nodes: 2, redis: {tunnel: l}}\nhosts: {n1: {}}", .invalidValue, "both 'hosts' and a 'slurm'"),
            ("slurm: {nodes: 2, redis: {tunnel: l}}\ntypes: {big: {}}", .invalidValue, "'types'"),
            ("redis: {url: 'redis://a:1'}", .missingKey, "or a 'slurm:' section"),
            (
                "slurm: {nodes: 2, max_submit: 0, redis: {tunnel: l}}", .invalidValue,
                "'max_submit' is 0, outside 1…100000"
            ),
            ("slurm: {nodes: 2, max_submit: 100001, redis: {tunnel: l}}", .invalidValue, "outside 1…100000"),
            ("slurm: {nodes: 2, max_submit: 2.5, redis: {tunnel: l}}", .wrongType, "whole number"),
            ("slurm: {nodes: 2, max_submit: lots, redis: {tunnel: l}}", .wrongType, "whole number"),
        ])
    func refused(text: String, code: InputError.Code, phrase: String) throws {
        let error = try #require(failure(text), "\(text)")
        #expect(error.code == code, "\(error)")
        #expect(error.description.contains(phrase), "\(error)")
        #expect(error.file == "cluster.yaml" && error.line != nil && error.column != nil, "\(error)")
        #expect(error.fix != nil, "\(error)")
    }

    @Test("a bad value is reported where it is written")
    func place() throws {
        let error = try #require(failure("slurm:\n  nodes: 2\n  partition: 'a|b'\n  redis: {tunnel: l}\n"))
        #expect(error.description.hasPrefix("cluster.yaml:3:14: slurm: partition 'a|b' contains '|'"), "\(error)")
    }

    @Test("the slurm section is part of the cluster's fingerprint; an ssh cluster's fingerprint is unchanged by it")
    func fingerprint() throws {
        let a = try load("slurm: {nodes: 2, partition: a, redis: {tunnel: l}}")
        let b = try load("slurm: {nodes: 2, partition: b, redis: {tunnel: l}}")
        #expect(a.fingerprint != b.fingerprint)
        let ssh = Cluster(hosts: a.hosts, redis: a.redis)
        #expect(ssh.fingerprint != a.fingerprint)
    }
}
