/// Why a SLURM test cluster, cron or atd could not start, or could not do what a test asked, with the logs or
/// the output of the tool that failed.
///
/// The message names the daemon, file or command involved and what to do about it; a missing program names its
/// Debian package:
///
/// ```
/// missing prerequisite: slurmctld is not installed (looked in PATH=… and /usr/sbin, /usr/bin, /sbin, /bin).
/// The SLURM tests need the SLURM controller: install the Debian package slurmctld (apt-get install slurmctld;
/// scripts/install-deps.sh installs everything the tests need).
/// ```
public struct TestServiceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Compare with the static members: `error.code == .timedOut`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case missingPrerequisite, notPermitted, setupFailed, invalidArgument, commandFailed, timedOut
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A program is not installed (the message names the Debian package).
        public static let missingPrerequisite = Code(.missingPrerequisite)
        /// The process may not do what the daemons need: not root.
        public static let notPermitted = Code(.notPermitted)
        /// Starting failed: a temporary directory, a key, a configuration, or a daemon that exited.
        public static let setupFailed = Code(.setupFailed)
        /// An argument was out of range: no nodes, a marker with a newline.
        public static let invalidArgument = Code(.invalidArgument)
        /// A command a helper runs (`crontab`, `at`, `atrm`, `sbatch`) failed.
        public static let commandFailed = Code(.commandFailed)
        /// A condition did not hold within its bound (a node never idle, a file never written).
        public static let timedOut = Code(.timedOut)

        public var description: String {
            switch base {
            case .missingPrerequisite: "missing prerequisite"
            case .notPermitted: "not permitted"
            case .setupFailed: "setup failed"
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
    /// Log tails or the failing command's output, or empty.
    public var details: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of failure.
    ///   - message: What went wrong and what to do about it.
    ///   - details: Log tails or the failing command's output.
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
