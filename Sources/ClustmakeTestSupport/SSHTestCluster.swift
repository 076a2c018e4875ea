import Foundation
import Glibc
import Synchronization

/// A real ssh cluster for one test: each host is a Linux network namespace with only its own loopback, reached
/// through OpenSSH's `sshd -i` started per connection by ssh's `ProxyCommand`; no daemon listens anywhere.
///
/// ```swift
/// @Test("a job reaches redis through the reverse tunnel") func tunnel() throws {
///     let redis = try RedisServer()
///     let cluster = try SSHTestCluster(hosts: 2)
///     let result = try cluster.run(
///         host: "h1", "redis-cli -p 13000 PING",
///         sshOptions: ["-o", "ExitOnForwardFailure=yes", "-R", "13000:127.0.0.1:\(redis.port)"])
///     #expect(result.output == "PONG")
/// }   // namespaces, processes and files go away with `cluster`
/// ```
///
/// Every cluster gets a fresh temporary directory (`/tmp/clustmake-ssh.XXXXXX`) holding an ed25519 host key
/// and user key, one `sshd_config.HOST` per host, the client configuration ``sshConfigPath`` (one `Host` block
/// per host, usable as clustmake's `ssh_config`), the sshd logs and a work directory per host. Namespaces are
/// named `cmk-PID-N-HOST`, so clusters of parallel tests and of other test processes never clash. Jobs run as
/// the test user (``Options/user``, created with `useradd` when missing; its login shell is `/bin/sh`). The
/// ssh client runs as the test process's user (root): only root may `ip netns exec`.
///
/// `init` fails loudly, never skips, when something is missing: the error names the Debian package
/// (`openssh-server`, `openssh-client`, `iproute2`, `passwd`), or says to run as root with `CAP_SYS_ADMIN`.
///
/// The methods block (spawning, polling); call them from test code, not from the cooperative pool of
/// production code. If the test process dies without running `deinit`, the next cluster made by any process
/// removes what it left (``removeStale()``). See docs/testing.md.
public final class SSHTestCluster: Sendable {
    /// How to build the cluster.
    public struct Options: Sendable {
        /// The user jobs run as; created with `useradd --system` when missing.
        public var user: String
        /// The home directory `useradd` gives the user when it creates it (the login directory; shared by all
        /// hosts and clusters: `HOME` of a session is its host's work directory instead).
        public var userHome: String
        /// ssh's `ConnectTimeout` in the client configuration, in whole seconds.
        public var connectTimeoutSeconds: Int
        /// sshd's `LogLevel` (`QUIET`, `ERROR`, `INFO`, `VERBOSE`, `DEBUG1`…`DEBUG3`).
        public var sshdLogLevel: String
        /// The OpenSSH server; absolute, as sshd requires.
        public var sshd: String
        /// The OpenSSH client; looked up in `PATH` (and `/usr/bin`, `/bin`) when it has no slash.
        public var ssh: String
        /// `ssh-keygen`; looked up like ``ssh``.
        public var sshKeygen: String
        /// iproute2's `ip`; looked up like ``ssh`` (also in `/usr/sbin`, `/sbin`).
        public var ip: String

        /// Creates options; the defaults suit Debian 12 with `scripts/install-deps.sh` run.
        /// - Parameters:
        ///   - user: The user jobs run as.
        ///   - userHome: The home directory of the user when it is created.
        ///   - connectTimeoutSeconds: ssh's `ConnectTimeout`.
        ///   - sshdLogLevel: sshd's `LogLevel`.
        ///   - sshd: The OpenSSH server binary.
        ///   - ssh: The OpenSSH client binary.
        ///   - sshKeygen: The `ssh-keygen` binary.
        ///   - ip: The `ip` binary.
        public init(
            user: String = "clustmake-test", userHome: String = "/var/lib/clustmake-test",
            connectTimeoutSeconds: Int = 5, sshdLogLevel: String = "VERBOSE", sshd: String = "/usr/sbin/sshd",
            ssh: String = "ssh", sshKeygen: String = "ssh-keygen", ip: String = "ip"
        ) {
            self.user = user
            self.userHome = userHome
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.sshdLogLevel = sshdLogLevel
            self.sshd = sshd
            self.ssh = ssh
            self.sshKeygen = sshKeygen
            self.ip = ip
        }
    }

