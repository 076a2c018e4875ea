public import ClustmakeModel

/// How clustmake opens its own sessions to hosts (checks and installs): the job lines' ssh options
/// (``ClustmakeScripts/JobLine/batchOptions``, the host's `-F`, `-p` and `ssh_options`) with a connect timeout of its
/// own, plus whatever the caller adds per host, such as a ControlMaster's socket.
public struct SSHSettings: Sendable {
    /// ssh's `ConnectTimeout`, in seconds: how long to wait for a host to answer before calling it unreachable.
    public var connectTimeout: Int
    /// More ssh options for a host, placed where ``ClustmakeScripts/JobLine`` places its `connectionOptions`
    /// (after the batch options, before the host's own), e.g. `JobLine.controlOptions(path:)` to go through the
    /// executor's ControlMaster.
    public var connectionOptions: @Sendable (Host) -> [String]

    /// Creates settings.
    /// - Parameters:
    ///   - connectTimeout: ssh's `ConnectTimeout` in seconds (at least 1).
    ///   - connectionOptions: More ssh options per host.
    public init(connectTimeout: Int = 10, connectionOptions: @escaping @Sendable (Host) -> [String] = { _ in [] }) {
        self.connectTimeout = max(1, connectTimeout)
        self.connectionOptions = connectionOptions
    }
}
