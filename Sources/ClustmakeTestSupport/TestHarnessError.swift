/// Why a test harness (an ``SSHTestCluster``, a ``SlurmTestCluster``, ``CronService`` or ``AtService``) could not
/// start or could not do what a test asked, with the output of the tool that failed or the daemons' log tails.
///
/// The message names the host, namespace, daemon, file or tool involved and what to do about it; a missing
/// prerequisite names its Debian package:
///
/// ```
/// missing prerequisite: /usr/sbin/sshd is not installed. The ssh integration tests run a real OpenSSH
/// server: install the Debian package openssh-server (apt-get install openssh-server).
/// ```
public struct TestHarnessError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Compare with the static members: `error.code == .timedOut`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case missingPrerequisite, notPermitted, setupFailed, unknownHost, invalidArgument, commandFailed
            case timedOut
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A program the harness needs is not installed (the message names the Debian package).
        public static let missingPrerequisite = Code(.missingPrerequisite)
        /// The process may not do what the harness needs (create users or network namespaces, start daemons that
        /// run jobs as their users): not root, or no `CAP_SYS_ADMIN`.
        public static let notPermitted = Code(.notPermitted)
        /// Starting failed: a temporary directory, a key, a namespace, the test user, a configuration, or a daemon
        /// that exited.
        public static let setupFailed = Code(.setupFailed)
        /// A host name that is not one of the cluster's.
        public static let unknownHost = Code(.unknownHost)
        /// An argument was out of range: no hosts or nodes, a host name that cannot be a namespace or ssh alias, a
        /// crontab marker with a newline.
        public static let invalidArgument = Code(.invalidArgument)
        /// A command could not be started or failed (`crontab`, `at`, `sbatch`), or a ControlMaster did not come up.
        public static let commandFailed = Code(.commandFailed)
        /// A command did not finish in time (it was killed, its whole process group), or a condition did not hold
        /// within its bound (a node never idle, a file never written).
        public static let timedOut = Code(.timedOut)

        public var description: String {
            switch base {
            case .missingPrerequisite: "missing prerequisite"
            case .notPermitted: "not permitted"
            case .setupFailed: "setup failed"
            case .unknownHost: "unknown host"
            case .invalidArgument: "invalid argument"
            case .commandFailed: "command failed"
            case .timedOut: "timed out"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The output of the tool that failed, or the tails of the daemons' logs, or empty.
    public var details: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of failure.
    ///   - message: What went wrong and what to do about it.
    ///   - details: The failing command's output or log tails.
    public init(_ code: Code, _ message: String, details: String = "") {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String {
        let trimmed = SSHTestCluster.trimmingTrailingWhitespace(details)
        return trimmed.isEmpty ? "\(code): \(message)" : "\(code): \(message)\n\(trimmed)"
    }
}
