/// Who holds the lease a `clustmake run` holds on its namespace in redis for its whole life, so that runs on two
/// machines (or two users of one machine) never run one namespace at once (``JobStore/claimRunLease(token:ttl:holder:takingOver:)``),
/// as stored with it (untrusted when read back: every field may be missing or odd).
public struct RunLeaseHolder: Sendable, Hashable {
    /// The holder's host name.
    public var host: String
    /// Its process id.
    public var pid: Int32
    /// Its process's start time (clock ticks since boot), which tells it from a later process with its pid.
    public var startTicks: UInt64
    /// Its machine's identity (boot id and pid namespace): a pid means something only there.
    public var machine: String
    /// When it started (ISO 8601).
    public var since: String

    public init(host: String, pid: Int32, startTicks: UInt64, machine: String, since: String) {
        self.host = host
        self.pid = pid
        self.startTicks = startTicks
        self.machine = machine
        self.since = since
    }

    /// The holder as stored fields.
    var fields: [String] {
        [
            "host", host, "pid", String(pid), "start", String(startTicks), "machine", machine, "since", since,
        ]
    }

    /// A holder read back from stored fields.
    init(fields: [String: String]) {
        func text(_ name: String) -> String {
            let value = fields[name] ?? "?"
            return value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f }
                ? String(value.prefix(200)) : "?"
        }
        host = text("host")
        pid = fields["pid"].flatMap { Int32($0) } ?? 0
        startTicks = fields["start"].flatMap { UInt64($0) } ?? 0
        machine = text("machine")
        since = text("since")
    }
}

/// What claiming the run lease found.
public enum RunLeaseClaim: Sendable, Hashable {
    /// The lease is this run's; `replaced` is the lease of an earlier run it took over (expired `expiredFor` ago,
    /// or `nil` when it was taken over before expiring, its run known to be gone), if there was one.
    case claimed(replaced: RunLeaseHolder?, expiredFor: Duration?)
    /// Another run holds it, for `remaining` more unless it renews it.
    case held(by: RunLeaseHolder, token: String, remaining: Duration)
}
