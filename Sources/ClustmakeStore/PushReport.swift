/// What a push changed, or would change.
public struct PushReport: Sendable, Hashable {
    /// The namespace.
    public var namespace: String
    /// How many jobs the pushed graph has.
    public var jobCount: Int
    /// Whether the namespace did not exist before.
    public var createdNamespace: Bool
    /// Jobs that were not in the namespace, in graph order.
    public var added: [String] = []
    /// Jobs of the namespace that the graph no longer has, in their old order.
    public var removed: [String] = []
    /// Jobs whose command, working directory or environment changed.
    public var changedCommand: [String] = []
    /// Jobs whose dependencies changed.
    public var changedDependencies: [String] = []
    /// Jobs whose other settings changed (cost, nice, cores, memory, retries, timeout, tags): they stay up to date.
    public var changedSettings: [String] = []
    /// Jobs that were done and are no longer up to date: the changed jobs and everything downstream of them.
    public var invalidated: [String] = []
    /// Jobs in progress now that the push changes, removes or invalidates (pushed anyway only with `force`).
    public var running: [String] = []
    /// Whether the push wrote anything (`false` for a dry run and when nothing changed).
    public var wrote = false

    /// Whether the graph in redis is already this one: nothing to write.
    public var isUnchanged: Bool {
        !createdNamespace && added.isEmpty && removed.isEmpty && changedCommand.isEmpty
            && changedDependencies.isEmpty && changedSettings.isEmpty && !rewritten
    }

    /// Whether some job hashes differ only in what is not reported (order in the graph, dependents).
    var rewritten = false

    public init(namespace: String, jobCount: Int, createdNamespace: Bool) {
        self.namespace = namespace
        self.jobCount = jobCount
        self.createdNamespace = createdNamespace
    }
}