    /// The prefix of every namespace an ``SSHTestCluster`` creates: `cmk-PID-N-HOST`.
    public static let namespacePrefix = "cmk-"

    /// The options the cluster was built with.
    public let options: Options
    /// The host names (ssh aliases in ``sshConfigPath``), in order: `h1`, `h2`, … by default.
    public let hostNames: [String]
    /// The temporary directory holding keys, configurations, logs and work directories.
    public let directory: String
    /// The ssh client configuration: pass it as `ssh -F PATH`, or as `ssh_config` in a cluster file.
    public let sshConfigPath: String
    /// `cmk-PID-N`: the common prefix of this cluster's namespace names.
    public let name: String
    /// The test user jobs run as.
    public var user: String { options.user }

    /// Absolute paths of the programs the cluster runs.
    struct Tools: Sendable {
        var sshd: String
        var ssh: String
        var sshKeygen: String
        var ip: String
        var useradd: String
        var usermod: String
    }
    let tools: Tools

    private struct HostState: Sendable {
        /// The namespace's inode while it exists (the host is up).
        var inode: ino_t?
        var master: RunningCommand?
        /// A listening sshd started with ``startListeningSSHD(host:settings:timeout:)``.
        var daemon: RunningCommand?
    }
    private struct State: Sendable {
        var hosts: [String: HostState]
        var shutDown = false
    }
    private let state: Mutex<State>

    /// A per-process counter that makes cluster names unique.
    private static let counter = Atomic<Int>(0)

    /// Builds a cluster of `hosts` hosts named `h1`, `h2`, …
    /// - Parameters:
    ///   - hosts: How many hosts, at least 1.
    ///   - options: The test user, timeouts and programs.
    /// - Throws: ``TestHarnessError``: `.missingPrerequisite` naming the Debian package, `.notPermitted`
    ///   when not root, `.setupFailed` with the failing tool's output.
    public convenience init(hosts: Int = 3, options: Options = Options()) throws(TestHarnessError) {
        guard hosts >= 1 else {
            throw TestHarnessError(.invalidArgument, "a test cluster needs at least 1 host, not \(hosts)")
        }
        try self.init(hostNames: (1...hosts).map { "h\($0)" }, options: options)
    }

    /// Builds a cluster whose hosts have the given names.
    /// - Parameters:
    ///   - hostNames: Distinct names of letters, digits, `-` and `_`, starting with a letter (at most 32
    ///     characters): they become ssh aliases, cluster-file keys and parts of namespace names.
    ///   - options: The test user, timeouts and programs.
    /// - Throws: ``TestHarnessError``: `.invalidArgument` for a bad name, `.missingPrerequisite` naming the
    ///   Debian package, `.notPermitted` when not root, `.setupFailed` with the failing tool's output.
    public init(hostNames: [String], options: Options = Options()) throws(TestHarnessError) {
        try Self.validate(hostNames: hostNames, options: options)
        let tools = try Self.findTools(options)
        try Self.checkPrivileges()
        Self.removeStaleOnce()
        try Self.ensurePrivilegeSeparationDirectory()
        let user = try Self.ensureUser(options.user, home: options.userHome, tools: tools)

        let name = "\(Self.namespacePrefix)\(getpid())-\(Self.counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        let directory = try Self.makeTemporaryDirectory()
        var inodes: [String: ino_t] = [:]
        do throws(TestHarnessError) {
            let layout = Layout(directory: directory, clusterName: name, tools: tools, options: options)
            try Self.writeFiles(layout, hostNames: hostNames, user: user, tools: tools)
            for host in hostNames {
                inodes[host] = try Self.addNamespace(layout.namespace(host), tools: tools)
            }
        } catch {
            for (host, inode) in inodes { Self.deleteNamespace("\(name)-\(host)", inode: inode, ip: tools.ip) }
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }

        self.options = options
        self.hostNames = hostNames
        self.directory = directory
        self.sshConfigPath = directory + "/ssh_config"
        self.name = name
        self.tools = tools
        state = Mutex(State(hosts: inodes.mapValues { HostState(inode: $0) }))
    }

    deinit { shutdown() }

    // MARK: - Hosts

