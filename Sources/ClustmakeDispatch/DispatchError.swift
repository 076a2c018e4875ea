/// A failure of the executor itself (not of a job or a host): a file it cannot create, a process it cannot start,
/// redis it cannot reach, a run directory owned by someone else; or a run refused because another run of the
/// namespace is going on.
public struct DispatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the file, process, host or key involved.
    public var message: String
    /// The exit status `clustmake run` ends with: 1 (clustmake failed), or 2 when the run was refused and
    /// nothing was done (another run holds the namespace).
    public var exitStatus: Int32
    public init(_ message: String, exitStatus: Int32 = 1) {
        self.message = message
        self.exitStatus = exitStatus
    }
    public var description: String { message }
}
