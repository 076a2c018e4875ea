/// A failure of the executor itself (not of a job or a host): a file it cannot create, a process it cannot start,
/// redis it cannot reach, a run directory owned by someone else.
public struct DispatchError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, naming the file, process, host or key involved.
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
