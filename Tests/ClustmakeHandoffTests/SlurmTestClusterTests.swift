import ClustmakeTestSupport
import Foundation
import Glibc
import Testing

/// The SLURM test cluster itself: start-up, batch jobs, the queue, cancelling, allocations, dependencies and
/// several nodes on one machine. Every test starts its own cluster, so they run in parallel.
@Suite struct SlurmTestClusterTests {
    @Test("the cluster starts and shows its node idle, with the machine's processors")
    func startsIdle() async throws {
        let cluster = try SlurmTestCluster()
        #expect(try cluster.nodeStates() == [cluster.nodeName: "idle"])
        #expect(try cluster.queue().isEmpty)
        #expect(cluster.environment == ["SLURM_CONF": cluster.configurationPath])
        #expect(cluster.configurationPath.hasPrefix(cluster.directory + "/"))
        let node = try cluster.run(["scontrol", "--oneliner", "show", "node", cluster.nodeName])
        try #require(node.succeeded, "\(node.stderr)\n\(cluster.logTail())")
        #expect(node.output.contains("CPUTot=\(cluster.cpusPerNode) "))
        #expect(cluster.cpusPerNode == sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let partition = try cluster.run(["sinfo", "--noheader", "--format=%P %a %D"])
        #expect(partition.output == "\(cluster.partition)* up 1")
    }

    @Test("a batch job runs on the node, squeue shows it running, and it leaves the queue when done")
    func batchJob() async throws {
        let cluster = try SlurmTestCluster()
        let directory = cluster.directory
        let id = try cluster.submit([
            "--job-name=hold",
            "--wrap",
            "echo $SLURMD_NODENAME > \(directory)/started; "
                + "while [ ! -e \(directory)/release ]; do sleep 0.1; done; echo end >> \(directory)/started",
        ])
        try await TestWait.forFile(directory + "/started", timeout: .seconds(120), details: { cluster.logTail() })
        let running = try await cluster.waitForJob(id, "runs", timeout: .seconds(60)) { $0?.state == "RUNNING" }
        #expect(running?.name == "hold")
        #expect(running?.nodes == cluster.nodeName)
        #expect(FileManager.default.createFile(atPath: directory + "/release", contents: nil))
        let text = try await TestWait.forFile(directory + "/started", endingWith: "end", timeout: .seconds(60))
        #expect(text == "\(cluster.nodeName)\nend\n")
        try await cluster.waitUntilGone([id], timeout: .seconds(60))
        #expect(try cluster.jobFields(id)?["JobState"] == "COMPLETED")
        // Batch output lands in the cluster's directory, where run(_:) runs sbatch.
        #expect(FileManager.default.fileExists(atPath: "\(directory)/slurm-\(id).out"))
    }

    @Test("scancel removes a pending job and a running one")
    func cancel() async throws {
        let cluster = try SlurmTestCluster()
        let directory = cluster.directory
        let pending = try cluster.submit(["--hold", "--wrap", "touch \(directory)/held-ran"])
        let running = try cluster.submit([
            "--wrap", "touch \(directory)/running; while true; do sleep 0.1; done",
        ])
        let held = try await cluster.waitForJob(pending, "is pending", timeout: .seconds(60)) { $0?.state == "PENDING" }
        #expect(held?.reason == "JobHeldUser")
        try await TestWait.forFile(directory + "/running", timeout: .seconds(120), details: { cluster.logTail() })
        try await cluster.waitForJob(running, "runs", timeout: .seconds(60)) { $0?.state == "RUNNING" }

        let result = try cluster.run(["scancel", String(pending), String(running)])
        #expect(result.succeeded, "\(result.stderr)")
        try await cluster.waitUntilGone([pending, running], timeout: .seconds(60))
        #expect(try cluster.jobFields(pending)?["JobState"] == "CANCELLED")
        #expect(try cluster.jobFields(running)?["JobState"] == "CANCELLED")
        #expect(!FileManager.default.fileExists(atPath: directory + "/held-ran"))
        try await cluster.waitUntilIdle(timeout: .seconds(60))
    }

