public import ClustmakeModel

/// One entry of a namespace's event stream (`compmake:{NS}:events`).
///
/// Names follow compmake's events where they exist: `job-started`, `job-succeeded`, `job-failed`,
/// `job-interrupted`, plus `job-blocked`, `job-lost`, `job-reclaimed`, `job-stale`, `jobs-invalidated` and
/// `graph-pushed` (docs/redis-schema.md lists their fields).
public struct StoreEvent: Sendable, Hashable {
    /// The stream entry's id (`1712345678901-0`): read on after it with ``JobStore/events(after:count:)``.
    public var id: String
    /// The event's name (`job-succeeded`).
    public var name: String
    /// Every field of the entry, `event` included.
    public var fields: [String: String]

    /// The job the event is about, if any.
    public var job: String? { fields["job"] }
    /// The attempt number, if any.
    public var attempt: Int? { fields["attempt"].flatMap { Int($0) } }
    /// The host's nickname, if any.
    public var host: String? { fields["host"] }
    /// When it happened (the writer's clock).
    public var time: UTCTime? { fields["time"].flatMap { UTCTime(iso8601: $0) } }

    /// The id before every entry of a stream.
    public static let beginning = "0-0"
}