    /// A TCP port on this machine's 127.0.0.1 that was free a moment ago, for a forward a test opens itself
    /// (`ssh -R PORT:…`, a cluster file's `tunnel_port`).
    /// - Throws: ``TestHarnessError`` (`.setupFailed`) when no port can be bound.
    public static func freeLoopbackPort() throws(TestHarnessError) -> Int {
        try DaemonProcess.freePort()
    }

    /// The network namespace of `host`: `cmk-PID-N-HOST`.
    /// - Throws: ``TestHarnessError`` (`.unknownHost`) when `host` is not one of ``hostNames``.
    public func namespace(of host: String) throws(TestHarnessError) -> String {
        try checkHost(host)
        return layout.namespace(host)
    }

    /// The work directory of `host`, owned by the test user: `HOME` and `CLUSTMAKE_TEST_WORKDIR` of every
    /// session there.
    public func workDirectory(of host: String) -> String { layout.workDirectory(host) }

    /// The log `host`'s sshd appends to (`sshd -E`), at ``Options/sshdLogLevel``.
    public func sshdLogPath(of host: String) -> String { layout.sshdLog(host) }

    /// The ControlMaster socket of `host` (`ControlPath` in ``sshConfigPath``).
    public func controlPath(of host: String) -> String { layout.controlPath(host) }

    /// The last lines of `host`'s sshd log, for failure messages.
    /// - Parameters:
    ///   - host: A host name of this cluster.
    ///   - lines: How many lines.
    /// - Returns: The lines under a heading naming the file.
    public func sshdLogTail(of host: String, lines: Int = 30) -> String {
        let path = layout.sshdLog(host)
        let text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        let kept = text.map { $0.split(separator: "\n").suffix(lines).joined(separator: "\n") } ?? "(no file)"
        return "--- \(path) ---\n\(kept)"
    }

    /// Whether `host` is up (not killed with ``kill(host:)``, cluster not shut down).
    public func isUp(_ host: String) -> Bool {
        state.withLock { $0.hosts[host]?.inode != nil }
    }

    /// The processes running on `host`: every process in its network namespace (sshd sessions and what they
    /// started), or none when the host is down.
    /// - Throws: ``TestHarnessError`` (`.unknownHost`).
    public func pids(host: String) throws(TestHarnessError) -> [pid_t] {
        try checkHost(host)
        guard let inode = state.withLock({ $0.hosts[host]?.inode }) else { return [] }
        return Self.processes(inNamespace: inode)
    }

    /// Makes `host` fail as a crashed machine does: deletes its namespace, so new ssh connections fail at once
    /// with status 255 ("Cannot open network namespace"), and SIGKILLs every process in it, so running
    /// sessions end with status 255 ("closed by remote host") and their jobs die. Stops its ControlMaster.
    /// Files in its work directory stay. Nothing happens when it is already down.
    /// - Throws: ``TestHarnessError`` (`.unknownHost`).
    public func kill(host: String) throws(TestHarnessError) {
        try checkHost(host)
        let (inode, master, daemon) = state.withLock { state in
            let previous = state.hosts[host]
            state.hosts[host] = HostState()
            return (previous?.inode, previous?.master, previous?.daemon)
        }
        if let inode { Self.deleteNamespace(layout.namespace(host), inode: inode, ip: tools.ip) }
        if let master { Self.stop(master, controlPath: layout.controlPath(host)) }
        if let daemon { _ = try? daemon.wait(timeout: .seconds(5)) }
    }

    /// Brings a killed host back: a fresh namespace of the same name with its loopback up, the same keys,
    /// configuration and work directory. Nothing happens when it is up.
    /// - Throws: ``TestHarnessError``: `.unknownHost`, or `.setupFailed` when `ip` fails (also after
    ///   ``shutdown()``).
    public func revive(host: String) throws(TestHarnessError) {
        try checkHost(host)
        try state.withLock { (state) throws(TestHarnessError) in
            guard !state.shutDown else {
                throw TestHarnessError(.setupFailed, "revive(host: \(host)) after shutdown(): the cluster is gone")
            }
            guard state.hosts[host]?.inode == nil else { return }
            state.hosts[host] = HostState(inode: try Self.addNamespace(layout.namespace(host), tools: tools))
        }
    }

    // MARK: - ControlMaster

