import Glibc
import Synchronization

extension SSHTestCluster {
    /// Another, unprivileged user of the test hosts: what a stranger logged in on a shared host can do while the
    /// test user's jobs run there (docs/security.md).
    ///
    /// Each value creates a user of its own (`useradd --system`, no home, no password: it can never log in over
    /// ssh) named `cmk-nb-PID-N`, and removes it (`userdel`) when it goes away. Its commands run with `/bin/sh`
    /// inside a host's network namespace, so they see that host's loopback, where sshd binds the tunnels of the
    /// test user's sessions.
    public final class Neighbour: Sendable {
        /// The user's name.
        public let name: String
        private let userdel: String

        private static let counter = Mutex(0)

        /// Creates the user.
        /// - Throws: ``TestHarnessError`` (`.missingPrerequisite` without `useradd`/`userdel`, `.setupFailed` when
        ///   `useradd` fails).
        public init() throws(TestHarnessError) {
            let number = Self.counter.withLock { value in
                value += 1
                return value
            }
            name = "cmk-nb-\(getpid())-\(number)"
            let role = "useradd and userdel, to create a second user on the test hosts"
            let useradd = try SSHTestCluster.locate("useradd", package: "passwd", role: role)
            userdel = try SSHTestCluster.locate("userdel", package: "passwd", role: role)
            try SSHTestCluster.runToolChecked(
                [
                    useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh",
                    "--comment", "clustmake integration tests, another user of the hosts", name,
                ], what: "creating the user \(name)")
        }

        deinit {
            _ = try? SSHTestCluster.runTool([userdel, name])
        }

        /// Runs the shell line `command` as this user on `host` of `cluster` (in the host's network namespace).
        /// - Returns: Its status and output.
        /// - Throws: ``TestHarnessError`` for an unknown host or when the command cannot be started.
        public func run(
            _ command: String, on host: String, of cluster: SSHTestCluster, timeout: Duration = .seconds(30)
        ) throws(TestHarnessError) -> CommandResult {
            let namespace = try cluster.namespace(of: host)
            return try SSHTestCluster.runTool(
                [cluster.tools.ip, "netns", "exec", namespace, "runuser", "-u", name, "--", "/bin/sh", "-c", command],
                timeout: timeout)
        }
    }
}
