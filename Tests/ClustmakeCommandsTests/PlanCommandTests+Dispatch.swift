import ClustmakeJSON
import Foundation
import Testing

extension PlanCommandTests {
    @Test("--dispatch dynamic: run.sbatch runs this clustmake's run of the pushed graph; plan.json and summary say so")
    func dynamicDispatch() throws {
        let (directory, _) = try slurmDirectory(
            #"nodes: 2, processors: 2, redis: {from_nodes: "redis://login1:6379/0"}"#)
        defer { try? FileManager.default.removeItem(at: directory) }
        let hello = examples.appendingPathComponent("hello.yaml").path
        let result = try CLI.run(
            ["plan", hello, "--cluster", "slurm.yaml", "--target", "slurm", "--dispatch", "dynamic", "--no-push"],
            in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let plan = directory.appendingPathComponent("plan")
        let script = try String(contentsOf: plan.appendingPathComponent("slurm/run.sbatch"), encoding: .utf8)
        let exec = try #require(script.split(separator: "\n").first { $0.hasPrefix("exec ") }, "\(script)")
        let words = exec.split(separator: " ").map(String.init)
        // This clustmake by its absolute path, the cluster file by its absolute path, redis as the nodes reach it,
        // the password from its file only.
        #expect(words[1].hasPrefix("/") && words[1].hasSuffix("/clustmake"), "\(exec)")
        #expect(Array(words[2...4]) == ["run", "--namespace", "hello"], "\(exec)")
        #expect(words[5] == "--cluster" && words[6].hasPrefix("/") && words[6].hasSuffix("/slurm.yaml"), "\(exec)")
        #expect(Array(words[7...8]) == ["--redis", "redis://login1:6379/0"], "\(exec)")
        #expect(words[9] == "--redis-password-file" && words[10].hasSuffix("/password"), "\(exec)")
        #expect(Array(words[11...]) == ["--wait", "86400"], "\(exec)")
        #expect(!script.contains("srun --nodes=1 --ntasks=1 --relative="), "\(script)")
        #expect(script.contains("#SBATCH --nodes=2"), "\(script)")
        for file in ["hosts/node1.sh", "hosts/node2.sh", "slurm/submit.sh"] {
            #expect(FileManager.default.fileExists(atPath: plan.appendingPathComponent(file).path), "\(file)")
        }
        let json = try JSONValue.parse(Array(try Data(contentsOf: plan.appendingPathComponent("plan.json"))))
        #expect(json["target"]?.stringValue == "slurm" && json["dispatch"]?.stringValue == "dynamic")
        let summary = try String(contentsOf: plan.appendingPathComponent("summary.txt"), encoding: .utf8)
        #expect(summary.contains("dispatch:  dynamic: clustmake run in the allocation decides at run time"))
        for file in ["slurm/run.sbatch", "plan.json", "summary.txt"] {
            let text = try String(contentsOf: plan.appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("secret"), "\(file)")
        }
        // The default stays static, and plan.json then has no dispatch.
        let again = try CLI.run(
            ["plan", hello, "--cluster", "slurm.yaml", "--target", "slurm", "--no-push"], in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        let staticJSON = try JSONValue.parse(Array(try Data(contentsOf: plan.appendingPathComponent("plan.json"))))
        #expect(staticJSON["dispatch"] == nil)
        let staticScript = try String(contentsOf: plan.appendingPathComponent("slurm/run.sbatch"), encoding: .utf8)
        #expect(staticScript.contains("srun --nodes=1 --ntasks=1 --relative=1 sh \"$plan\"/hosts/node2.sh &"))
    }

    @Test("run without JOBS needs --namespace of a pushed graph, and takes no --time-scale: exit 2 with the fix")
    func runWithoutJobs() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (arguments, phrase) in [
            (["run"], "clustmake run needs a job graph: JOBS, or --namespace of a graph already in redis"),
            (["run", "--namespace", "x", "--time-scale", "2"], "without JOBS there is none"),
            (["run", "--namespace", "x", "--plan", "plan"], "Give the graph file too"),
        ] {
            let result = try CLI.run(arguments, in: directory)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(phrase), "\(arguments): \(result.stderr)")
        }
    }
}
