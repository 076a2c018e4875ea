import ClustmakeCommands
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Testing

/// A SLURM plan with dynamic dispatch (`--dispatch dynamic`, docs/handoff.md "Dynamic dispatch in an allocation"):
/// `slurm/run.sbatch` runs `clustmake run` of the pushed graph instead of the host scripts.
@Suite struct SlurmDynamicScriptTests {
    /// The executor's words, with paths that need quoting.
    static let executor = [
        "/home/o'brien/my tools/clustmake", "run", "--namespace", "hostile%ns,x=y@z", "--cluster",
        "/home/o'brien/$(reboot)/slurm.yaml", "--redis", "redis://login1:6379/0", "--redis-password-file",
        "/home/o'brien/.redis password", "--wait", "86400",
    ]

    static func options(executor: [String]? = SlurmDynamicScriptTests.executor) -> ScriptOptions {
        ScriptOptions(passwordFile: "/home/o'brien/.redis password", target: .slurm, executor: executor)
    }

    @Test("run.sbatch keeps the #SBATCH lines and execs the executor, quoted word by word; no host script is started")
    func batchScript() throws {
        let plan = try SlurmScriptTests.plan(
            SlurmScriptTests.slurm(.fromNodes(url: "redis://login1:6379/0")), namespace: "hostile%ns,x=y@z")
        let files = try SlurmScriptTests().files(plan, options: Self.options())
        let text = try #require(files["slurm/run.sbatch"])
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("#SBATCH") }.count == 12)
        #expect(
            text.contains(
                "\nexec '/home/o'\\''brien/my tools/clustmake' run --namespace hostile%ns,x=y@z --cluster "
                    + "'/home/o'\\''brien/$(reboot)/slurm.yaml' --redis redis://login1:6379/0 "
                    + "--redis-password-file '/home/o'\\''brien/.redis password' --wait 86400\n"), "\(text)")
        #expect(!text.contains("srun --"), "\(text)")
        #expect(text.contains("hosts/*.sh are the planned placement, for review only"))
        #expect(
            try #require(files["plan.json"]).hasPrefix(
                #"{"format":"clustmake-plan/1","target":"slurm","dispatch":"dynamic","#))
        #expect(try #require(files["summary.txt"]).contains("dispatch:  dynamic"))
        #expect(files["hosts/node1.sh"] != nil)
    }

    @Test("a dynamic plan's scripts pass sh -n, bash -n and shellcheck")
    func lint() throws {
        let plan = try SlurmScriptTests.plan(
            SlurmScriptTests.slurm(.fromNodes(url: "redis://login1:6379/0")), namespace: "hostile%ns,x=y@z")
        let directory = try TemporaryDirectory()
        // A `$` in single quotes is right, but shellcheck notes it (SC2016): the paths here have quotes and spaces.
        var executor = Self.executor
        executor[5] = "/home/o'brien/my runs/slurm.yaml"
        let written = try PlanDirectory(path: directory.path + "/plan").write(
            ScriptWriter(plan: plan, options: Self.options(executor: executor)))
        let scripts = written.files.filter { $0.hasSuffix(".sh") || $0.hasSuffix(".sbatch") }
        #expect(scripts.contains("slurm/run.sbatch"))
        try ScriptLintTests.check(scripts, in: directory.path + "/plan")
    }

    @Test("an executor for a plan that is not for SLURM, or with a line break, is refused")
    func refused() throws {
        let local = try #require(throws: ScriptError.self) {
            try ScriptWriter(
                plan: try Plans.small(), options: ScriptOptions(target: .local, executor: Self.executor))
        }
        #expect(local.code == .invalidOption, "\(local)")
        let plan = try SlurmScriptTests.plan(SlurmScriptTests.slurm(.fromNodes(url: "redis://login1:6379/0")))
        let hostile = try #require(throws: ScriptError.self) {
            try ScriptWriter(plan: plan, options: Self.options(executor: ["/bin/clustmake\nrm -rf /", "run"]))
        }
        #expect(hostile.code == .unsafeValue, "\(hostile)")
    }
}
