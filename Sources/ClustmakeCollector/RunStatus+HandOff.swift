import ClustmakeJSON
public import ClustmakeModel

extension RunStatus {
    /// A hand-off as `clustmake status` shows it: the record in redis and, for SLURM, what one `squeue` call said of
    /// its jobs.
    public struct HandOffState: Sendable {
        /// A SLURM job as the queue lists it: `state` (`PENDING`, `RUNNING`, …), why it is pending (`reason`), where
        /// it runs (`nodes`).
        public typealias QueueEntry = (id: String, state: String, reason: String, nodes: String)

        /// The record `clustmake submit` wrote.
        public var record: HandOff
        /// For SLURM: the queue's entries of the record's jobs (a job absent from them has left the queue); `nil`
        /// for cron and at, or when the queue could not be read.
        public var queue: [QueueEntry]?
        /// Why the queue could not be read, when it could not.
        public var queueError: String?

        public init(record: HandOff, queue: [QueueEntry]? = nil, queueError: String? = nil) {
            self.record = record
            self.queue = queue
            self.queueError = queueError
        }
    }

    /// Writes the `"handoff"` member of `clustmake-status/1` (docs/collector.md), when there is a hand-off.
    func writeHandOff(_ writer: inout JSONWriter) {
        guard let handOff else { return }
        let record = handOff.record
        writer.key("handoff")
        writer.beginObject()
        writer.member("target", record.target.rawValue)
        writer.member("submitted", record.submitted.iso8601)
        writer.member("plan", record.planDirectory)
        writer.member("ids", array: record.ids)
        writer.member("cron_block", record.cronBlock)
        if let queue = handOff.queue {
            writer.member("queue", objects: record.ids) { writer, id in
                let entry = queue.first { $0.id == id }
                writer.member("id", id)
                writer.member("state", entry?.state)
                writer.member("reason", entry?.reason)
                writer.member("nodes", entry?.nodes.isEmpty == false ? entry?.nodes : nil)
            }
        } else {
            writer.key("queue")
            writer.null()
        }
        writer.member("queue_error", handOff.queueError)
        writer.endObject()
    }
}
