import Foundation
import Glibc
import Synchronization

/// Prerequisites, the test user, keys and the sshd and ssh configuration files.
extension SSHTestCluster {
    /// Where a cluster's files are, and what its namespaces are called.
    struct Layout: Sendable {
        let directory: String
        let clusterName: String
        let tools: Tools
        let options: Options

        func namespace(_ host: String) -> String { "\(clusterName)-\(host)" }
        func workDirectory(_ host: String) -> String { "\(directory)/hosts/\(host)" }
        func sshdConfig(_ host: String) -> String { "\(directory)/sshd_config.\(host)" }
        func sshdLog(_ host: String) -> String { "\(directory)/sshd.\(host).log" }
        func controlPath(_ host: String) -> String { "\(directory)/ctl.\(host)" }
        var hostKey: String { directory + "/ssh_host_ed25519_key" }
        var userKey: String { directory + "/id_ed25519" }
        var authorizedKeys: String { directory + "/authorized_keys" }
        var knownHosts: String { directory + "/known_hosts" }
        var sshConfig: String { directory + "/ssh_config" }
        /// Holds the creating process's id, so ``SSHTestCluster/removeStale()`` can tell leftovers.
        var ownerFile: String { directory + "/owner.pid" }

        /// The ProxyCommand that is the host: sshd in inetd mode inside the namespace, one per connection.
        func proxyCommand(_ host: String) -> String {
            "\(tools.ip) netns exec \(namespace(host)) \(tools.sshd) -i -f \(sshdConfig(host)) -E \(sshdLog(host))"
        }
    }

    /// The test user as the system knows it.
    struct TestUser: Sendable {
        var name: String
        var uid: uid_t
        var gid: gid_t
        var home: String
        var shell: String
    }

    // MARK: - Prerequisites

    static func findTools(_ options: Options) throws(TestHarnessError) -> Tools {
        guard options.sshd.hasPrefix("/") else {
            throw TestHarnessError(
                .missingPrerequisite,
                "sshd must be given by absolute path, not '\(options.sshd)'. The ssh integration tests need a real "
                    + "OpenSSH server: install the Debian package openssh-server (apt-get install openssh-server; "
                    + "scripts/install-deps.sh installs everything the tests need).")
        }
        let sshd = try locate(options.sshd, package: "openssh-server", role: "a real OpenSSH server")
        let client = "the OpenSSH client and ssh-keygen"
        let accounts = "useradd and usermod, to create the test user"
        return Tools(
            sshd: sshd,
            ssh: try locate(options.ssh, package: "openssh-client", role: client),
            sshKeygen: try locate(options.sshKeygen, package: "openssh-client", role: client),
            ip: try locate(options.ip, package: "iproute2", role: "ip netns, to make each host a network namespace"),
            useradd: try locate("useradd", package: "passwd", role: accounts),
            usermod: try locate("usermod", package: "passwd", role: accounts))
    }

    /// ``Prerequisite/locate(_:package:role:tests:)`` for the ssh integration tests.
    static func locate(_ program: String, package: String, role: String) throws(TestHarnessError) -> String {
        try Prerequisite.locate(program, package: package, role: role, tests: "the ssh integration tests")
    }

