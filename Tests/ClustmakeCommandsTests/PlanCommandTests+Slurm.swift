import ClustmakeJSON
import Foundation
import Testing

extension PlanCommandTests {
    /// A temporary directory with a password file (`password`, holding `secret`) and a cluster file `slurm.yaml`
    /// of `slurm` (the `slurm:` section's settings) whose redis reads that file.
    func slurmDirectory(_ slurm: String) throws -> (directory: URL, cluster: URL) {
        let directory = try CLI.temporaryDirectory()
        let password = directory.appendingPathComponent("password").path
        #expect(FileManager.default.createFile(atPath: password, contents: Data("secret\n".utf8)))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: password)
        let cluster = directory.appendingPathComponent("slurm.yaml")
        try """
        slurm: {\(slurm)}
        redis: {url: "redis://127.0.0.1:1/0", password_file: password}
        """.write(to: cluster, atomically: true, encoding: .utf8)
        return (directory, cluster)
    }

    /// Plans examples/hello.yaml for `target` on two SLURM nodes with a wall time of 2 s (``slurmDirectory(_:)``);
    /// expects it to succeed and to say to submit. The caller removes `directory`.
    func planHelloOnSlurm(target: String) throws -> (directory: URL, result: CLI.Result) {
        let (directory, cluster) = try slurmDirectory(
            #"nodes: 2, processors: 2, time: "0:02", redis: {from_nodes: "redis://login1:6379/0"}"#)
        let hello = examples.appendingPathComponent("hello.yaml").path
        let result = try CLI.run(
            ["plan", hello, "--cluster", cluster.path, "--target", target, "--no-push"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.hasSuffix("then run: clustmake submit plan --cluster \(cluster.path)\n"), "\(result.stdout)")
        return (directory, result)
    }

    @Test("--target slurm writes the SLURM files, warns when the makespan exceeds the time limit, says to submit")
    func slurmTarget() throws {
        let (directory, result) = try planHelloOnSlurm(target: "slurm")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.stdout.contains("Planned 6 jobs on 2 hosts (4 slots)"), "\(result.stdout)")
        #expect(
            result.stderr.contains("warning: the estimated makespan ")
                && result.stderr.contains(
                    "exceeds the wall-time limit 2.00 s of the cluster file's slurm: time"),
            "\(result.stderr)")
        let plan = directory.appendingPathComponent("plan")
        for file in ["hosts/node1.sh", "hosts/node2.sh", "slurm/run.sbatch", "slurm/submit.sh"] {
            #expect(FileManager.default.fileExists(atPath: plan.appendingPathComponent(file).path), "\(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: plan.appendingPathComponent("run-all.sh").path))
        let json = try JSONValue.parse(Array(try Data(contentsOf: plan.appendingPathComponent("plan.json"))))
        #expect(json["target"]?.stringValue == "slurm")
        let script = try String(contentsOf: plan.appendingPathComponent("hosts/node1.sh"), encoding: .utf8)
        // The nodes read the password file by its absolute path, as the worker's standard input; the password
        // itself is nowhere.
        #expect(script.contains("--redis_password_stdin "), "\(script)")
        #expect(
            script.contains(" <\(directory.resolvingSymlinksInPath().path)/password")
                || script.contains(" <\(directory.path)/password"), "\(script)")
        for file in ["hosts/node1.sh", "hosts/node2.sh", "slurm/run.sbatch", "slurm/submit.sh", "plan.json"] {
            let text = try String(contentsOf: plan.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("secret"), "\(file)")
        }
    }

    @Test("--target slurm-jobs writes a batch script per job and submit.sh, without the allocation's makespan warning")
    func slurmJobsTarget() throws {
        let (directory, result) = try planHelloOnSlurm(target: "slurm-jobs")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(result.stdout.contains("Review plan/summary.txt and plan/slurm/jobs/"), "\(result.stdout)")
        // Each job has its own time limit: the whole plan's makespan is no allocation's.
        #expect(!result.stderr.contains("exceeds the wall-time limit"), "\(result.stderr)")
        let plan = directory.appendingPathComponent("plan")
        let jobs = try FileManager.default.contentsOfDirectory(atPath: plan.appendingPathComponent("slurm/jobs").path)
        #expect(jobs.count == 6 && jobs.allSatisfy { $0.hasSuffix(".sbatch") }, "\(jobs)")
        #expect(!FileManager.default.fileExists(atPath: plan.appendingPathComponent("hosts").path))
        let json = try JSONValue.parse(Array(try Data(contentsOf: plan.appendingPathComponent("plan.json"))))
        #expect(json["target"]?.stringValue == "slurm-jobs")
    }

    @Test(
        "a SLURM cluster without --target slurm, --target slurm without one, --dispatch elsewhere or through a tunnel: exit 2, the fix, nothing written",
        arguments: [
            ("slurm: {nodes: 2, redis: {tunnel: login1}}", [String](), "--target slurm"),
            ("hosts: {n1: {}}", ["--target", "slurm"], "'slurm:' section"),
            ("hosts: {n1: {}}", ["--dispatch", "dynamic"], "--dispatch dynamic goes with --target slurm only"),
            ("hosts: {n1: {}}", ["--dispatch", "static", "--target", "local"], "goes with --target slurm only"),
            (
                "slurm: {nodes: 2, redis: {tunnel: login1}}", ["--target", "slurm", "--dispatch", "dynamic"],
                "the cluster file's slurm: redis is a tunnel"
            ),
        ])
    func targetMismatch(cluster text: String, extra: [String], phrase: String) throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cluster = directory.appendingPathComponent("cluster.yaml")
        try text.write(to: cluster, atomically: true, encoding: .utf8)
        let hello = examples.appendingPathComponent("hello.yaml").path
        let result = try CLI.run(["plan", hello, "--cluster", cluster.path, "--no-push"] + extra, in: directory)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(phrase), "\(result.stderr)")
        #expect(result.stderr.contains("Fix:"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("plan").path))
    }
}

extension PlanCommandTests {
    @Test(
        "run outside an allocation and hosts check refuse a SLURM cluster file with exit 2, pointing to --target slurm")
    func slurmClusterRefused() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cluster = directory.appendingPathComponent("slurm.yaml")
        try "slurm: {nodes: 2, redis: {tunnel: login1}}\n".write(to: cluster, atomically: true, encoding: .utf8)
        let hello = examples.appendingPathComponent("hello.yaml").path
        for arguments in [["run", hello], ["hosts", "check"]] {
            let result = try CLI.run(arguments + ["--cluster", cluster.path], in: directory)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("describes a SLURM partition"), "\(result.stderr)")
            #expect(result.stderr.contains("--target slurm"), "\(result.stderr)")
        }
    }
}