    @Test("srun inside salloc runs on the node, in the allocation")
    func srunInsideSalloc() async throws {
        let cluster = try SlurmTestCluster()
        let result = try cluster.run([
            "salloc", "--nodes=1", "--ntasks=1", "srun", "sh", "-c", "echo $SLURMD_NODENAME $SLURM_JOB_ID",
        ])
        try #require(result.succeeded, "\(result.stderr)\n\(cluster.logTail())")
        let words = result.output.split(separator: " ").map(String.init)
        try #require(words.count == 2, "\(result.stdout)")
        #expect(words[0] == cluster.nodeName)
        #expect(result.stderr.contains("Granted job allocation \(words[1])"))
        try await cluster.waitUntilGone([try #require(Int(words[1]))], timeout: .seconds(60))
    }

    @Test("a dependent with --kill-on-invalid-dep=yes leaves the queue when its parent fails")
    func failedParentRemovesDependent() async throws {
        let cluster = try SlurmTestCluster()
        let directory = cluster.directory
        let parent = try cluster.submit(["--wrap", "exit 3"])
        let child = try cluster.submit([
            "--dependency=afterok:\(parent)", "--kill-on-invalid-dep=yes", "--wrap", "touch \(directory)/child-ran",
        ])
        try await cluster.waitUntilGone([parent, child], timeout: .seconds(120))
        let parentFields = try #require(try cluster.jobFields(parent))
        #expect(parentFields["JobState"] == "FAILED")
        #expect(parentFields["ExitCode"] == "3:0")
        let childFields = try #require(try cluster.jobFields(child))
        #expect(childFields["JobState"] == "CANCELLED")
        #expect(childFields["Reason"] == "DependencyNeverSatisfied")
        #expect(!FileManager.default.fileExists(atPath: directory + "/child-ran"))
    }

    @Test("several jobs share a node: CPUs, not nodes, are allocated")
    func jobsShareANode() async throws {
        let cluster = try SlurmTestCluster(options: .init(cpusPerNode: 2))
        let directory = cluster.directory
        let ids = try (1...2).map { index in
            try cluster.submit([
                "--ntasks=1", "--cpus-per-task=1",
                "--wrap",
                "touch \(directory)/started-\(index); while [ ! -e \(directory)/release ]; do sleep 0.1; done",
            ])
        }
        for index in 1...2 {
            try await TestWait.forFile(
                "\(directory)/started-\(index)", timeout: .seconds(120), details: { cluster.logTail() })
        }
        let queue = try cluster.queue()
        #expect(queue.filter { ids.contains($0.id) && $0.state == "RUNNING" }.count == 2, "\(queue)")
        #expect(queue.allSatisfy { $0.nodes == cluster.nodeName })
        #expect(FileManager.default.createFile(atPath: directory + "/release", contents: nil))
        try await cluster.waitUntilGone(ids, timeout: .seconds(60))
    }

    @Test("two named nodes on one machine: an allocation spans both and srun --relative picks one")
    func twoNodes() async throws {
        let cluster = try SlurmTestCluster(nodes: 2, options: .init(cpusPerNode: 2))
        #expect(cluster.nodeNames == ["n1", "n2"])
        #expect(try cluster.nodeStates() == ["n1": "idle", "n2": "idle"])
        let spanning = try cluster.run(["salloc", "--nodes=2", "srun", "sh", "-c", "echo $SLURMD_NODENAME"])
        try #require(spanning.succeeded, "\(spanning.stderr)\n\(cluster.logTail())")
        #expect(spanning.output.split(separator: "\n").sorted() == ["n1", "n2"])

        let script = """
            echo "$SLURM_JOB_NODELIST $SLURM_JOB_CPUS_PER_NODE"
            srun --nodes=1 --ntasks=1 --relative=1 sh -c 'echo relative $SLURMD_NODENAME'
            srun --nodes=1 --ntasks=1 --overlap -w n1 sh -c 'echo named $SLURMD_NODENAME'
            """
        let steps = try cluster.run(["salloc", "--nodes=2", "--exclusive", "sh", "-c", script])
        try #require(steps.succeeded, "\(steps.stderr)\n\(cluster.logTail())")
        #expect(steps.output.split(separator: "\n") == ["n[1-2] 2(x2)", "relative n2", "named n1"])
    }

    @Test("removeStale stops what a dead test process left: processes holding files in its directory")
    func removeStale() async throws {
        let cluster = try SlurmTestCluster()
        let gone = try cluster.start(["true"])
        _ = try gone.wait(timeout: .seconds(30))
        let stale = "/tmp/clustmake-slurm.stale\(getpid())"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
        try "\(gone.pid)\n".write(toFile: stale + "/owner.pid", atomically: true, encoding: .utf8)
        let holder = try cluster.start(["sh", "-c", "exec 3<\(stale)/owner.pid; exec sleep infinity"])
        try await TestWait.until("the holder opens the file", timeout: .seconds(30)) {
            (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(holder.pid)/fd"))?.contains("3") ?? false
        }
        #expect(SlurmTestCluster.removeStale() == [stale])
        #expect(try holder.wait(timeout: .seconds(30)).signal == SIGKILL)
        #expect(!FileManager.default.fileExists(atPath: stale))
        // A live process's cluster stays.
        #expect(FileManager.default.fileExists(atPath: cluster.configurationPath))
    }
}