    /// Starts a ControlMaster for `host` (`ssh -M -N`, a child of the test process) and waits until its socket
    /// at ``controlPath(of:)`` accepts sessions; from then on every `ssh -F CONFIG HOST` multiplexes over it.
    /// Nothing happens when one runs.
    /// - Parameters:
    ///   - host: A host name of this cluster.
    ///   - timeout: How long to wait for the socket.
    /// - Throws: ``TestHarnessError``: `.unknownHost`, or `.commandFailed` with the master's stderr and the
    ///   sshd log when the master exits or does not come up in time.
    public func startControlMaster(host: String, timeout: Duration = .seconds(10)) throws(TestHarnessError) {
        try checkHost(host)
        try state.withLock { (state) throws(TestHarnessError) in
            if let master = state.hosts[host]?.master, !master.hasExited { return }
            let master = try start(
                sshArguments(
                    host: host, options: ["-M", "-N", "-o", "ControlMaster=yes", "-o", "ControlPersist=no"]))
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            let socket = layout.controlPath(host)
            while access(socket, F_OK) != 0 {
                if master.hasExited || clock.now >= deadline {
                    let what: String
                    let stderr: String
                    do throws(TestHarnessError) {
                        let result = try master.wait(timeout: .zero)
                        (what, stderr) = ("exited with status \(result.status)", result.stderr)
                    } catch {
                        (what, stderr) = ("did not come up within \(timeout)", error.details)
                    }
                    throw TestHarnessError(
                        .commandFailed, "the ControlMaster for \(host) (\(Self.shellLine(master.arguments))) \(what)",
                        details: stderr + "\n" + sshdLogTail(of: host))
                }
                RedisServer.sleep(.milliseconds(2))
            }
            state.hosts[host]?.master = master
        }
    }

    /// Stops `host`'s ControlMaster (SIGTERM, then SIGKILL after 5 s) and removes its socket.
    /// - Throws: ``TestHarnessError`` (`.unknownHost`).
    public func stopControlMaster(host: String) throws(TestHarnessError) {
        try checkHost(host)
        let master = state.withLock { state in
            defer { state.hosts[host]?.master = nil }
            return state.hosts[host]?.master
        }
        if let master { Self.stop(master, controlPath: layout.controlPath(host)) }
    }

    // MARK: - A listening sshd

