import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Testing

@Suite struct JobLineTests {
    static let settings = WorkerSettings(
        namespace: "pybv_experiments.first_order.go_parallel", redis: .tcp(host: "redisdb", port: 6379))

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var host: Host
        var instance: Int
        var nice: Int
        var settings: WorkerSettings
        var line: String
        var testDescription: String { name }
    }

    /// The contract: these lines are what users review and what the worker parses. Change them only with a
    /// versioned, documented change.
    static let cases: [Case] = [
        Case(
            name: "remote, as in compmake's documentation", host: Host(name: "nessa.cds.caltech.edu"), instance: 5,
            nice: 10, settings: settings,
            line: "ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 nessa.cds.caltech.edu "
                + "-R 13005:redisdb:6379 nice -n 10 compmake --hostname=nessa.cds.caltech.edu --db=redis "
                + "--redis_host=localhost:13005 --save_progress=False --slave pybv_experiments.first_order.go_parallel "
                + "make_single more=False wait=86400 -- v_olfaction180n-fields"),
        Case(
            name: "remote with ssh_config, port, username and options",
            host: Host(
                name: "lab2", address: "10.0.0.2", username: "alice", port: 2222, sshConfig: "/home/alice/.ssh/lab",
                sshOptions: ["-o", "Compression=yes", "-4"], tunnelPortBase: 14000, worker: "/opt/compmake/bin/compmake"
            ),
            instance: 1, nice: 19, settings: settings,
            line: "ssh -F /home/alice/.ssh/lab -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 "
                + "-p 2222 -o Compression=yes -4 alice@10.0.0.2 -R 14001:redisdb:6379 nice -n 19 "
                + "/opt/compmake/bin/compmake --hostname=lab2 --db=redis --redis_host=localhost:14001 "
                + "--save_progress=False --slave pybv_experiments.first_order.go_parallel make_single more=False "
                + "wait=86400 -- v_olfaction180n-fields"),
        Case(
            name: "remote, redis on a unix socket, more=True and another wait", host: Host(name: "n1"), instance: 0,
            nice: 0,
            settings: WorkerSettings(
                namespace: "ns", redis: .unix(path: "/run/redis/redis.sock"), more: true, waitSeconds: 600),
            line: "ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 n1 "
                + "-R 13000:/run/redis/redis.sock nice -n 0 compmake --hostname=n1 --db=redis "
                + "--redis_host=localhost:13000 --save_progress=False --slave ns make_single more=True wait=600 "
                + "-- v_olfaction180n-fields"),
        Case(
            name: "local: no ssh, redis reached directly", host: Host(name: "localhost", processors: 2, isLocal: true),
            instance: 1, nice: 10, settings: settings,
            line: "nice -n 10 compmake --hostname=localhost --db=redis --redis_host=redisdb:6379 --save_progress=False "
                + "--slave pybv_experiments.first_order.go_parallel make_single more=False wait=86400 "
                + "-- v_olfaction180n-fields"),
        Case(
            name: "local with a unix socket", host: Host(name: "here", isLocal: true), instance: 0, nice: 5,
            settings: WorkerSettings(namespace: "ns", redis: .unix(path: "/tmp/redis.sock")),
            line: "nice -n 5 compmake --hostname=here --db=redis --redis_host=unix:/tmp/redis.sock "
                + "--save_progress=False --slave ns make_single more=False wait=86400 -- v_olfaction180n-fields"),
        Case(
            name: "a local line does not name a password file either: the password comes on stdin",
            host: Host(name: "here", isLocal: true), instance: 0, nice: 10,
            settings: WorkerSettings(
                namespace: "ns", redis: .unix(path: "/p/.clustmake/redis/redis.sock"),
                passwordFile: "/p/.clustmake/redis/password"),
            line: "nice -n 10 compmake --hostname=here --db=redis --redis_host=unix:/p/.clustmake/redis/redis.sock "
                + "--save_progress=False --slave ns make_single more=False wait=86400 -- v_olfaction180n-fields"),
        Case(
            name: "a remote line does not name a password file: the file is on this machine",
            host: Host(name: "n1"), instance: 0, nice: 10,
            settings: WorkerSettings(
                namespace: "ns", redis: .unix(path: "/p/redis.sock"), passwordFile: "/p/password"),
            line: "ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 n1 -R 13000:/p/redis.sock "
                + "nice -n 10 compmake --hostname=n1 --db=redis --redis_host=localhost:13000 --save_progress=False "
                + "--slave ns make_single more=False wait=86400 -- v_olfaction180n-fields"),
        Case(
            name: "a worker path with a space and a quote is quoted for both shells",
            host: Host(
                name: "n2", sshOptions: ["-o", "ProxyCommand=ssh -W %h:%p gate"], worker: "/opt/my tools/bob's compmake"
            ),
            instance: 0, nice: 10, settings: WorkerSettings(namespace: "ns"),
            line: "ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 "
                + "-o 'ProxyCommand=ssh -W %h:%p gate' n2 -R 13000:localhost:6379 nice -n 10 "
                + #"\''/opt/my tools/bob'\'\\\'\''s compmake'\' --hostname=n2 --db=redis "#
                + "--redis_host=localhost:13000 --save_progress=False --slave ns make_single more=False wait=86400 "
                + "-- v_olfaction180n-fields"),
    ]

    @Test("the job line has compmake's form", arguments: cases)
    func line(_ example: Case) {
        let line = JobLine(
            jobID: "v_olfaction180n-fields", nice: example.nice, host: example.host, instance: example.instance,
            settings: example.settings)
        #expect(line.shellLine == example.line)
        #expect(line.isRemote == !example.host.isLocal)
    }

    @Test("argv quotes the remote words once and leaves local words alone")
    func argv() {
        let host = Host(name: "n2", worker: "/opt/my tools/compmake")
        let remote = JobLine(jobID: "j", nice: 10, host: host, instance: 0, settings: WorkerSettings(namespace: "ns"))
        #expect(remote.argv.prefix(1) == ["ssh"])
        #expect(remote.argv.contains("'/opt/my tools/compmake'"))
        #expect(remote.command[3] == "/opt/my tools/compmake")
        var local = host
        local.isLocal = true
        let direct = JobLine(jobID: "j", nice: 10, host: local, instance: 0, settings: WorkerSettings(namespace: "ns"))
        #expect(direct.argv == direct.command)
        #expect(direct.argv[3] == "/opt/my tools/compmake")
    }

    @Test("a job's own nice level wins over its host's")
    func niceFromJob() throws {
        let plan = try Plans.small()
        let settings = try ScriptOptions().settings(for: plan)
        let index = try #require(plan.graph.index(of: "fit-2"))
        #expect(JobLine(plan: plan, job: index, settings: settings).command.prefix(3) == ["nice", "-n", "19"])
        let other = try #require(plan.graph.index(of: "fit-1"))
        #expect(JobLine(plan: plan, job: other, settings: settings).command.prefix(3) == ["nice", "-n", "10"])
    }

    @Test("no job command and no password ever appears in a job line")
    func noSecrets() throws {
        let plan = try Plans.small()
        let withSecret = plan.changingCluster {
            $0.redis = .init(url: "redis://alice:s3cret@redisdb:6379/0", passwordFile: "/home/alice/.redis-password")
        }
        let writer = try ScriptWriter(plan: withSecret)
        var text = String(decoding: writer.runAllScript() + writer.planJSON(), as: UTF8.self)
        for host in plan.cluster.hosts.indices { text += String(decoding: try writer.hostScript(host), as: UTF8.self) }
        #expect(!text.contains("s3cret"))
        #expect(!text.contains("redis-password"))
        #expect(!text.contains("make prepare"))
        #expect(text.contains("-R 13000:redisdb:6379"))
    }

    @Test("on a host with tunnel: unix the line opens no tunnel and the worker connects to its master's socket")
    func unixTunnel() {
        let host = Host(name: "n1", tunnel: .unix)
        let socket = "/run/user/1000/clustmake/ns-n1.sock"
        let line = JobLine(
            jobIDs: ["j"], nice: 10, host: host, instance: 3, settings: WorkerSettings(namespace: "ns"),
            tunnelSocket: socket)
        #expect(
            line.shellLine
                == "ssh -n -o BatchMode=yes -o ExitOnForwardFailure=yes -o ConnectTimeout=10 n1 nice -n 10 compmake "
                + "--hostname=n1 --db=redis --redis_host=unix:/run/user/1000/clustmake/ns-n1.sock "
                + "--save_progress=False --slave ns make_single more=False wait=86400 -- j")
        #expect(!line.argv.contains("-R"))
        let database = JobLine(
            jobIDs: ["j"], nice: 10, host: host, instance: 0,
            settings: WorkerSettings(namespace: "ns", redis: .tcp(host: "db", port: 6379, database: 2)),
            tunnelSocket: socket)
        #expect(database.command.contains("--redis_host=unix:/run/user/1000/clustmake/ns-n1.sock?db=2"))
        #expect(TunnelSocket.path(directory: "/d", namespace: "ns", host: host) == "/d/ns-n1.sock")
    }

    @Test("a tunnel directory that is relative, carries ':' or makes the socket path too long is refused")
    func unixTunnelDirectoryProblems() {
        let host = Host(name: "n1", tunnel: .unix)
        #expect(TunnelSocket.problem(directory: "/home/alice/.cache/clustmake", namespace: "ns", host: host) == nil)
        #expect(TunnelSocket.problem(directory: "home/clustmake", namespace: "ns", host: host) != nil)
        #expect(TunnelSocket.problem(directory: "/a:b/clustmake", namespace: "ns", host: host) != nil)
        let long = "/" + String(repeating: "d", count: 100)
        #expect(TunnelSocket.problem(directory: long, namespace: "ns", host: host)?.contains("longer than 103") == true)
    }
}
