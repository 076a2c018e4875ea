import ClustmakeModel
import ClustmakeRedis
import Foundation
import Testing

@testable import ClustmakeHosts

/// The pure parts of the host checks: df output, byte counts, worker versions, the check script's report, and the
/// ssh argument vector.
@Suite struct HostsParsingTests {
    @Test(
        "df -Pk output gives the free space and mount point",
        arguments: [
            (
                "Filesystem     1024-blocks     Used Available Capacity Mounted on\n"
                    + "/dev/vda         264212084 19496420  79569192      20% /\n",
                "/dev/vda", Int64(79_569_192) * 1024, "/"
            ),
            (
                "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
                    + "my disk 1000 400 600 40% /mnt/my data\n",
                "my disk", Int64(600) * 1024, "/mnt/my data"
            ),
            (
                "Filesystem           1024-blocks    Used Available Capacity Mounted on\n"
                    + "overlay                 102400       0    102400   0% /\n",
                "overlay", Int64(102_400) * 1024, "/"
            ),
            ("Filesystem 1024-blocks Used Available Capacity Mounted on\nnone 0 0 0 - /proc\n", "none", 0, "/proc"),
        ])
    func diskSpace(output: String, fileSystem: String, available: Int64, mountPoint: String) throws {
        let space = try #require(DiskSpace(dfOutput: output))
        #expect(space.fileSystem == fileSystem)
        #expect(space.availableBytes == available)
        #expect(space.mountPoint == mountPoint)
    }

    @Test(
        "df output without a data line is not read as one",
        arguments: [
            "", "df: .: No such file or directory", "Filesystem 1024-blocks Used Available Capacity Mounted on",
        ])
    func diskSpaceRefused(output: String) {
        #expect(DiskSpace(dfOutput: output) == nil)
    }

