import Synchronization

/// How far a first push written for `clustmake run` has got, shared between the thread that pushes and the run
/// that dispatches the jobs already written (docs/run.md, "The push and the first jobs overlap").
///
/// Such a push (``JobStore/push(_:force:dryRun:pushedBy:progress:)`` with a progress) makes the namespace in its
/// first transaction instead of its last, then writes the jobs in ``order``, a transaction of
/// ``JobStore/pushGroup`` jobs at a time, and counts here the jobs of `order` whose transaction redis ran. The
/// graph's fingerprint, the `graph-pushed` event and the end of the `pushing` key come last, as in every first
/// push: until then the namespace is incomplete, and any other push of it is refused as busy.
///
/// A namespace that exists already is pushed as always (one transaction, all jobs or none): the progress then
/// never says ``isCreated``.
///
/// Thread-safe: the pushing thread reports, any other thread reads and may ask the push to stop.
public final class PushProgress: Sendable {
    private struct State {
        var created = false
        var written = 0
        var stopping = false
    }

    /// The jobs in the order they are written (indices in the graph; each exactly once).
    public let order: [Int32]
    private let state = Mutex(State())
    private let changed: @Sendable () -> Void

    /// A progress for a push of the jobs in `order`.
    /// - Parameters:
    ///   - order: Every job of the graph once, by index, in the order to write them (the first to run first).
    ///   - changed: Called on the pushing thread after each change (the namespace made, more jobs written).
    public init(order: [Int32], changed: @escaping @Sendable () -> Void = {}) {
        self.order = order
        self.changed = changed
    }

    /// The namespace exists: workers and readers find it, with the jobs written so far.
    public var isCreated: Bool { state.withLock { $0.created } }

    /// How many jobs of ``order`` (its first ones) are written.
    public var written: Int { state.withLock { $0.written } }

    /// Asks the push to stop after the transaction it is writing: the namespace stays incomplete (without the
    /// graph's fingerprint), and the next push of the graph writes what is missing.
    public func stop() { state.withLock { $0.stopping = true } }

    var isStopping: Bool { state.withLock { $0.stopping } }

    func markCreated() {
        state.withLock { $0.created = true }
        changed()
    }

    func markWritten(_ count: Int) {
        state.withLock { $0.written = count }
        changed()
    }
}
