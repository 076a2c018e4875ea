/// One namespace as `clustmake runs` lists it, read by `JobStore.summary()` (ClustmakeStore) without its attempts:
/// its metadata, how many jobs are in each state, and when its workers first and last wrote.
public struct NamespaceSummary: Sendable, Hashable {
    /// The namespace.
    public var namespace: String
    /// The run's metadata.
    public var metadata: RunMetadata
    /// How many jobs are in each state (``JobState/lost`` for jobs in progress whose lease expired); states no
    /// job is in are absent.
    public var states: [JobState: Int]
    /// When a worker first took a job of the namespace (the earliest `first_seen` of its hosts).
    public var firstSeen: UTCTime?
    /// When a worker last wrote to the namespace: a start, a heartbeat, a result (the latest `last_seen`).
    public var lastSeen: UTCTime?

    /// A value from its parts.
    public init(
        namespace: String, metadata: RunMetadata, states: [JobState: Int], firstSeen: UTCTime?, lastSeen: UTCTime?
    ) {
        self.namespace = namespace
        self.metadata = metadata
        self.states = states
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }

    /// How many jobs the namespace has.
    public var jobCount: Int { states.values.reduce(0, +) }
}
