import ClustmakeCommands
import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Foundation
import Testing

/// A plan written for SLURM one job per job (`--target slurm-jobs`): `slurm/jobs/*.sbatch` and `slurm/submit.sh`
/// (docs/handoff.md, "SLURM, one job per job").
@Suite struct SlurmJobsScriptTests {
    static let options = ScriptOptions(passwordFile: "/home/alice/.redis password", target: .slurmJobs)

    /// A plan of `jobs` on the SLURM cluster of ``SlurmScriptTests``.
    static func plan(
        _ jobs: [Job], route: Cluster.Slurm.RedisRoute = .fromNodes(url: "redis://login1:6379/2"),
        namespace: String = "demo"
    ) throws -> Plan {
        let generic = try SlurmScriptTests.plan(SlurmScriptTests.slurm(route), namespace: namespace)
        return Plans.greedy(try JobGraph(namespace: namespace, jobs: jobs), on: generic.cluster)
    }

    /// Five jobs with every per-job setting: cores, memory, timeout, a nice of 0 or more and a negative one.
    static let jobs = [
        Job(id: "prepare", command: .shell("p"), cores: 4, memory: 3_000_000, timeout: 61),
        Job(id: "fit-1", command: .shell("f"), deps: ["prepare"], nice: 5),
        Job(id: "fit-2", command: .shell("f"), deps: ["prepare"], nice: -3, timeout: 7200),
        Job(id: "a:b@c%d", command: .shell("x"), deps: ["prepare"]),
        Job(id: "report", command: .shell("r"), deps: ["fit-1", "fit-2", "a:b@c%d"]),
    ]

    func files(_ plan: Plan) throws -> [String: String] {
        try SlurmScriptTests().files(plan, options: Self.options)
    }

