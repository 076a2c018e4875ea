import ClustmakeRedis
import ClustmakeTestSupport
import Foundation
import Glibc
import Testing

/// The ssh test cluster itself: hosts as network namespaces behind `sshd -i`, the reverse tunnel to redis,
/// multiplexing, failure injection and cleanup. Every test builds its own cluster, so they run in parallel.
@Suite struct SSHTestClusterTests {
    @Test("every host runs commands as the test user in /bin/sh, with its own HOME")
    func commandsRunAsTestUser() throws {
        let cluster = try SSHTestCluster(hosts: 3)
        #expect(cluster.hostNames == ["h1", "h2", "h3"])
        for host in cluster.hostNames {
            let result = try cluster.run(
                host: host, #"id -un; echo $0; echo $CLUSTMAKE_TEST_HOST; echo $HOME; touch "$HOME/written""#)
            try #require(result.succeeded, "\(result.stderr)\n\(cluster.sshdLogTail(of: host))")
            let work = cluster.workDirectory(of: host)
            #expect(result.output.split(separator: "\n").map(String.init) == [cluster.user, "sh", host, work])
            #expect(result.stderr.isEmpty)
            var info = stat()
            #expect(stat(work + "/written", &info) == 0)
            #expect(info.st_uid == getpwnam(cluster.user).pointee.pw_uid)
        }
        let namespaces = try cluster.hostNames.map { host in try cluster.namespace(of: host) }
        #expect(namespaces == cluster.hostNames.map { "\(cluster.name)-\($0)" })
        #expect(cluster.name.hasPrefix("cmk-\(getpid())-"))
    }

    @Test("a host sees only its own loopback, not this machine's nor another host's ports")
    func hostsAreIsolated() throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 2)
        let links = try cluster.run(host: "h1", "ip -o link show")
        try #require(links.succeeded, "\(links.stderr)")
        #expect(links.output.split(separator: "\n").count == 1)
        #expect(links.output.contains(": lo:"))
        let addresses = try cluster.run(host: "h1", "ip -o addr show").output.split(separator: "\n")
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { $0.contains(" lo ") })

        // redis listens on this machine's 127.0.0.1; from inside a host, that address is the host's own.
        let direct = try cluster.run(host: "h1", "redis-cli -p \(redis.port) PING")
        #expect(!direct.output.contains("PONG"))
        #expect((direct.output + direct.stderr).contains("Connection refused"))

        // A tunnel port open on h1 exists on h1 only.
        let holder = try cluster.start(
            cluster.sshArguments(
                host: "h1", options: ["-o", "ExitOnForwardFailure=yes", "-R", "13000:127.0.0.1:\(redis.port)"],
                command: ["exec sleep infinity"]))
        try #require(try eventually { try cluster.run(host: "h1", "redis-cli -p 13000 PING").output == "PONG" })
        #expect(try cluster.run(host: "h2", "redis-cli -p 13000 PING").output != "PONG")
        holder.signal()
        #expect(try holder.wait(timeout: .seconds(10)).status != 0)
    }

    @Test("the reverse tunnel reaches redis, from two slots and two hosts at once")
    func reverseTunnel() throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 2)
        // The shape of clustmake's job line (docs/cluster.md): -R PORT:localhost:REDISPORT, nice, then the worker.
        func slot(_ host: String, port: Int) -> [String] {
            cluster.sshArguments(
                host: host,
                options: [
                    "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-o", "ConnectTimeout=10",
                ],
                command: [
                    "-R", "\(port):localhost:\(redis.port)", "nice", "-n", "10", "sh", "-c",
                    "'redis-cli -h localhost -p \(port) INCR started >/dev/null; sleep 1; redis-cli -h localhost -p \(port) PING'",
                ])
        }
        let results = try cluster.runConcurrently(
            [slot("h1", port: 13000), slot("h1", port: 13001), slot("h2", port: 13000)], timeout: .seconds(20))
        for result in results {
            #expect(result.output == "PONG", "\(result.arguments): \(result.stderr)")
        }
        #expect(try redis.connect().command("GET", "started").string == "3")
    }

    @Test("a tunnel port that another session on the host holds fails the job line with status 255")
    func tunnelPortInUse() throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 1)
        let forward = ["-o", "ExitOnForwardFailure=yes", "-R", "13000:127.0.0.1:\(redis.port)"]
        let holder = try cluster.start(
            cluster.sshArguments(host: "h1", options: forward, command: ["exec sleep infinity"]))
        try #require(try eventually { try cluster.run(host: "h1", "redis-cli -p 13000 PING").output == "PONG" })
        let second = try cluster.run(host: "h1", "redis-cli -p 13000 PING", sshOptions: forward)
        #expect(second.status == 255)
        #expect(second.stderr.contains("remote port forwarding failed for listen port 13000"))
        holder.signal()
        _ = try holder.wait(timeout: .seconds(10))
    }

    @Test("20 sessions per host share one ControlMaster, and tunnels through it outlive their sessions")
    func multiplexing() throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 2)
        for host in cluster.hostNames { try cluster.startControlMaster(host: host) }
        let check = try cluster.start(cluster.sshArguments(host: "h1", options: ["-O", "check"])).wait()
        #expect(check.succeeded)
        #expect(check.stderr.contains("Master running"))

        let sessions = cluster.hostNames.flatMap { host in
            (0..<20).map { cluster.sshArguments(host: host, command: ["sleep 0.2; echo $CLUSTMAKE_TEST_HOST-\($0)"]) }
        }
        let results = try cluster.runConcurrently(sessions, timeout: .seconds(30))
        let outputs = results.map(\.output)
        #expect(outputs == cluster.hostNames.flatMap { host in (0..<20).map { "\(host)-\($0)" } })
        #expect(results.allSatisfy { $0.stderr.isEmpty })

        // A tunnel requested through a master belongs to the master: it outlives the session, a later session
        // asking for the same one shares it, and only `ssh -O cancel` with the same spec removes it.
        let spec = "13000:127.0.0.1:\(redis.port)"
        for _ in 0..<2 {
            let tunnel = try cluster.run(
                host: "h1", "redis-cli -p 13000 PING", sshOptions: ["-o", "ExitOnForwardFailure=yes", "-R", spec])
            #expect(tunnel.output == "PONG", "\(tunnel.stderr)")
        }
        #expect(try cluster.run(host: "h1", "redis-cli -p 13000 PING").output == "PONG")
        let cancel = try cluster.start(cluster.sshArguments(host: "h1", options: ["-O", "cancel", "-R", spec])).wait()
        #expect(cancel.succeeded, "\(cancel.stderr)")
        #expect(try cluster.run(host: "h1", "redis-cli -p 13000 PING").output != "PONG")

        // Only the masters logged in: one authentication per host.
        for host in cluster.hostNames {
            let log = try String(contentsOfFile: cluster.sshdLogPath(of: host), encoding: .utf8)
            #expect(log.components(separatedBy: "Accepted publickey").count - 1 == 1, "\(log)")
        }

        try cluster.stopControlMaster(host: "h1")
        #expect(access(cluster.controlPath(of: "h1"), F_OK) != 0)
        #expect(!(try cluster.start(cluster.sshArguments(host: "h1", options: ["-O", "check"])).wait().succeeded))
        #expect(try cluster.run(host: "h1", "true").succeeded)
    }

    @Test("kill(host:) ends its sessions and jobs, new connections fail with 255 at once; revive(host:) restores it")
    func killAndRevive() throws {
        let cluster = try SSHTestCluster(hosts: 2)
        try cluster.startControlMaster(host: "h2")
        let session = try cluster.start(cluster.sshArguments(host: "h1", command: ["exec sleep infinity"]))
        let detached = try cluster.run(host: "h1", "setsid sleep infinity </dev/null >/dev/null 2>&1 & echo $!")
        let job = try #require(pid_t(detached.output))
        try #require(try eventually { try cluster.pids(host: "h1").contains(job) })
        // sshd, the session's sleep, the detached sleep (the session may still be starting under load).
        #expect(try eventually { try cluster.pids(host: "h1").count >= 3 })

        try cluster.kill(host: "h1")
        let ended = try session.wait(timeout: .seconds(10))
        #expect(ended.status == 255)
        #expect(!isRunning(job))
        #expect(try cluster.pids(host: "h1").isEmpty)
        #expect(!cluster.isUp("h1"))
        let refused = try cluster.run(host: "h1", "true", timeout: .seconds(20))
        #expect(refused.status == 255)
        #expect(refused.duration < .seconds(cluster.options.connectTimeoutSeconds))
        try cluster.kill(host: "h1")  // already down: nothing happens

        // Other hosts are unaffected; a killed host's ControlMaster goes with it.
        #expect(try cluster.run(host: "h2", "true").succeeded)
        try cluster.kill(host: "h2")
        #expect(access(cluster.controlPath(of: "h2"), F_OK) != 0)
        #expect(try cluster.run(host: "h2", "true").status == 255)

        try cluster.revive(host: "h1")
        #expect(cluster.isUp("h1"))
        let back = try cluster.run(host: "h1", "echo $CLUSTMAKE_TEST_HOST")
        #expect(back.output == "h1", "\(back.stderr)")
        #expect(throws: TestHarnessError.self) { try cluster.kill(host: "h9") }
    }

    @Test("shutdown() and deinit leave no namespace, process, ControlMaster or file behind")
    func cleanup() throws {
        /// Starts a ControlMaster and a detached job; returns what must be gone after the cluster is.
        func occupy(_ cluster: SSHTestCluster) throws -> (prefix: String, directory: String, pids: [pid_t]) {
            try cluster.startControlMaster(host: "h1")
            let check = try cluster.start(cluster.sshArguments(host: "h1", options: ["-O", "check"])).wait()
            let master = try #require(pid_t(check.stderr.split(separator: "=").last?.prefix { $0.isNumber } ?? ""))
            let job = try #require(
                pid_t(try cluster.run(host: "h2", "setsid sleep infinity </dev/null >/dev/null 2>&1 & echo $!").output))
            let pids = try cluster.pids(host: "h1") + cluster.pids(host: "h2") + [master, job]
            // The master and the job live until the cluster ends them; other processes of the hosts may be the
            // sshd of a session that is just ending, so only these two must be running now.
            #expect([master, job].allSatisfy(isRunning))
            return (cluster.name + "-", cluster.directory, pids)
        }

        let shutDown = try SSHTestCluster(hosts: 2)
        var leftovers = [try occupy(shutDown)]
        shutDown.shutdown()
        shutDown.shutdown()
        #expect(throws: TestHarnessError.self) { try shutDown.revive(host: "h1") }
        leftovers.append(try { try occupy(try SSHTestCluster(hosts: 2)) }())  // released here: deinit

        let namespaces = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for (prefix, directory, pids) in leftovers {
            #expect(!namespaces.contains { $0.hasPrefix(prefix) })
            #expect(!FileManager.default.fileExists(atPath: directory))
            for pid in pids { #expect(!isRunning(pid), "pid \(pid) of \(prefix)* still runs") }
        }
    }

    @Test("removeStale() removes namespaces and directories of dead processes only")
    func removeStale() throws {
        let cluster = try SSHTestCluster(hosts: 1)
        let finished = try cluster.start(["true"])
        _ = try finished.wait()
        let dead = finished.pid
        let stale = "\(SSHTestCluster.namespacePrefix)\(dead)-0-h1"
        try #require(try cluster.start(["ip", "netns", "add", stale]).wait().succeeded)
        let inside = try cluster.start(["ip", "netns", "exec", stale, "sleep", "infinity"])
        try #require(
            eventually { (try? String(contentsOfFile: "/proc/\(inside.pid)/comm", encoding: .utf8)) == "sleep\n" })
        let staleDirectory = "/tmp/clustmake-ssh.stale\(dead)"
        try FileManager.default.createDirectory(atPath: staleDirectory, withIntermediateDirectories: false)
        try "\(dead)\n".write(toFile: staleDirectory + "/owner.pid", atomically: false, encoding: .utf8)

        let removed = SSHTestCluster.removeStale()
        #expect(removed.contains(stale))
        #expect(removed.contains(staleDirectory))
        #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(stale)"))
        #expect(!FileManager.default.fileExists(atPath: staleDirectory))
        #expect(try inside.wait(timeout: .seconds(10)).signal == SIGKILL)
        // This process's cluster is alive and stays.
        #expect(!removed.contains { $0.hasPrefix(cluster.name) || $0 == cluster.directory })
        #expect(try cluster.run(host: "h1", "true").succeeded)
    }

    @Test(
        "a missing program fails loudly, naming the Debian package",
        arguments: [
            (SSHTestCluster.Options(sshd: "/nonexistent/sbin/sshd"), "openssh-server"),
            (SSHTestCluster.Options(sshd: "sshd"), "openssh-server"),
            (SSHTestCluster.Options(ssh: "/nonexistent/bin/ssh"), "openssh-client"),
            (SSHTestCluster.Options(sshKeygen: "no-such-ssh-keygen"), "openssh-client"),
            (SSHTestCluster.Options(ip: "no-such-ip"), "iproute2"),
        ])
    func missingPrerequisite(options: SSHTestCluster.Options, package: String) throws {
        let error = try #require(throws: TestHarnessError.self) { try SSHTestCluster(hosts: 1, options: options) }
        #expect(error.code == .missingPrerequisite)
        #expect(error.message.contains("install the Debian package \(package)"))
    }

    @Test("host names that cannot be ssh aliases or namespace parts are rejected")
    func invalidHostNames() throws {
        for names in [[], ["h 1"], ["1h"], ["a", "a"], ["h/1"], [String(repeating: "h", count: 33)]] {
            let error = try #require(throws: TestHarnessError.self) { try SSHTestCluster(hostNames: names) }
            #expect(error.code == .invalidArgument)
        }
        #expect(throws: TestHarnessError.self) { try SSHTestCluster(hosts: 0) }
    }

    @Test("the cluster file and the ssh configuration name every host")
    func clusterFile() throws {
        let cluster = try SSHTestCluster(hostNames: ["alpha", "beta"])
        let path = try cluster.writeClusterFile(
            processors: 3, worker: "/opt/clustmake/compmake", nice: 5, tunnelPortBase: 14000,
            redisURL: "redis://127.0.0.1:6379/0")
        #expect(path == cluster.directory + "/cluster.yaml")
        let config = cluster.sshConfigPath
        #expect(
            try String(contentsOfFile: path, encoding: .utf8) == """
                # clustmake cluster file of test cluster \(cluster.name) (SSHTestCluster; docs/testing.md).
                # Every host is a network namespace reached with: ssh -F \(config) HOST
                hosts:
                  "alpha": {host: "alpha", processors: 3, ssh_config: "\(config)", worker: "/opt/clustmake/compmake", nice: 5, tunnel_port_base: 14000}
                  "beta": {host: "beta", processors: 3, ssh_config: "\(config)", worker: "/opt/clustmake/compmake", nice: 5, tunnel_port_base: 14000}
                redis: {url: "redis://127.0.0.1:6379/0"}

                """)
        let sshConfig = try String(contentsOfFile: config, encoding: .utf8)
        for host in cluster.hostNames {
            #expect(sshConfig.contains("\nHost \(host)\n    HostName \(try cluster.namespace(of: host))\n"))
        }
        #expect(sshConfig.contains("StrictHostKeyChecking yes"))
        #expect(try cluster.run(host: "beta", "echo $CLUSTMAKE_TEST_HOST").output == "beta")
    }

    @Test("a fresh connection and a multiplexed session both start quickly")
    func connectionTimes() throws {
        let cluster = try SSHTestCluster(hosts: 1)
        func median(_ runs: Int) throws -> Duration {
            var times: [Duration] = []
            for _ in 0..<runs {
                let result = try cluster.run(host: "h1", "true")
                try #require(result.succeeded, "\(result.stderr)")
                times.append(result.duration)
            }
            return times.sorted()[runs / 2]
        }
        let fresh = try median(5)
        try cluster.startControlMaster(host: "h1")
        let multiplexed = try median(5)
        #expect(fresh < .seconds(2))
        #expect(multiplexed < fresh)
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
private func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock().now + timeout
    while ContinuousClock().now < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// Whether `pid` is a live process (not gone, not a zombie).
private func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return !stat[close...].hasPrefix(") Z") && !stat[close...].hasPrefix(") X")
}
