import ClustmakeCommands
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Testing

/// The generated scripts pass `sh -n`, `bash -n` and shellcheck, even with hostile-but-valid settings.
@Suite struct ScriptLintTests {
    /// A plan on many hosts whose settings need every kind of quoting: spaces and quotes in the worker path,
    /// ssh options with spaces, an ssh_config path with a space, a redis unix socket, local and idle hosts.
    static func hostilePlan() throws -> Plan {
        func id(_ index: Int) -> String { "job-\(index)%x,y=z@w:v+u.t" }
        var jobs: [Job] = []
        for index in 0..<120 {
            let deps: [String] = index > 0 ? [id(index / 2)] : []
            let nice: Int? = index % 7 == 0 ? -5 : nil
            jobs.append(
                Job(
                    id: id(index), command: .shell("echo '$(rm -rf /)'"), deps: deps, cost: Double(1 + index % 5),
                    nice: nice))
        }
        var hosts = [
            Host(
                name: "odd", address: "odd.example.org", username: "o'brien", processors: 3, port: 2200,
                sshConfig: "/home/o'brien/ssh config",
                sshOptions: ["-o", "ProxyCommand=ssh -W %h:%p \"gate way\"", "-C"],
                worker: "/opt/my tools/bob's \"compmake\" $HOME `id` *"),
            Host(name: "here", processors: 2, worker: "/usr/local/bin/comp make", isLocal: true),
            Host(name: "idle", processors: 2),
        ]
        for index in 0..<40 {
            hosts.append(Host(name: "node\(index)", address: "10.1.0.\(index)", processors: 1 + index % 3))
        }
        let cluster = Cluster(hosts: hosts, redis: .init(url: "unix:///run/redis dir/redis's.sock"))
        var plan = Plans.greedy(try JobGraph(namespace: "hostile.ns", jobs: jobs), on: cluster)
        // Keep "idle" idle: move its jobs to the first slot of "odd".
        let idleSlots = Set(plan.slots.indices.filter { plan.slots[$0].host == 2 })
        var sequences = plan.sequences
        var placements = plan.placements
        for slot in idleSlots {
            for job in sequences[slot] {
                placements[Int(job)].slot = 0
                placements[Int(job)].order = Int32(sequences[0].count)
                sequences[0].append(job)
            }
            sequences[slot] = []
        }
        plan = Plan(
            graph: plan.graph, cluster: cluster, slots: plan.slots, costs: plan.costs, placements: placements,
            sequences: sequences, makespan: plan.makespan, lowerBound: plan.lowerBound, criticalPath: plan.criticalPath)
        return plan
    }

    /// The embedded redis of a directory whose path needs quoting.
    static let embedded = ScriptOptions(
        redis: .unix(path: "/home/o'brien/my runs/.clustmake/redis/redis.sock"),
        passwordFile: "/home/o'brien/my runs/.clustmake/redis/password",
        redisStart: ["/opt/my tools/clust make", "redis", "start", "--state-dir", "/home/o'brien/my runs/.clustmake"])

    @Test(
        "every generated script passes sh -n, bash -n and shellcheck without a single finding",
        arguments: [ScriptOptions(), embedded])
    func lint(options: ScriptOptions) throws {
        let plan = try Self.hostilePlan()
        let directory = try TemporaryDirectory()
        let written = try PlanDirectory(path: directory.path + "/plan").write(
            ScriptWriter(plan: plan, options: options))
        let scripts = written.files.filter { $0.hasSuffix(".sh") }
        #expect(scripts.count == plan.cluster.hosts.count + 1)
        try Self.check(scripts, in: directory.path + "/plan")
    }

    /// Expects `sh -n`, `bash -n` and shellcheck to pass `scripts` (paths relative to `directory`) without a finding.
    static func check(_ scripts: [String], in directory: String) throws {
        for checker in [["sh", "-n"], ["bash", "-n"]] {
            for script in scripts {
                let result = try Shell.run(checker + [directory + "/" + script])
                #expect(result.status == 0, "\(checker.joined(separator: " ")) \(script): \(result.stderr)")
            }
        }
        let shellcheck = try Shell.run(["shellcheck", "--format=gcc"] + scripts, directory: directory)
        #expect(shellcheck.status == 0, "shellcheck found:\n\(shellcheck.stdout)\(shellcheck.stderr)")
    }

    @Test(
        "the small plan's scripts pass shellcheck with every optional check enabled",
        arguments: [ScriptOptions(), embedded])
    func lintStrict(options: ScriptOptions) throws {
        let directory = try TemporaryDirectory()
        let written = try PlanDirectory(path: directory.path + "/plan").write(
            ScriptWriter(plan: try Plans.small(), options: options))
        let scripts = written.files.filter { $0.hasSuffix(".sh") }
        let result = try Shell.run(
            ["shellcheck", "--enable=all", "--exclude=SC2250,SC2312", "--format=gcc"] + scripts,
            directory: directory.path + "/plan")
        #expect(result.status == 0, "shellcheck --enable=all found:\n\(result.stdout)\(result.stderr)")
    }
}