    @Test("a per-job plan has one batch script per job, numbered in submission order, submit.sh, and no host scripts")
    func layout() throws {
        let files = try files(try Self.plan(Self.jobs))
        #expect(
            files.keys.sorted() == [
                ".clustmake-plan", "plan.json", "slurm/jobs/1-prepare.sbatch", "slurm/jobs/2-fit-1.sbatch",
                "slurm/jobs/3-fit-2.sbatch", "slurm/jobs/4-a_b_c_d.sbatch", "slurm/jobs/5-report.sbatch",
                "slurm/submit.sh", "summary.txt",
            ])
        #expect(try #require(files["plan.json"]).hasPrefix(#"{"format":"clustmake-plan/1","target":"slurm-jobs","#))
    }

    @Test("plan.json names each job's batch script, every one a file of the plan, and no host script")
    func planJSONNamesTheBatchScripts() throws {
        let files = try files(try Self.plan(Self.jobs))
        let json = try JSONValue.parse(Array(try #require(files["plan.json"]).utf8), source: "plan.json")
        let hosts = try #require(json["hosts"]?.arrayValue)
        #expect(!hosts.isEmpty && hosts.allSatisfy { $0["script"]?.isNull == true })
        let jobs = try #require(json["jobs"]?.arrayValue)
        let scripts = Dictionary(
            uniqueKeysWithValues: jobs.compactMap { job in
                job["id"]?.stringValue.map { ($0, job["script"]?.stringValue ?? "") }
            })
        #expect(scripts["prepare"] == "slurm/jobs/1-prepare.sbatch")
        #expect(scripts["a:b@c%d"] == "slurm/jobs/4-a_b_c_d.sbatch")
        #expect(scripts.count == Self.jobs.count && scripts.values.allSatisfy { files[$0] != nil }, "\(scripts)")
    }

    @Test("file names are unique and safe for ids that differ only in ':', '@', '%' or case, padded to one width")
    func fileNames() throws {
        let ids = ["a:1", "a@1", "a%1", "A%1", "a_1", "b"] + (1...6).map { "j\($0)" }
        let plan = try Self.plan(ids.map { Job(id: $0, command: .shell("x")) })
        let writer = try ScriptWriter(plan: plan, options: Self.options)
        let names = plan.graph.jobs.indices.map { writer.slurmJobFileName(position: $0) }
        #expect(Set(names.map { $0.lowercased() }).count == ids.count, "\(names)")
        #expect(names.allSatisfy { $0.count > 10 && $0.hasSuffix(".sbatch") && !$0.contains(where: ":@%/".contains) })
        #expect(names.allSatisfy { $0.prefix(2).allSatisfy(\.isNumber) && $0.dropFirst(2).hasPrefix("-") })
    }

    @Test("each batch script asks for the job's cores, memory, time and nice, and runs its worker line on the node")
    func batchScripts() throws {
        let files = try files(try Self.plan(Self.jobs))
        func directives(_ name: String) throws -> [String] {
            let text = try #require(files["slurm/jobs/" + name])
            // sbatch reads #SBATCH lines only before the first command.
            let lines = text.split(separator: "\n").map(String.init)
            let first = try #require(lines.firstIndex { !$0.hasPrefix("#") && !$0.isEmpty })
            #expect(lines[first...].allSatisfy { !$0.hasPrefix("#SBATCH") })
            return lines[..<first].filter { $0.hasPrefix("#SBATCH") }.map { String($0.dropFirst(8)) }
        }
        let common = ["--partition=batch", "--account=lab-42", "--qos=normal"]
        let constraint = ["--constraint=intel&ib"]
        let tail = ["--exclusive", "--comment=it's \"mine\" & yours"]
        // 3,000,000 bytes is 2.86 MiB, asked as 3M; 61 s is rounded up to 2 minutes.
        #expect(
            try directives("1-prepare.sbatch")
                == ["--job-name=clustmake-demo", "--nodes=1", "--ntasks=1", "--cpus-per-task=4"] + common
                + ["--time=00:02:00", "--mem=3M"] + constraint + tail)
        // No timeout or memory of its own: the cluster file's time and memory; its nice 5 goes to SLURM.
        #expect(
            try directives("2-fit-1.sbatch")
                == ["--job-name=clustmake-demo", "--nodes=1", "--ntasks=1", "--cpus-per-task=1"] + common
                + ["--time=1-02:00:00", "--mem=4G"] + constraint + ["--nice=5"] + tail)
        // A negative nice stays the worker's: SLURM would need an operator for it.
        let fit2 = try #require(files["slurm/jobs/3-fit-2.sbatch"])
        #expect(try directives("3-fit-2.sbatch").contains("--time=02:00:00"))
        #expect(try !directives("3-fit-2.sbatch").contains { $0.hasPrefix("--nice") })
        #expect(fit2.contains("#   nice:      -3 for the worker (nice -n); not given to SLURM"))
        let line = try #require(fit2.split(separator: "\n").first { $0.contains("make_single") })
        #expect(
            line
                == "nice -n -3 '/opt/my tools/o'\\''compmake' --hostname=\"${SLURMD_NODENAME:-$(uname -n)}\" "
                + "--db=redis --redis_host=redis://login1:6379/2 --redis_password_stdin --save_progress=False "
                + "--slave demo make_single more=False wait=86400 -- fit-2 <'/home/alice/.redis password'")
        #expect(!fit2.contains("ssh "))
    }

    @Test("through a tunnel each job opens its own port, tunnel_port + its position; too many jobs are refused")
    func tunnel() throws {
        let files = try files(try Self.plan(Self.jobs, route: .tunnel(loginHost: "login1", portBase: 14000)))
        for (position, name) in ["1-prepare", "2-fit-1", "3-fit-2", "4-a_b_c_d", "5-report"].enumerated() {
            let script = try #require(files["slurm/jobs/\(name).sbatch"])
            #expect(script.contains("-L \(14000 + position):127.0.0.1:6390 login1; then"), "\(script)")
            #expect(script.contains(" --redis_host=localhost:\(14000 + position) "))
            #expect(script.contains("trap 'ssh -S \"$tunnel_socket\" -O exit login1 2>/dev/null' EXIT"))
        }
        let crowded = try Self.plan(Self.jobs, route: .tunnel(loginHost: "login1", portBase: 65_533))
        let error = try #require(throws: ScriptError.self) {
            try ScriptWriter(plan: crowded, options: Self.options)
        }
        #expect(error.code == .unsafeValue && error.description.contains("65533…65537"), "\(error)")
    }

    /// Runs the plan's submit.sh with a fake `sbatch` that logs its arguments and answers `ID;cluster1` from 101.
    func submit(_ arguments: [String], plan directory: String) throws -> (output: String, calls: [String]) {
        let bin = directory + "/../bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try """
        #!/bin/sh
        n=$(cat "$0.n" 2>/dev/null || echo 100); n=$((n + 1)); echo "$n" >"$0.n"
        echo "$*" >>"$0.log"
        echo "$n;cluster1"
        """.write(toFile: bin + "/sbatch", atomically: true, encoding: .utf8)
        chmod(bin + "/sbatch", 0o755)
        try? FileManager.default.removeItem(atPath: bin + "/sbatch.log")
        let result = try Shell.run(
            ["sh", directory + "/slurm/submit.sh"] + arguments,
            environment: ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        #expect(result.status == 0, "\(result.stderr)")
        let log = (try? String(contentsOfFile: bin + "/sbatch.log", encoding: .utf8)) ?? ""
        return (
            result.stdout,
            log.split(separator: "\n").map { String($0.split(separator: " ")[2...].joined(separator: " ")) }
        )
    }

    @Test("submit.sh submits parents first, each with afterok on its parents' ids and kill-on-invalid-dep")
    func submitAll() throws {
        let directory = try TemporaryDirectory()
        let plan = directory.path + "/plan"
        _ = try PlanDirectory(path: plan).write(ScriptWriter(plan: try Self.plan(Self.jobs), options: Self.options))
        let (output, calls) = try submit([], plan: plan)
        #expect(output == "prepare 101\nfit-1 102\nfit-2 103\na:b@c%d 104\nreport 105\n")
        // The script names the plan directory as pwd does (TMPDIR may end with a '/').
        let absolute = plan.replacingOccurrences(of: "//", with: "/")
        let out = "--output=\(absolute)/slurm/jobs"
        #expect(
            calls == [
                "\(out)/1-prepare.out \(absolute)/slurm/jobs/1-prepare.sbatch",
                "--dependency=afterok:101 \(out)/2-fit-1.out \(absolute)/slurm/jobs/2-fit-1.sbatch",
                "--dependency=afterok:101 \(out)/3-fit-2.out \(absolute)/slurm/jobs/3-fit-2.sbatch",
                "--dependency=afterok:101 \(out)/4-a_b_c_d.out \(absolute)/slurm/jobs/4-a_b_c_d.sbatch",
                "--dependency=afterok:102:103:104 \(out)/5-report.out \(absolute)/slurm/jobs/5-report.sbatch",
            ], "\(calls)")
        let script = try String(contentsOfFile: plan + "/slurm/submit.sh", encoding: .utf8)
        #expect(script.contains("sbatch --parsable --kill-on-invalid-dep=yes "))
    }

    @Test(
        "with a state file, done jobs are neither submitted nor depended on, queued ones keep their id, held ones hold their children"
    )
    func submitState() throws {
        let directory = try TemporaryDirectory()
        let plan = directory.path + "/plan"
        _ = try PlanDirectory(path: plan).write(ScriptWriter(plan: try Self.plan(Self.jobs), options: Self.options))
        let state = directory.path + "/state"
        try "done prepare\nqueued fit-1 77\nheld a:b@c%d\nqueued nosuchjob 5\nqueued fit-2 $(id)\n".write(
            toFile: state, atomically: true, encoding: .utf8)
        let (output, calls) = try submit([state], plan: plan)
        // fit-2's id is no number: it counts as not submitted, so it is; report waits on a held job.
        #expect(output == "fit-2 101\n", "\(output)")
        #expect(calls.count == 1 && !calls[0].contains("--dependency"), "\(calls)")
        try "done prepare\n".write(toFile: state, atomically: true, encoding: .utf8)
        let limited = try submit([state, "2"], plan: plan)
        #expect(limited.output == "fit-1 102\nfit-2 103\n", "\(limited.output)")
    }
}
