import ClustmakeCommands
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Testing

/// A plan written for SLURM (`--target slurm`): one host script per node, `slurm/run.sbatch` and
/// `slurm/submit.sh` (docs/handoff.md, "SLURM").
@Suite struct SlurmScriptTests {
    static func slurm(_ route: Cluster.Slurm.RedisRoute, nodes: Int = 3) -> Cluster.Slurm {
        Cluster.Slurm(
            nodes: nodes, processors: 2, partition: "batch", account: "lab-42", timeLimit: 93_600, memory: "4G",
            qos: "normal", constraint: "intel&ib", sbatch: ["--exclusive", "--comment=it's \"mine\" & yours"],
            redis: route)
    }

    /// The small plan on a SLURM cluster of `slurm.nodes` nodes, with a worker path that needs quoting.
    static func plan(_ slurm: Cluster.Slurm, namespace: String = "demo") throws -> Plan {
        let hosts = (1...slurm.nodes).map {
            Host(
                name: Cluster.Slurm.nodeName($0), processors: slurm.processors, worker: "/opt/my tools/o'compmake",
                isLocal: true)
        }
        let cluster = Cluster(hosts: hosts, redis: .init(url: "redis://127.0.0.1:6390/0"), slurm: slurm)
        var graph = try Plans.small().graph
        graph = try JobGraph(namespace: namespace, jobs: graph.jobs)
        return Plans.greedy(graph, on: cluster)
    }

    static let options = ScriptOptions(passwordFile: "/home/alice/.redis password", target: .slurm)

    func files(_ plan: Plan, options: ScriptOptions = SlurmScriptTests.options) throws -> [String: String] {
        let writer = try ScriptWriter(plan: plan, options: options)
        var files: [String: String] = [:]
        for file in PlanDirectory.files(of: writer) {
            var bytes: [UInt8] = []
            try file.contents { bytes += $0 }
            files[file.path] = String(decoding: bytes, as: UTF8.self)
        }
        return files
    }

