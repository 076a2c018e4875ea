import ClustmakeHosts
import ClustmakeModel
import ClustmakeRedis
import ClustmakeTestSupport
import Foundation
import Glibc
import Testing

/// `HostChecker` against the real ssh test cluster: each host a network namespace behind `sshd -i`, reachable only
/// through ssh, seeing redis only through the reverse tunnel (docs/testing.md).
@Suite struct HostsCheckTests {
    @Test("every check passes on healthy hosts; the redis check goes through each slot's reverse tunnel")
    func allHostsPass() async throws {
        let redis = try RedisServer(RedisServer.Options(password: "s3cret pass"))
        let cluster = try SSHTestCluster(hosts: 3)
        let hosts = HostsFixture.hosts(of: cluster)
        let checks = try await HostChecker(redis: redis.endpoint).check(Cluster(hosts: hosts))
        #expect(checks.map(\.host.name) == ["h1", "h2", "h3"])
        for check in checks {
            #expect(check.passed, "\(check.host.name): \(check.findings)")
            #expect(check.findings.map(\.item) == HostCheck.Item.allCases)
            #expect(check.findings.allSatisfy { $0.status == .passed }, "\(check.findings)")
            #expect(check.workerPath == HostsFixture.worker)
            #expect(check.configuredVersion == ClustmakeVersion.current)
            #expect(
                check.installPath == cluster.workDirectory(of: check.host.name) + "/.local/share/clustmake/"
                    + ClustmakeVersion.current + "/compmake")
            #expect(check[.redis].detail.contains("port 13000 (-R 13000:127.0.0.1:\(redis.port))"))
            #expect(check[.nice].detail == "nice -n 10 runs jobs at niceness 10")
            #expect(check.usableHost?.worker == HostsFixture.worker)
        }
        // The password went over the session's standard input: it is on no command line the hosts logged.
        for host in cluster.hostNames {
            let log = try String(contentsOfFile: cluster.sshdLogPath(of: host), encoding: .utf8)
            #expect(!log.contains("s3cret"))
        }
        #expect(HostCheck.usableCluster(Cluster(hosts: hosts), checks: checks).hosts.count == 3)
    }

    @Test("a killed host fails the ssh check with ssh's reason; the others pass")
    func killedHost() async throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 3)
        try cluster.kill(host: "h2")
        let hosts = HostsFixture.hosts(of: cluster)
        let checks = try await HostChecker(redis: redis.endpoint).check(Cluster(hosts: hosts))
        #expect(checks[0].passed && checks[2].passed, "\(checks[0].findings) \(checks[2].findings)")
        let dead = checks[1]
        #expect(!dead.passed)
        #expect(dead[.ssh].status == .failed)
        #expect(dead[.ssh].detail.hasPrefix("ssh could not connect to h2: "), "\(dead[.ssh])")
        #expect(dead[.ssh].detail.contains("Cannot open network namespace"), "\(dead[.ssh])")
        #expect(dead.findings.dropFirst().allSatisfy { $0.status == .skipped })
        #expect(dead.reason?.hasPrefix("ssh: ssh could not connect to h2") == true)
        #expect(!dead.needsWorker)
        let usable = HostCheck.usableCluster(Cluster(hosts: hosts), checks: checks)
        #expect(usable.hosts.map(\.name) == ["h1", "h3"])
    }

    @Test("a missing worker fails the worker check; hosts install copies it and the check then passes")
    func missingWorkerInstalled() async throws {
        let redis = try RedisServer(RedisServer.Options(password: "pw"))
        let cluster = try SSHTestCluster(hosts: 2)
        let hosts = HostsFixture.hosts(of: cluster, worker: "/nonexistent/compmake")
        let checker = try HostChecker(redis: redis.endpoint)
        let before = await checker.check(hosts)
        for check in before {
            #expect(check[.worker].status == .failed)
            #expect(check[.worker].detail.contains("/nonexistent/compmake is not found"), "\(check[.worker])")
            #expect(check[.worker].detail.contains("and none is installed at \(check.installPath ?? "?")"))
            #expect(check[.worker].fix?.contains("clustmake hosts install") == true)
            #expect(check[.redis].status == .skipped)
            #expect(check.needsWorker)
            #expect(check.usableHost == nil)
        }
        let installer = try await WorkerInstaller(binary: HostsFixture.worker)
        let installs = await installer.install(on: before.filter(\.needsWorker).map(\.host))
        for (install, check) in zip(installs, before) {
            #expect(install.succeeded, "\(install)")
            #expect(install.path == check.installPath)
        }
        let after = await checker.check(hosts)
        for (check, install) in zip(after, installs) {
            #expect(check.passed, "\(check.findings)")
            #expect(check.workerPath == install.path)
            #expect(check[.worker].detail.contains("installed by clustmake hosts install"))
            #expect(check.usableHost?.worker == install.path)
        }
    }

    @Test("a worker of another version fails the check, also at the install path; install replaces it")
    func otherVersionReplaced() async throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 1)
        let stub = try HostsFixture.stubWorker(in: cluster.directory, version: "0.0.1")
        let host = HostsFixture.hosts(of: cluster, worker: stub)[0]
        // A stale worker at the install path too: both are reported.
        let installed = cluster.workDirectory(of: "h1") + "/.local/share/clustmake/\(ClustmakeVersion.current)"
        try FileManager.default.createDirectory(atPath: installed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: stub, toPath: installed + "/compmake")
        try HostsFixture.giveToTestUser(cluster.workDirectory(of: "h1") + "/.local", cluster: cluster)
        let checker = try HostChecker(redis: redis.endpoint)
        let before = await checker.check(host)
        #expect(before[.worker].status == .failed)
        #expect(
            before[.worker].detail == "no worker of version \(ClustmakeVersion.current): \(stub) is version 0.0.1; "
                + "\(installed)/compmake is version 0.0.1", "\(before[.worker])")
        #expect(before.configuredVersion == "0.0.1")
        #expect(before.needsWorker)

        let install = await (try await WorkerInstaller(binary: HostsFixture.worker)).install(on: host)
        #expect(install.succeeded, "\(install)")
        let after = await checker.check(host)
        #expect(after.passed, "\(after.findings)")
        #expect(after.workerPath == installed + "/compmake")
    }

    @Test("a nice level the login user may not use fails the nice check with nice's own words")
    func negativeNice() async throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 1)
        var host = HostsFixture.hosts(of: cluster)[0]
        host.nice = -5
        let check = try await HostChecker(redis: redis.endpoint).check(host)
        #expect(check[.nice].status == .failed)
        #expect(
            check[.nice].detail
                == "nice -n -5 is not allowed for \(cluster.user): jobs would run at niceness 0, not -5 "
                + "(nice: cannot set niceness: Permission denied)", "\(check[.nice])")
        #expect(check[.nice].fix?.contains("nice: 0 or more") == true)
        // Everything else still works: the job line runs, only less favoured.
        #expect(check.failures.map(\.item) == [.nice])
        #expect(check.reason?.hasPrefix("nice: nice -n -5 is not allowed") == true)
    }

    @Test("less free space than required fails the disk check, naming the directory and both amounts")
    func lowDisk() async throws {
        let cluster = try SSHTestCluster(hosts: 1)
        let host = HostsFixture.hosts(of: cluster)[0]
        let checker = try HostChecker(redis: nil, options: HostChecker.Options(minimumFreeBytes: 1 << 60))
        let check = await checker.check(host)
        #expect(check[.disk].status == .failed)
        #expect(check[.disk].detail.hasPrefix("only "), "\(check[.disk])")
        #expect(check[.disk].detail.contains(" free in \(cluster.options.userHome) (file system /"))
        #expect(check[.disk].detail.hasSuffix("less than the 1.0 EiB required"))
        #expect(check[.redis].status == .skipped)
        #expect(check[.redis].detail == "not checked (no redis given)")
        #expect(check.failures.map(\.item) == [.disk])
    }

    @Test("a tunnel port taken on the host fails the redis check of that host only")
    func takenTunnelPort() async throws {
        let redis = try RedisServer()
        let other = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 2)
        let holder = try cluster.start(
            cluster.sshArguments(
                host: "h1", options: ["-o", "ExitOnForwardFailure=yes", "-R", "13001:127.0.0.1:\(other.port)"],
                command: ["exec sleep infinity"]))
        // The holder lives until this test ends it: a fixed life could run out first on a loaded machine.
        defer { holder.signal() }
        try #require(
            try HostsFixture.eventually { try cluster.run(host: "h1", "redis-cli -p 13001 PING").output == "PONG" })
        let checks = try await HostChecker(redis: redis.endpoint).check(HostsFixture.hosts(of: cluster))
        #expect(checks[0][.redis].status == .failed)
        #expect(
            checks[0][.redis].detail.hasPrefix("the host refused the reverse tunnel on port 13001 (the port is taken"),
            "\(checks[0][.redis])")
        #expect(checks[0].failures.map(\.item) == [.redis])
        #expect(checks[1].passed, "\(checks[1].findings)")
    }

    @Test("a wrong redis password fails the redis check: redis refused the login")
    func wrongPassword() async throws {
        let redis = try RedisServer(RedisServer.Options(password: "right"))
        let cluster = try SSHTestCluster(hosts: 1)
        let check = try await HostChecker(redis: redis.endpoint.withPassword("wrong")).check(
            HostsFixture.hosts(of: cluster)[0])
        #expect(check[.redis].status == .failed)
        #expect(check[.redis].detail.hasPrefix("redis refused the worker's login through the tunnel on port 13000"))
        #expect(!check[.redis].detail.contains("wrong"))
    }

    @Test("remote workers reach the embedded redis (unix socket, password) through -R PORT:/path/to/redis.sock")
    func embeddedRedisThroughTunnel() async throws {
        let state = try Clustmake.temporaryDirectory(prefix: "clustmake-embedded")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let local = try LocalRedis(stateDirectory: state + "/.clustmake")
        let running = try await local.ensureRunning()
        do {
            let cluster = try SSHTestCluster(hosts: 2)
            let checks = try await HostChecker(redis: running.endpoint).check(HostsFixture.hosts(of: cluster))
            for check in checks {
                #expect(check.passed, "\(check.findings)")
                #expect(check[.redis].detail.contains("(-R 13000:\(local.socketPath))"), "\(check[.redis])")
            }
        } catch {
            _ = try? await local.stop()
            throw error
        }
        #expect(try await local.stop())
    }

    @Test("a local host is checked without ssh, its worker reaching redis directly (here on a unix socket)")
    func localHost() async throws {
        let redis = try RedisServer(RedisServer.Options(unixSocket: true, password: "pw"))
        let host = ClustmakeModel.Host(name: "localhost", processors: 2, worker: HostsFixture.worker, isLocal: true)
        let endpoint: RedisEndpoint = try #require(redis.unixEndpoint)
        let check = try await HostChecker(redis: endpoint).check(host)
        #expect(check.passed, "\(check.findings)")
        #expect(check[.ssh].detail == "local host: jobs run on this machine without ssh")
        #expect(check[.redis].detail == "the worker reached redis at unix:\(redis.unixSocketPath!) and logged in")
    }

    /// Each bound is shown by its own message, not by a clock around the `await` (which measures the machine's
    /// load as much as the check: under a sanitizer on a loaded machine the first check once took minutes).
    @Test("a host that does not answer fails at the connect timeout, or is stopped at the check's own timeout")
    func hangingHost() async throws {
        let cluster = try SSHTestCluster(hosts: 1)
        // A connection that opens but never speaks: ssh waits for the server's banner.
        var host = HostsFixture.hosts(of: cluster)[0]
        host.sshOptions = ["-o", "ProxyCommand=sleep infinity"]
        let quick = try HostChecker(redis: nil, options: HostChecker.Options(ssh: SSHSettings(connectTimeout: 1)))
        let timedOut = await quick.check(host)
        #expect(timedOut[.ssh].status == .failed)
        #expect(timedOut[.ssh].detail.contains("Connection timed out during banner exchange"), "\(timedOut[.ssh])")

        let bounded = try HostChecker(
            redis: nil, options: HostChecker.Options(ssh: SSHSettings(connectTimeout: 60), timeout: .seconds(1)))
        let stopped = await bounded.check(host)
        #expect(stopped[.ssh].detail == "ssh to h1 did not finish within 1.00 s; it was stopped", "\(stopped[.ssh])")
    }

    @Test("a database other than 0 is checked like database 0; a socket path ssh cannot forward is refused first")
    func databaseChecked() async throws {
        let redis = try RedisServer()
        let cluster = try SSHTestCluster(hosts: 1)
        let checks = try await HostChecker(redis: redis.endpoint.withDatabase(2)).check(
            Cluster(hosts: HostsFixture.hosts(of: cluster)))
        #expect(checks.count == 1 && checks[0].passed, "\(checks.map(\.findings))")
        #expect(throws: HostsError.self) { try HostChecker(redis: RedisEndpoint(unixSocket: "/tmp/a:b.sock")) }
    }
}

