public import ClustmakeModel

/// How copying the worker to one host went.
public struct WorkerInstall: Sendable, Hashable {
    /// The host.
    public var host: Host
    /// Where the worker now is on the host (an absolute path), when the copy succeeded.
    public var path: String?
    /// Why it failed, as a sentence, when it did.
    public var failure: String?
    /// What to do about the failure, when known.
    public var fix: String?
    /// How long it took.
    public var duration: Duration

    public init(host: Host, path: String? = nil, failure: String? = nil, fix: String? = nil, duration: Duration = .zero)
    {
        self.host = host
        self.path = path
        self.failure = failure
        self.fix = fix
        self.duration = duration
    }

    /// Whether the worker was copied and runs on the host.
    public var succeeded: Bool { failure == nil && path != nil }
}
