import ClustmakeModel

/// How the store decodes an `AttemptRecord` from its hash (docs/redis-schema.md): the field names
/// are the store's, the record is the model's.
extension AttemptRecord {
    /// The hash fields the typed properties come from, in the order a snapshot reads them.
    enum Field: Int, CaseIterable {
        case attempt, state, host, nodename, workerVersion, workerPID, jobPID, started, ended, lostAt, wallTime
        case userCPU, systemCPU, maxRSS, exitStatus, signal, timedOut, reason, stdoutBytes, stderrBytes, stdoutLog
        case stderrLog, superseded, stale

        /// The field's name in the hash (docs/redis-schema.md).
        var name: String {
            switch self {
            case .attempt: "attempt"
            case .state: "state"
            case .host: "host"
            case .nodename: "nodename"
            case .workerVersion: "worker_version"
            case .workerPID: "worker_pid"
            case .jobPID: "job_pid"
            case .started: "started"
            case .ended: "ended"
            case .lostAt: "lost_at"
            case .wallTime: "wall_time"
            case .userCPU: "user_cpu"
            case .systemCPU: "system_cpu"
            case .maxRSS: "max_rss"
            case .exitStatus: "exit_status"
            case .signal: "signal"
            case .timedOut: "timed_out"
            case .reason: "reason"
            case .stdoutBytes: "stdout_bytes"
            case .stderrBytes: "stderr_bytes"
            case .stdoutLog: "stdout_log"
            case .stderrLog: "stderr_log"
            case .superseded: "superseded"
            case .stale: "stale"
            }
        }
    }

    /// Decodes a record from `source`; `fields` is kept as it is.
    init(job: String, _ source: some AttemptFieldSource, fields: [String: String] = [:]) {
        self.init(
            job: job, number: source.integer(.attempt) ?? 0,
            state: source.string(.state).flatMap(AttemptState.init(rawValue:)) ?? .running,
            host: source.string(.host) ?? "", nodename: source.string(.nodename),
            workerVersion: source.string(.workerVersion), workerPID: source.integer(.workerPID),
            jobPID: source.integer(.jobPID), started: source.time(.started), ended: source.time(.ended),
            lostAt: source.time(.lostAt), wallTime: source.number(.wallTime), userCPU: source.number(.userCPU),
            systemCPU: source.number(.systemCPU), maxRSS: source.integer(.maxRSS).flatMap { UInt64(exactly: $0) },
            exitStatus: source.integer(.exitStatus), signal: source.integer(.signal),
            timedOut: source.integer(.timedOut) == 1, reason: source.string(.reason),
            stdoutBytes: source.integer(.stdoutBytes), stderrBytes: source.integer(.stderrBytes),
            stdoutLog: source.string(.stdoutLog), stderrLog: source.string(.stderrLog),
            superseded: source.string(.superseded), stale: source.string(.stale), fields: fields)
    }

    /// Decodes a record from its whole hash, kept in ``fields``.
    init(fields: [String: String]) {
        self.init(job: fields["job"] ?? "", HashFields(fields: fields), fields: fields)
    }
}

/// Where an attempt record's typed fields come from: its whole hash, or the values of one `HMGET` of
/// ``AttemptRecord/Field`` in order (decoded from their bytes, without building strings for numbers).
protocol AttemptFieldSource {
    func string(_ field: AttemptRecord.Field) -> String?
    func integer(_ field: AttemptRecord.Field) -> Int?
    func number(_ field: AttemptRecord.Field) -> Double?
    func time(_ field: AttemptRecord.Field) -> UTCTime?
}

/// An attempt's whole hash.
struct HashFields: AttemptFieldSource {
    let fields: [String: String]

    func string(_ field: AttemptRecord.Field) -> String? { fields[field.name] }
    func integer(_ field: AttemptRecord.Field) -> Int? { fields[field.name].flatMap { Int($0) } }
    func number(_ field: AttemptRecord.Field) -> Double? {
        fields[field.name].flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil }
    }
    func time(_ field: AttemptRecord.Field) -> UTCTime? { fields[field.name].flatMap { UTCTime(iso8601: $0) } }
}

/// An attempt's summary, the key `compmake:{NS}:summary:ID:N` (docs/redis-schema.md, "Attempt summaries"): the values
/// of ``AttemptRecord/Field``, in order, packed (``PackedValues``) by the script that records the attempt's outcome.
///
/// Read in place: each field is decoded from its span of the summary's bytes when asked for (a number or a time
/// without building a string), so reading an attempt from its summary makes one array of spans, not a value per field.
struct AttemptSummary: AttemptFieldSource {
    private let packed: PackedValues

    /// The summary in `bytes`; `nil` when they are not a whole summary of this form (the attempt's fields are then
    /// read instead).
    init?(_ bytes: [UInt8]) {
        guard let packed = PackedValues(bytes, count: AttemptRecord.Field.allCases.count) else { return nil }
        self.packed = packed
    }

    /// The bytes of `field`'s value; `nil` when it is absent.
    private func value(_ field: AttemptRecord.Field) -> ArraySlice<UInt8>? { packed.value(field.rawValue) }

    func string(_ field: AttemptRecord.Field) -> String? { value(field).map { String(decoding: $0, as: UTF8.self) } }
    func integer(_ field: AttemptRecord.Field) -> Int? { value(field).flatMap(BulkDecoding.integer) }
    func number(_ field: AttemptRecord.Field) -> Double? { value(field).flatMap(BulkDecoding.number) }
    func time(_ field: AttemptRecord.Field) -> UTCTime? { value(field).flatMap(UTCTime.init(iso8601:)) }
}

/// A done job's outcome copy, a field of `compmake:{NS}:outcomes` (docs/redis-schema.md, "Outcome copies"): the
/// values of ``StatusField``, in order, then the summary of the attempt that did the job, packed (``PackedValues``)
/// by the script that made the job done. The one reading of that layout, for the snapshot and for cost learning.
struct OutcomeCopy {
    private let packed: PackedValues

    /// The copy in `bytes`; `nil` when they are not a whole copy of this form (the job is then read from its hashes).
    init?(_ bytes: [UInt8]) {
        guard let packed = PackedValues(bytes, count: StatusField.allCases.count + 1) else { return nil }
        self.packed = packed
    }

    /// The status field at `index` (a ``StatusField`` raw value, its place among
    /// ``JobStore/snapshotStatusFields``); `nil` when absent.
    func string(_ index: Int) -> String? { packed.string(index) }

    /// The status field `field` as a whole number; `nil` when absent or not one.
    func integer(_ field: StatusField) -> Int? { packed.value(field.rawValue).flatMap(BulkDecoding.integer) }

    /// The summary of `attempt`, the attempt that did the job; `nil` when the copy's is not a summary of its form or
    /// names another attempt.
    func summary(of attempt: Int) -> AttemptSummary? {
        guard let bytes = packed.value(StatusField.allCases.count), let summary = AttemptSummary(Array(bytes)),
            summary.integer(.attempt) == attempt
        else { return nil }
        return summary
    }
}