/// Hosts, workers and waiting, for the hosts tests.
enum HostsFixture {
    /// The directory holding the built products (the test bundle's).
    static let products: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = String(decoding: buffer[0..<max(0, count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (path as NSString).deletingLastPathComponent
    }()

    /// The worker of this build (readable by the test user: the build directories are 0755).
    static let worker = products + "/compmake"

    /// The repository's root.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// The cluster's hosts as a cluster file would give them: `host`, `processors`, `ssh_config`, `worker`.
    static func hosts(of cluster: SSHTestCluster, worker: String = worker, processors: Int = 2) -> [ClustmakeModel.Host]
    {
        cluster.hostNames.map {
            ClustmakeModel.Host(name: $0, processors: processors, sshConfig: cluster.sshConfigPath, worker: worker)
        }
    }

    /// A script that answers `--version` like a clustmake worker of `version`.
    static func stubWorker(in directory: String, version: String) throws -> String {
        let path = directory + "/stub-compmake-\(version)"
        try "#!/bin/sh\necho 'compmake (clustmake worker) \(version), redis schema 1'\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// Makes `path` and everything under it the test user's, as if a session on a host had written it.
    static func giveToTestUser(_ path: String, cluster: SSHTestCluster) throws {
        let user = try #require(getpwnam(cluster.user))
        let (uid, gid) = (user.pointee.pw_uid, user.pointee.pw_gid)
        let paths = [path] + (FileManager.default.subpaths(atPath: path) ?? []).map { path + "/" + $0 }
        for item in paths { try #require(chown(item, uid, gid) == 0, "chown \(item)") }
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock().now + timeout
        while ContinuousClock().now < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }
}
