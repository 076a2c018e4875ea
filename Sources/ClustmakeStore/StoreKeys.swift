/// The names of every redis key of one namespace: the only place that spells them (docs/redis-schema.md lists
/// them with their values).
///
/// All keys of namespace `NS` start with `compmake:{NS}:`. The braces are a Redis Cluster hash tag: every key of a
/// namespace hashes to one slot, so the multi-key scripts and transactions of the store work on a cluster too.
/// Namespaces, job ids and host nicknames follow ``ClustmakeModel/JobID``'s rules, which exclude braces, so no
/// other part of a key can act as a hash tag.
struct StoreKeys: Sendable {
    /// `compmake:{NS}:`.
    let prefix: String

    init(namespace: String) {
        prefix = "compmake:{\(namespace)}:"
    }

    /// STRING: the schema version of the namespace (``StoreSchema/version``). Its absence means "no such namespace".
    var schema: String { prefix + "schema" }

    /// What comes before and after the namespace in every namespace's ``schema`` key: how `SCAN` finds them all.
    static let schemaKeyParts = (before: "compmake:{", after: "}:schema")
    /// HASH: run metadata (graph fingerprint, job count, push times, the sequence counter).
    var meta: String { prefix + "meta" }
    /// ZSET: every job id, scored by its position in the pushed graph.
    var jobs: String { prefix + "jobs" }
    /// HASH: id → state of every job (``JobState``'s raw values).
    var states: String { prefix + "states" }
    /// SET: ids of jobs in progress (a lease was taken and not released).
    var running: String { prefix + "running" }
    /// STRING: the token of the first push of the namespace writing it now (`SET NX PX`), while it has no
    /// ``schema`` key: only one first push at a time (docs/redis-schema.md, "How the states change").
    var pushing: String { prefix + "pushing" }
    /// STREAM: the namespace's events.
    var events: String { prefix + "events" }
    /// SET: the nicknames of hosts that ran jobs.
    var hosts: String { prefix + "hosts" }
    /// STRING: the plan `clustmake run` last ran the namespace with (plan.json, format `clustmake-plan/1`).
    var plan: String { prefix + "plan" }
    /// HASH: where `clustmake submit` handed the plan (``ClustmakeModel/HandOff``); absent when it was not.
    var handOff: String { prefix + "handoff" }
    /// HASH: the lease of the `clustmake run` going on in the namespace (``RunLease``): its token, holder and
    /// expiry (milliseconds of redis's clock).
    var run: String { prefix + "run" }

    /// HASH: id → the fields of each job's definition that the collector reads, packed (``PackedValues``): a copy,
    /// written with the definitions, that `stats`, `report` and `status` read 500 jobs at a time.
    var definitions: String { prefix + "definitions" }
    /// HASH: id → a done job's status fields and the summary of the attempt that did it, packed
    /// (``PackedValues``): a copy the finish that made the job done writes, that `stats` and `report` read 500 jobs
    /// at a time while the metadata's `outcomes_seq` equals its `seq` (docs/redis-schema.md, "Outcome copies").
    var outcomes: String { prefix + "outcomes" }

    /// HASH: one job's definition.
    func job(_ id: String) -> String { prefix + "job:" + id }
    /// HASH: one job's bookkeeping (attempt counter, sequence numbers, reason of its state).
    func status(_ id: String) -> String { prefix + "status:" + id }
    /// STRING with expiry: the lease of a job in progress, holding its worker's token.
    func lease(_ id: String) -> String { prefix + "lease:" + id }
    /// HASH: one attempt's record.
    func attempt(_ id: String, _ number: Int) -> String { prefix + "attempt:\(id):\(number)" }
    /// STRING: an ended attempt's fields packed into one value, for readers of many attempts.
    func summary(_ id: String, _ number: Int) -> String { prefix + "summary:\(id):\(number)" }
    /// STRING: the last bytes an attempt wrote to stdout or stderr.
    func output(_ id: String, _ number: Int, _ channel: OutputChannel) -> String {
        prefix + "\(channel.rawValue):\(id):\(number)"
    }
    /// HASH: one host's record.
    func host(_ nickname: String) -> String { prefix + "host:" + nickname }
}

/// One of a job's two output streams.
public enum OutputChannel: String, Sendable, Hashable, CaseIterable {
    case stdout
    case stderr
}