    /// Root with `CAP_SYS_ADMIN`: `ip netns add` mounts, and `useradd` writes /etc/passwd.
    static func checkPrivileges() throws(TestHarnessError) {
        guard geteuid() == 0 else {
            throw TestHarnessError(
                .notPermitted,
                "the ssh integration tests create network namespaces and a test user, which needs root (user id 0, "
                    + "this process runs as \(geteuid())): run them as root, as CI does, e.g. "
                    + "sudo swift test --filter ClustmakeIntegrationTests")
        }
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("CapEff:") }
        let capabilities = line.flatMap {
            UInt64($0.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        let sysAdmin: UInt64 = 1 << 21
        if let capabilities, capabilities & sysAdmin == 0 {
            throw TestHarnessError(
                .notPermitted,
                "this process runs as root but without CAP_SYS_ADMIN (CapEff \(String(capabilities, radix: 16))), "
                    + "which ip netns needs: in a container, start it with --cap-add SYS_ADMIN (or --privileged)")
        }
    }

    /// sshd refuses to start without its privilege separation directory, root-owned and not writable by others.
    static func ensurePrivilegeSeparationDirectory() throws(TestHarnessError) {
        let path = "/run/sshd"
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw TestHarnessError(
                .setupFailed,
                "cannot create sshd's privilege separation directory \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == 0,
            info.st_mode & 0o022 == 0
        else {
            throw TestHarnessError(
                .setupFailed,
                "\(path) must be a directory owned by root and not writable by group or others, as sshd requires: "
                    + "rm -rf \(path) && mkdir -m 755 \(path)")
        }
    }

    // MARK: - The test user

    /// Users made ready by this process; also serializes `useradd` among its parallel tests.
    private static let readyUsers = Mutex<[String: TestUser]>([:])

    /// Creates the test user if missing (`useradd --system`, shell `/bin/sh`, password `*`: no password, yet not
    /// locked, as sshd with `UsePAM no` requires), or repairs its shell, password and home. Idempotent, and
    /// safe when other processes do it at the same time (`useradd` fails for all but one; all then find it).
    static func ensureUser(_ name: String, home: String, tools: Tools) throws(TestHarnessError) -> TestUser {
        try readyUsers.withLock { (users) throws(TestHarnessError) -> TestUser in
            if let user = users[name] { return user }
            try retrying("create the test user \(name)", until: { lookUpUser(name) != nil }) {
                [
                    tools.useradd, "--system", "--create-home", "--home-dir", home, "--shell", "/bin/sh",
                    "--password", "*", "--comment", "clustmake integration tests", name,
                ]
            }
            try retrying(
                "give the test user \(name) the shell /bin/sh", until: { lookUpUser(name)?.shell == "/bin/sh" }
            ) {
                [tools.usermod, "--shell", "/bin/sh", name]
            }
            try retrying("unlock the test user \(name) (sshd refuses locked accounts)", until: { !isLocked(name) }) {
                [tools.usermod, "--password", "*", name]
            }
            guard let user = lookUpUser(name) else {
                throw TestHarnessError(.setupFailed, "the test user \(name) vanished while being set up")
            }
            // sshd changes to the home directory and complains on every session's stderr when it is missing.
            if access(user.home, F_OK) != 0 {
                guard mkdir(user.home, 0o755) == 0 || errno == EEXIST, chown(user.home, user.uid, user.gid) == 0 else {
                    throw TestHarnessError(
                        .setupFailed,
                        "cannot create the home directory \(user.home) of the test user \(name): "
                            + String(cString: strerror(errno)))
                }
            }
            users[name] = user
            return user
        }
    }

    /// Runs `command` until `done` holds, up to 20 times 50 ms apart: `useradd` and `usermod` fail while another
    /// process holds the lock on /etc/passwd, or when it did the same work first.
    private static func retrying(
        _ what: String, until done: () -> Bool, command: () -> [String]
    ) throws(TestHarnessError) {
        var output = ""
        for attempt in 0..<20 {
            if done() { return }
            if attempt > 0 { RedisServer.sleep(.milliseconds(50)) }
            let result = try runTool(command())
            output =
                "\(shellLine(result.arguments)) exited with status \(result.status):\n\(result.stdout)\(result.stderr)"
        }
        if done() { return }
        throw TestHarnessError(.setupFailed, "cannot \(what) after 20 attempts", details: output)
    }

    private static func lookUpUser(_ name: String) -> TestUser? {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        return buffer.withUnsafeMutableBufferPointer { buffer -> TestUser? in
            guard getpwnam_r(name, &entry, buffer.baseAddress!, buffer.count, &found) == 0, found != nil else {
                return nil
            }
            return TestUser(
                name: name, uid: entry.pw_uid, gid: entry.pw_gid, home: String(cString: entry.pw_dir),
                shell: String(cString: entry.pw_shell))
        }
    }

    /// Whether the user's password field in /etc/shadow starts with `!` (what `useradd` writes by default).
    private static func isLocked(_ name: String) -> Bool {
        guard let shadow = try? String(contentsOfFile: "/etc/shadow", encoding: .utf8) else { return false }
        guard let line = shadow.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return false }
        return line.split(separator: ":", omittingEmptySubsequences: false).dropFirst().first?.hasPrefix("!") ?? false
    }

    // MARK: - Files

    /// Writes keys, sshd and ssh configurations and work directories into `layout.directory`.
    static func writeFiles(_ layout: Layout, hostNames: [String], user: TestUser, tools: Tools)
        throws(TestHarnessError)
    {
        try writeFile("\(getpid())\n", to: layout.ownerFile, mode: 0o644)
        for (key, comment) in [(layout.hostKey, "host"), (layout.userKey, "user")] {
            try runToolChecked(
                [
                    tools.sshKeygen, "-q", "-t", "ed25519", "-N", "", "-C",
                    "clustmake test \(comment) key of \(layout.clusterName)", "-f", key,
                ], directory: layout.directory, what: "making the \(comment) key")
        }
        let hostPublicKey = try readPublicKey(layout.hostKey + ".pub")
        let userPublicKey = try readPublicKey(layout.userKey + ".pub")
        try writeFile(userPublicKey + "\n", to: layout.authorizedKeys, mode: 0o644)
        try writeFile(
            hostNames.map { "\(layout.namespace($0)) \(hostPublicKey)\n" }.joined(), to: layout.knownHosts, mode: 0o644)

        try makeDirectory(layout.directory + "/hosts", mode: 0o711)
        for host in hostNames {
            let work = layout.workDirectory(host)
            try makeDirectory(work, mode: 0o755)
            guard chown(work, user.uid, user.gid) == 0 else {
                throw TestHarnessError(
                    .setupFailed, "cannot give \(work) to the test user: \(String(cString: strerror(errno)))")
            }
            try writeFile(sshdConfiguration(layout, host: host), to: layout.sshdConfig(host), mode: 0o644)
        }
        try writeFile(sshConfiguration(layout, hostNames: hostNames), to: layout.sshConfig, mode: 0o644)
    }

    /// One host's sshd: inetd mode (no listener, so no `ListenAddress`, `Port` or `PidFile` matter), public
    /// keys of the test user only, TCP and unix-socket forwarding on for the reverse tunnels.
    static func sshdConfiguration(_ layout: Layout, host: String) -> String {
        let work = layout.workDirectory(host)
        return """
            # sshd of test host \(host) (namespace \(layout.namespace(host))), started once per connection by
            # ssh's ProxyCommand as: \(layout.proxyCommand(host))
            HostKey \(layout.hostKey)
            AuthorizedKeysFile \(layout.authorizedKeys)
            AllowUsers \(layout.options.user)
            PermitRootLogin no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            HostbasedAuthentication no
            UsePAM no
            # The key files live under /tmp, which is world-writable: StrictModes would reject them.
            StrictModes no
            AllowTcpForwarding yes
            PermitListen any
            GatewayPorts no
            AllowAgentForwarding no
            # Unix-socket forwards, for hosts with tunnel: unix (OpenSSH's default).
            AllowStreamLocalForwarding yes
            X11Forwarding no
            PermitTTY no
            PermitUserEnvironment no
            PrintMotd no
            PrintLastLog no
            # Many multiplexed sessions over one ControlMaster (the default is 10).
            MaxSessions 256
            # Applies to a listening sshd only; set generously in case one is ever started with this file.
            MaxStartups 256
            LoginGraceTime 30
            PidFile none
            LogLevel \(layout.options.sshdLogLevel)
            SetEnv HOME=\(work) CLUSTMAKE_TEST_HOST=\(host) CLUSTMAKE_TEST_WORKDIR=\(work)
            Subsystem sftp internal-sftp

            """
    }

    /// The client configuration: one `Host` block per host, everything a job line needs besides `-F`.
    static func sshConfiguration(_ layout: Layout, hostNames: [String]) -> String {
        var text = """
            # ssh client configuration of test cluster \(layout.clusterName) (SSHTestCluster; docs/testing.md).
            # Each host is a network namespace; ProxyCommand runs its sshd in inetd mode. Use: ssh -F THIS h1 CMD

            """
        for host in hostNames {
            text += """

                Host \(host)
                    HostName \(layout.namespace(host))
                    User \(layout.options.user)
                    ProxyCommand \(layout.proxyCommand(host))
                    IdentityFile \(layout.userKey)
                    IdentitiesOnly yes
                    IdentityAgent none
                    PreferredAuthentications publickey
                    UserKnownHostsFile \(layout.knownHosts)
                    GlobalKnownHostsFile /dev/null
                    StrictHostKeyChecking yes
                    CheckHostIP no
                    UpdateHostKeys no
                    BatchMode yes
                    ConnectTimeout \(layout.options.connectTimeoutSeconds)
                    ForwardAgent no
                    ForwardX11 no
                    ControlMaster no
                    ControlPath \(layout.controlPath(host))
                    LogLevel ERROR

                """
        }
        return text
    }

    private static func readPublicKey(_ path: String) throws(TestHarnessError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TestHarnessError(.setupFailed, "ssh-keygen wrote no public key at \(path)")
        }
        return trimmingTrailingWhitespace(String(decoding: data, as: UTF8.self))
    }

    static func writeFile(_ text: String, to path: String, mode: mode_t) throws(TestHarnessError) {
        try DaemonProcess.writeFile(Array(text.utf8), to: path, mode: mode)
    }

    private static func makeDirectory(_ path: String, mode: mode_t) throws(TestHarnessError) {
        guard mkdir(path, mode) == 0 else {
            throw TestHarnessError(.setupFailed, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        chmod(path, mode)
    }
}