    @Test("byte counts read and print in binary units")
    func byteCounts() {
        #expect(Format.bytes(512) == "512 B")
        #expect(Format.bytes(1536) == "1.5 KiB")
        #expect(Format.bytes(1 << 30) == "1.0 GiB")
        #expect(Format.bytes(81_478_852_608) == "75.9 GiB")
        #expect(Format.bytes(1 << 60) == "1.0 EiB")
        #expect(ByteCount.parse("1G") == 1 << 30)
        #expect(ByteCount.parse("2.5GiB") == 5 << 29)
        #expect(ByteCount.parse("500m") == 500 << 20)
        #expect(ByteCount.parse("10kB") == 10_240)
        #expect(ByteCount.parse("1024") == 1024)
        #expect(ByteCount.parse("0") == 0)
        for bad in ["", "-1G", "1X", "G", "1e30"] { #expect(ByteCount.parse(bad) == nil, "\(bad)") }
    }

    @Test("a worker's version is read from its --version line; anything else is not a clustmake worker")
    func workerVersions() {
        #expect(WorkerVersion.parse("compmake (clustmake worker) 0.1.0, redis schema 1\n") == "0.1.0")
        #expect(WorkerVersion.parse("compmake (clustmake worker) 2.0") == "2.0")
        #expect(WorkerVersion.parse("compmake 3.5.28") == nil)
        #expect(WorkerVersion.parse("sh: 1: compmake: not found") == nil)
        #expect(WorkerVersion.parse("") == nil)
    }

    @Test("the check script's report keeps the last value of each key and every df line")
    func report() {
        let report = CheckScript.Report(
            parsing: """
                motd line
                clustmake-check:begin 1
                clustmake-check:pwd /home/alice
                clustmake-check:worker
                clustmake-check:df Filesystem 1024-blocks Used Available Capacity Mounted on
                clustmake-check:df /dev/sda1 100 50 50 50% /
                clustmake-check:probe_status 120
                clustmake-check:end 1
                """)
        #expect(report.began && report.ended)
        #expect(report["pwd"] == "/home/alice")
        #expect(report["worker"] == "")
        #expect(report.integer("probe_status") == 120)
        #expect(report.dfLines.count == 2)
        #expect(report["missing"] == nil)
    }

    @Test("the check script runs in sh and reports a worker's version, nice and df")
    func scriptRunsLocally() async throws {
        let stub = try TemporaryDirectory()
        let worker = stub.path + "/compmake"
        try "#!/bin/sh\necho 'compmake (clustmake worker) 9.9, redis schema 1'\n".write(
            toFile: worker, atomically: true, encoding: .utf8)
        chmod(worker, 0o755)
        let script = CheckScript(worker: worker, version: "9.9", nice: 3, probe: nil)
        let result = try await ProcessRunner.run(["/bin/sh", "-c", script.text], timeout: .seconds(20))
        #expect(result.status == 0, "\(result.stderr)")
        let report = CheckScript.Report(parsing: result.stdout)
        #expect(report.ended)
        #expect(report["worker"] == worker)
        #expect(report.integer("configured_status") == 0)
        #expect(report.integer("nice_after") == report.integer("nice_before").map { min(19, $0 + 3) })
        #expect(DiskSpace(dfOutput: report.dfLines.joined(separator: "\n")) != nil)
    }

    @Test("ssh gets the job line's options, overrides first, and no -n when this process writes its stdin")
    func sshArguments() {
        let host = Host(
            name: "n1", address: "10.0.0.7", username: "alice", port: 2222, sshConfig: "/etc/cfg",
            sshOptions: ["-o", "Compression=yes"])
        let settings = SSHSettings(connectTimeout: 5, connectionOptions: { ["-o", "ControlPath=/tmp/ctl.\($0.name)"] })
        let argv = RemoteShell.arguments(
            host: host, script: "echo hi", settings: settings, overrides: ["-o", "LogLevel=INFO"],
            forwards: ["13000:localhost:6379"])
        #expect(
            argv == [
                "ssh", "-F", "/etc/cfg", "-o", "ConnectTimeout=5", "-o", "LogLevel=INFO", "-n", "-o", "BatchMode=yes",
                "-o", "ExitOnForwardFailure=yes", "-o", "ConnectTimeout=10", "-o", "ControlPath=/tmp/ctl.n1", "-p",
                "2222", "-o", "Compression=yes", "alice@10.0.0.7", "-R", "13000:localhost:6379", "sh", "-c",
                "'echo hi'",
            ])
        let withInput = RemoteShell.arguments(host: host, script: "cat", settings: settings, stdin: true)
        #expect(!withInput.contains("-n"))
        #expect(withInput.contains("BatchMode=yes"))
        let local = Host(name: "localhost", isLocal: true)
        #expect(
            RemoteShell.arguments(host: local, script: "echo hi", settings: settings) == ["/bin/sh", "-c", "echo hi"])
    }

    @Test("a host ssh cannot reach is told the ssh command that reproduces the check: port, user, options, config")
    func unreachableFixReproducesCheck() {
        let host = Host(
            name: "gpu1", address: "10.0.0.7", username: "alice", port: 2222, sshConfig: "/home/alice/my cfg",
            sshOptions: ["-o", "IdentityFile=/k/id x"])
        let result = ProcessResult(
            status: 255, signal: nil, stdout: "", stderr: "ssh: connect to host 10.0.0.7 port 2222: No route to host",
            timedOut: false, duration: .seconds(1))
        let check = CheckAnalysis(
            host: host, version: "1.0", result: result, report: CheckScript.Report(parsing: ""), redis: nil,
            probed: false, options: HostChecker.Options(ssh: SSHSettings(connectTimeout: 7))
        ).check
        let fix = check[.ssh].fix ?? ""
        #expect(
            fix.hasSuffix(
                "try ssh -F '/home/alice/my cfg' -o ConnectTimeout=7 -n -o BatchMode=yes -o ExitOnForwardFailure=yes "
                    + "-o ConnectTimeout=10 -p 2222 -o 'IdentityFile=/k/id x' alice@10.0.0.7 true"), "\(fix)")
    }

    @Test("a check forwards every slot's tunnel, each the job line's own -R argument")
    func tunnels() throws {
        let host = Host(name: "n1", processors: 3, sshOptions: ["-R", "9:x:9"], tunnelPortBase: 14000)
        let tcp = try HostChecker(redis: RedisEndpoint(host: "::1", port: 6380, password: "pw"))
        #expect(tcp.forwards(for: host) == ["14000:[::1]:6380", "14001:[::1]:6380", "14002:[::1]:6380"])
        let unix = try HostChecker(redis: RedisEndpoint(unixSocket: "/r/s.sock"))
        #expect(unix.forwards(for: host).first == "14000:/r/s.sock")
        #expect(unix.forwards(for: Host(name: "localhost", processors: 2, isLocal: true)).isEmpty)
        #expect(try HostChecker(redis: nil).forwards(for: host).isEmpty)
    }

    @Test(
        "a script survives the remote shell's word splitting unchanged",
        arguments: [
            #"printf '%s\n' "it's" "a \"b\"" '$HOME' '\'"#, "echo 'x'; echo \"y\" # z", "printf '%s' '!*?[a]'",
        ])
    func remoteQuoting(script: String) async throws {
        let argv = RemoteShell.arguments(host: Host(name: "n1"), script: script, settings: SSHSettings())
        // ssh joins the words after the host with spaces; the remote login shell parses that line.
        let remoteLine = argv[(argv.firstIndex(of: "n1")! + 1)...].joined(separator: " ")
        let direct = try await ProcessRunner.run(["/bin/sh", "-c", script], timeout: .seconds(10))
        let remote = try await ProcessRunner.run(["/bin/sh", "-c", remoteLine], timeout: .seconds(10))
        #expect(remote.stdout == direct.stdout)
        #expect(remote.status == direct.status)
    }

    @Test("a program that outlives its time is stopped with its process group; its output so far is kept")
    func runnerTimeout() async throws {
        let marker = try TemporaryDirectory()
        let script = "echo started; sleep infinity & echo $! > \(marker.path)/child; wait"
        let result = try await ProcessRunner.run(["/bin/sh", "-c", script], timeout: .milliseconds(300))
        // Far less than forever (timed by the thread that waited for it, so other tests keeping
        // the cooperative pool busy do not count).
        #expect(result.duration < .seconds(120))
        #expect(result.timedOut)
        #expect(result.stdout == "started\n")
        #expect(result.signal == SIGTERM)
        let child = try String(contentsOfFile: marker.path + "/child", encoding: .utf8)
        let pid = try #require(Int32(child.trimmingCharacters(in: .whitespacesAndNewlines)))
        // The group got SIGTERM; on a busy machine the child may take a moment to be scheduled and die.
        let deadline = ContinuousClock.now + .seconds(10)
        while isRunning(pid) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(isRunning(pid) == false)
        kill(pid, SIGKILL)  // lives until ended: if the group signal missed it, the test ends it
    }

    @Test("a program that cannot start is an error naming it")
    func runnerMissingProgram() async {
        let error = await #expect(throws: HostsError.self) {
            try await ProcessRunner.run(["/nonexistent/program"], timeout: .seconds(5))
        }
        #expect(error?.code == .process)
        #expect(error?.message == "cannot run /nonexistent/program")
    }

    @Test("the worker binary is the one given, else $CLUSTMAKE_WORKER_BINARY, else the build output above clustmake")
    func workerBinary() throws {
        #expect(try WorkerBinary.locate(explicit: "/x/compmake") == "/x/compmake")
        let root = try TemporaryDirectory()
        let output = root.path + "/" + WorkerBinary.buildOutput
        try FileManager.default.createDirectory(
            atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: output, contents: Data(), attributes: [.posixPermissions: 0o755])
        let executable = root.path + "/.build/x86_64-unknown-linux-gnu/release/clustmake"
        if ProcessInfo.processInfo.environment[WorkerBinary.environmentVariable] == nil {
            #expect(try WorkerBinary.locate(explicit: nil, executable: executable) == output)
            let error = #expect(throws: HostsError.self) {
                try WorkerBinary.locate(explicit: nil, executable: "/nonexistent/bin/clustmake")
            }
            #expect(error?.fix?.contains("scripts/build-worker.sh") == true)
        }
    }

    @Test("CLIENT LIST: clients named as looks do not count as users; a line without that name does")
    func clientListUsers() {
        let list =
            "id=3 addr=/tmp/r.sock:0 laddr=/tmp/r.sock:0 fd=8 name=clustmake-look age=9 idle=0 cmd=client|list\n"
            + "id=7 addr=/tmp/r.sock:0 laddr=/tmp/r.sock:0 fd=9 name= age=1 idle=1 cmd=get\n"
            + "id=8 addr=/tmp/r.sock:0 fd=10 name=clustmake-looker age=1 cmd=ping\n"
            + "id=9 addr=/tmp/r.sock:0 fd=11 name=clustmake-look age=0 cmd=info\n"
            + "garbage without fields\n"
        #expect(LocalRedis.users(inClientList: list) == 3)
        #expect(LocalRedis.users(inClientList: "") == 0)
    }
}