    /// Starts a listening sshd (`sshd -D`) inside `host`'s namespace on its loopback, port 22, as a real machine
    /// runs one, so that the limits of a daemon apply (`MaxStartups` drops connections beyond it before the key
    /// exchange, `LoginGraceTime`); returns the path of an ssh client configuration in which `host` is reached
    /// through it (`ProxyCommand ip netns exec NS nc 127.0.0.1 22`) and every other host as in ``sshConfigPath``.
    ///
    /// The daemon lives in the namespace: ``kill(host:)`` and ``shutdown()`` end it with the host.
    /// - Parameters:
    ///   - host: A host name of this cluster.
    ///   - settings: sshd_config lines that replace the host's lines of the same keywords, e.g.
    ///     `["MaxStartups 1"]`.
    ///   - timeout: How long to wait for the daemon to accept connections.
    /// - Throws: ``TestHarnessError``: `.unknownHost`, `.missingPrerequisite` without `nc` (Debian package
    ///   netcat-openbsd), `.setupFailed` when the daemon exits or does not listen in time (with its log).
    @discardableResult
    public func startListeningSSHD(host: String, settings: [String] = [], timeout: Duration = .seconds(10))
        throws(TestHarnessError) -> String
    {
        try checkHost(host)
        let netcat = try Self.locate(
            "nc", package: "netcat-openbsd", role: "nc, to reach a listening sshd inside a host's namespace")
        let layout = self.layout
        let namespace = layout.namespace(host)
        let configuration = layout.directory + "/sshd_config.\(host).listening"
        // The host's configuration without the keywords `settings` set (sshd keeps the first value of most
        // keywords but the last of some, MaxStartups among them), then `settings`.
        let keyword = { (line: Substring) in line.split(separator: " ").first.map { $0.lowercased() } ?? "" }
        let replaced = Set(settings.map { keyword(Substring($0)) })
        let base = Self.sshdConfiguration(layout, host: host).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !replaced.contains(keyword($0)) }
        try Self.writeFile(
            (base + ["# The listening sshd of test host \(host)."] + settings.map { Substring($0) }
                + ["ListenAddress 127.0.0.1:22", ""]).joined(separator: "\n"),
            to: configuration, mode: 0o644)
        let client = layout.directory + "/ssh_config.\(host).listening"
        try Self.writeFile(
            "# Test host \(host) through its listening sshd; first values win, the rest as in ssh_config.\n"
                + "Host \(host)\n    ProxyCommand \(tools.ip) netns exec \(namespace) \(netcat) 127.0.0.1 22\n\n"
                + Self.sshConfiguration(layout, hostNames: hostNames),
            to: client, mode: 0o644)
        let daemon = try start([
            tools.ip, "netns", "exec", namespace, tools.sshd, "-D", "-f", configuration, "-E", layout.sshdLog(host),
        ])
        state.withLock { $0.hosts[host]?.daemon = daemon }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let probe = try Self.runTool([tools.ip, "netns", "exec", namespace, netcat, "-z", "127.0.0.1", "22"])
            if probe.succeeded { return client }
            if daemon.hasExited || clock.now >= deadline {
                throw TestHarnessError(
                    .setupFailed, "the listening sshd of \(host) did not come up: \(Self.shellLine(daemon.arguments))",
                    details: sshdLogTail(of: host))
            }
            RedisServer.sleep(.milliseconds(20))
        }
    }

    // MARK: - Shutting down

    /// Stops the ControlMasters, kills every process in every namespace, deletes the namespaces and removes
    /// the temporary directory. Safe to call more than once; `deinit` calls it.
    public func shutdown() {
        let hosts = state.withLock { state in
            defer {
                state.shutDown = true
                for host in state.hosts.keys { state.hosts[host] = HostState() }
            }
            return state.shutDown ? [:] : state.hosts
        }
        guard !hosts.isEmpty else { return }
        for (host, hostState) in hosts {
            if let inode = hostState.inode { Self.deleteNamespace(layout.namespace(host), inode: inode, ip: tools.ip) }
            if let master = hostState.master { Self.stop(master, controlPath: layout.controlPath(host)) }
            if let daemon = hostState.daemon { _ = try? daemon.wait(timeout: .seconds(5)) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Helpers

    var layout: Layout { Layout(directory: directory, clusterName: name, tools: tools, options: options) }

    private func checkHost(_ host: String) throws(TestHarnessError) {
        guard hostNames.contains(host) else {
            throw TestHarnessError(
                .unknownHost, "'\(host)' is not a host of test cluster \(name); its hosts are \(hostNames)")
        }
    }

    /// SIGTERM to a ControlMaster's process group, SIGKILL after 5 s; then its socket is removed.
    private static func stop(_ master: RunningCommand, controlPath: String) {
        master.signal(SIGTERM)
        if (try? master.wait(timeout: .seconds(5))) == nil { master.signal(SIGKILL) }
        _ = try? master.wait(timeout: .seconds(5))
        unlink(controlPath)
    }

    private static func validate(hostNames: [String], options: Options) throws(TestHarnessError) {
        guard !hostNames.isEmpty else {
            throw TestHarnessError(.invalidArgument, "a test cluster needs at least 1 host, not an empty list")
        }
        for host in hostNames {
            let valid =
                (1...32).contains(host.count) && host.first!.isASCII && host.first!.isLetter
                && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            guard valid else {
                throw TestHarnessError(
                    .invalidArgument,
                    "host name '\(host)' cannot name a test host: use 1 to 32 ASCII letters, digits, '-' and '_', "
                        + "starting with a letter (it becomes an ssh alias and part of a namespace name)")
            }
        }
        guard Set(hostNames).count == hostNames.count else {
            throw TestHarnessError(.invalidArgument, "host names must be distinct: \(hostNames)")
        }
        guard options.connectTimeoutSeconds >= 1 else {
            throw TestHarnessError(
                .invalidArgument, "connectTimeoutSeconds must be at least 1, not \(options.connectTimeoutSeconds)")
        }
    }

    private static func makeTemporaryDirectory() throws(TestHarnessError) -> String {
        // The test user must reach its work directory and sshd, running as that user, authorized_keys.
        do { return try Prerequisite.temporaryDirectory(prefix: "clustmake-ssh", mode: 0o711) } catch {
            throw TestHarnessError(.setupFailed, error.message)
        }
    }
}
