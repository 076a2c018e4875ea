/// Why an ``SSHTestCluster`` could not be built or could not do what a test asked, with the output of the
/// tool that failed.
///
/// The message names the host, namespace, file or tool involved and what to do about it; a missing
/// prerequisite names its Debian package:
///
/// ```
/// missing prerequisite: /usr/sbin/sshd is not installed. The ssh integration tests run a real OpenSSH
/// server: install the Debian package openssh-server (apt-get install openssh-server).
/// ```
public struct SSHTestClusterError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Compare with the static members: `error.code == .timedOut`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case missingPrerequisite, notPermitted, setupFailed, unknownHost, invalidArgument, commandFailed
            case timedOut
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A program the cluster needs is not installed (the message names the Debian package).
        public static let missingPrerequisite = Code(.missingPrerequisite)
        /// The process may not create users or network namespaces: not root, or no `CAP_SYS_ADMIN`.
        public static let notPermitted = Code(.notPermitted)
        /// Building the cluster failed: a temporary directory, a key, a namespace or the test user.
        public static let setupFailed = Code(.setupFailed)
        /// A host name that is not one of the cluster's.
        public static let unknownHost = Code(.unknownHost)
        /// An argument was out of range: no hosts, a host name that cannot be a namespace or ssh alias.
        public static let invalidArgument = Code(.invalidArgument)
        /// A command could not be started, or a ControlMaster did not come up.
        public static let commandFailed = Code(.commandFailed)
        /// A command did not finish in time; it was killed (its whole process group).
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
    /// The output of the tool that failed or the tail of an sshd log, or empty.
    public var details: String

    init(_ code: Code, _ message: String, details: String = "") {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String {
        let trimmed = SSHTestCluster.trimmingTrailingWhitespace(details)
        return trimmed.isEmpty ? "\(code): \(message)" : "\(code): \(message)\n\(trimmed)"
    }
}