    @Test("a SLURM plan has one host script per node, run.sbatch and submit.sh, and no run-all.sh")
    func layout() throws {
        let files = try files(try Self.plan(Self.slurm(.fromNodes(url: "redis://login1:6379/2"))))
        #expect(
            files.keys.sorted() == [
                ".clustmake-plan", "hosts/node1.sh", "hosts/node2.sh", "hosts/node3.sh", "plan.json",
                "slurm/run.sbatch", "slurm/submit.sh", "summary.txt",
            ])
        #expect(try #require(files["plan.json"]).hasPrefix(#"{"format":"clustmake-plan/1","target":"slurm","#))
        let local = try self.files(try Plans.small(), options: ScriptOptions())
        #expect(try #require(local["plan.json"]).hasPrefix(#"{"format":"clustmake-plan/1","namespace":"#))
    }

    @Test("run.sbatch carries the slurm section as #SBATCH lines and starts each host script on its own node")
    func batchScript() throws {
        let text = try #require(
            try files(try Self.plan(Self.slurm(.fromNodes(url: "redis://login1:6379/2"))))[
                "slurm/run.sbatch"])
        let directives = text.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") }
        #expect(
            directives == [
                "#SBATCH --job-name=clustmake-demo", "#SBATCH --nodes=3", "#SBATCH --ntasks-per-node=1",
                "#SBATCH --cpus-per-task=2", "#SBATCH --partition=batch", "#SBATCH --account=lab-42",
                "#SBATCH --qos=normal", "#SBATCH --time=1-02:00:00", "#SBATCH --mem=4G",
                "#SBATCH --constraint=intel&ib", "#SBATCH --exclusive", "#SBATCH --comment=it's \"mine\" & yours",
            ])
        // sbatch reads #SBATCH lines only before the first command.
        let firstCommand = try #require(text.split(separator: "\n").firstIndex { !$0.hasPrefix("#") && !$0.isEmpty })
        #expect(text.split(separator: "\n")[..<firstCommand].filter { $0.hasPrefix("#SBATCH") }.count == 12)
        for node in 0..<3 {
            #expect(
                text.contains("srun --nodes=1 --ntasks=1 --relative=\(node) sh \"$plan\"/hosts/node\(node + 1).sh &"))
        }
        #expect(text.contains("wait \"$pid_2\" || failed node3 $?"))
    }

    @Test("job lines run the worker on the node, at the from_nodes address, reading the password file there")
    func jobLinesFromNodes() throws {
        let files = try files(try Self.plan(Self.slurm(.fromNodes(url: "redis://login1:6379/2"))))
        let script = try #require(files["hosts/node1.sh"])
        let line = try #require(script.split(separator: "\n").first { $0.contains("make_single") })
        #expect(line.hasPrefix("    nice -n 10 '/opt/my tools/o'\\''compmake' --hostname=node1 --db=redis "))
        // The password file, read on the node, is the worker's standard input: one delivery, as for every line.
        #expect(line.contains(" --redis_host=redis://login1:6379/2 --redis_password_stdin "))
        #expect(line.contains(" -- prepare <'/home/alice/.redis password' & wait $!"))
        #expect(!script.split(separator: "\n").contains { $0.contains("ssh ") && !$0.hasPrefix("#") })
        #expect(
            try #require(files["slurm/run.sbatch"]).contains(
                "redis:     redis://login1:6379/2 (as seen from the nodes)"))
    }

    @Test("through a tunnel, node K opens ssh -L to the login host and its workers use port tunnel_port + K - 1")
    func tunnel() throws {
        let files = try files(try Self.plan(Self.slurm(.tunnel(loginHost: "login1", portBase: 14000))))
        let busy = (1...3).filter { try! #require(files["hosts/node\($0).sh"]).contains("make_single") }
        #expect(!busy.isEmpty)
        for node in busy {
            let script = try #require(files["hosts/node\(node).sh"])
            #expect(script.contains("-L \(14000 + node - 1):127.0.0.1:6390 login1; then"), "\(script)")
            #expect(script.contains("trap 'ssh -S \"$tunnel_socket\" -O exit login1 2>/dev/null' EXIT"))
            for line in script.split(separator: "\n") where line.contains("make_single") {
                #expect(line.contains(" --redis_host=localhost:\(14000 + node - 1) "))
            }
        }
    }

    @Test("the target must fit the cluster: slurm needs a slurm section, and a slurm section needs --target slurm")
    func targetMismatch() throws {
        let slurmPlan = try Self.plan(Self.slurm(.tunnel(loginHost: "login1", portBase: 13000)))
        #expect(throws: ScriptError.self) { try ScriptWriter(plan: slurmPlan, options: ScriptOptions()) }
        #expect(throws: ScriptError.self) { try ScriptWriter(plan: try Plans.small(), options: Self.options) }
        do {
            _ = try ScriptWriter(plan: slurmPlan, options: ScriptOptions())
        } catch {
            #expect(error.fix?.contains("--target slurm") == true, "\(error)")
        }
    }

    @Test(
        "a slurm setting with a line break, built in code past the loader, is refused before any script is written",
        arguments: [
            { (slurm: inout Cluster.Slurm) in slurm.partition = "batch\n#SBATCH --x" },
            { (slurm: inout Cluster.Slurm) in slurm.sbatch = ["--a\u{0}b"] },
            { (slurm: inout Cluster.Slurm) in slurm.redis = .tunnel(loginHost: "l\nx", portBase: 13000) },
        ] as [@Sendable (inout Cluster.Slurm) -> Void])
    func hostile(change: @Sendable (inout Cluster.Slurm) -> Void) throws {
        var slurm = Self.slurm(.fromNodes(url: "redis://login1:6379/0"))
        change(&slurm)
        let error = try #require(throws: ScriptError.self) {
            try ScriptWriter(plan: try Self.plan(slurm), options: Self.options)
        }
        #expect(error.code == .unsafeValue, "\(error)")
    }

    @Test(
        "a SLURM plan's scripts, in allocation and in per-job mode, pass sh -n, bash -n and shellcheck",
        arguments: [
            Cluster.Slurm.RedisRoute.fromNodes(url: "redis://login1:6379/0"),
            .tunnel(loginHost: "login1.hpc", portBase: 13000),
        ], [PlanTarget.slurm, .slurmJobs])
    func lint(route: Cluster.Slurm.RedisRoute, target: PlanTarget) throws {
        if target == .slurmJobs {
            let plan = try SlurmJobsScriptTests.plan(
                SlurmJobsScriptTests.jobs, route: route, namespace: "hostile%ns,x=y@z")
            let scripts = try Self.lintWritten(plan, target: target)
            #expect(scripts.count == SlurmJobsScriptTests.jobs.count + 1)
            return
        }
        let plan = try Self.plan(Self.slurm(route), namespace: "hostile%ns,x=y@z")
        let scripts = try Self.lintWritten(plan, target: .slurm)
        #expect(scripts.count == plan.cluster.hosts.count + 2)
    }

    /// Writes `plan` for `target` with the embedded redis of a directory that needs quoting, checks its scripts
    /// with sh -n, bash -n and shellcheck, and returns their paths in the plan directory.
    static func lintWritten(_ plan: Plan, target: PlanTarget) throws -> [String] {
        let directory = try TemporaryDirectory()
        let embedded = ScriptOptions(
            redis: .unix(path: "/home/o'brien/my runs/.clustmake/redis/redis.sock"),
            passwordFile: "/home/o'brien/my runs/.clustmake/redis/password", target: target)
        let written = try PlanDirectory(path: directory.path + "/plan").write(
            ScriptWriter(plan: plan, options: embedded))
        let scripts = written.files.filter { $0.hasSuffix(".sh") || $0.hasSuffix(".sbatch") }
        try ScriptLintTests.check(scripts, in: directory.path + "/plan")
        if target == .slurmJobs {
            let all = try Shell.run(
                ["shellcheck", "--enable=all", "--exclude=SC2250,SC2312", "--format=gcc"] + scripts,
                directory: directory.path + "/plan")
            #expect(all.status == 0, "shellcheck --enable=all found:\n\(all.stdout)\(all.stderr)")
        }
        return scripts
    }
}
