import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// A SLURM plan whose nodes reach redis through the login-host tunnel (`slurm: redis: {tunnel: LOGINHOST}`,
/// docs/cluster.md), run for real: the login host is a namespace host reached by ssh, each node's host script
/// opens `ssh -f -N -M -L PORT:REDIS LOGINHOST` to it and closes it when the script ends.
///
/// The login host sees redis at the address the cluster file's `redis: url` names (127.0.0.1:PORT) because the test
/// forwards that port of the login host's loopback to the test's redis (`ssh -R`), as a login node on the same
/// network would reach it. The nodes' `ssh` finds the test cluster's ssh configuration through a wrapper first on
/// `PATH` (SLURM hands the submitting environment to the job), as a user's `~/.ssh/config` would.
@Suite struct SlurmTunnelTests {
    @Test("a plan for SLURM with redis through the login host's tunnel runs to the end; no tunnel is left open")
    func tunnelRuns() async throws {
        let fixture = try SlurmHandOffTests.Fixture()
        let login = try SSHTestCluster(hostNames: ["login1"])
        let redisPort = fixture.redis.port
        // The login host's 127.0.0.1:PORT leads to the test's redis, as the cluster file's url says.
        let forward = try login.start(
            login.sshArguments(
                host: "login1",
                options: ["-N", "-o", "ExitOnForwardFailure=yes", "-R", "\(redisPort):127.0.0.1:\(redisPort)"]
            ))
        try await TestWait.until("redis answers on the login host", timeout: .seconds(60)) {
            () throws(TestHarnessError) in
            let ping = try login.run(host: "login1", "redis-cli -p \(redisPort) PING")
            return ping.output.contains("NOAUTH") || ping.output.contains("PONG")
        }
        let bin = fixture.slurm.directory + "/ssh-bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\nexec /usr/bin/ssh -F '\(login.sshConfigPath)' \"$@\"\n".write(
            toFile: bin + "/ssh", atomically: true, encoding: .utf8)
        chmod(bin + "/ssh", 0o755)
        let path = "PATH=\(bin):" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")

        // The same cluster file, its nodes going through login1 on two free ports.
        let tunnelPort = try SSHTestCluster.freeLoopbackPort()
        let text = try String(contentsOfFile: fixture.clusterFile, encoding: .utf8)
        let routed = text.replacingOccurrences(
            of: "redis: {from_nodes: \"redis://127.0.0.1:\(redisPort)/0\"}",
            with: "redis: {tunnel: login1, tunnel_port: \(tunnelPort)}")
        try #require(routed != text)
        try routed.write(toFile: fixture.clusterFile, atomically: true, encoding: .utf8)

        let graph = fixture.slurm.directory + "/chain.yaml"
        try """
        jobs:
          - {id: a, command: "true"}
          - {id: b, command: "true"}
          - {id: c, command: "true", deps: [a, b]}
          - {id: d, command: "true", deps: [c]}
        """.write(toFile: graph, atomically: true, encoding: .utf8)
        try fixture.plan(graph)
        let script = try String(contentsOfFile: fixture.slurm.directory + "/plan/hosts/node1.sh", encoding: .utf8)
        #expect(script.contains("-L \(tunnelPort):127.0.0.1:\(redisPort) login1"), "\(script)")
        // submit probes redis from a node through the tunnel, then submits.
        let id = try fixture.submit(environment: [path])
        try await fixture.slurm.waitUntilGone([id], timeout: .seconds(300))
        let output = fixture.batchOutput(id)
        #expect(try fixture.slurm.jobFields(id)?["JobState"] == "COMPLETED", "\(output.suffix(3000))")
        let run = try RunRecord(store: try fixture.store())
        #expect(run.states.count == 4 && run.doneOnceProblems() == [], "\(output.suffix(3000))")
        #expect(run.dependencyOrderProblems() == [])
        // Each host script closed its tunnel when it ended: no ssh listens on the nodes' ports any more.
        let left = try fixture.slurm.run(["pgrep", "-f", "-a", "--", "-L \(tunnelPort)|-L \(tunnelPort + 1)"])
        #expect(left.status == 1, "ssh tunnels left open: \(left.output)")
        forward.signal()
        _ = try? forward.wait()
    }
}
