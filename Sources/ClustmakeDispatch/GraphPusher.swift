import ClustmakeModel
import ClustmakePlanner
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A run's push, on a thread and a redis connection of its own, so that the first jobs start while the rest of a
/// large graph is written (docs/run.md, "The push and the first jobs overlap").
///
/// A namespace that does not exist yet is made by the push's first transaction, and its jobs are written in the
/// order of their planned starts (``PushProgress``): the run dispatches each job once it is written and its
/// dependencies are done. A namespace that exists is pushed as by `clustmake push`, in one transaction, and the run
/// waits for it (``waitForStart()``), since what is done there decides what runs.
///
/// `@unchecked Sendable`: the pushing thread writes only `outcome` (behind its mutex) and the wake pipe; the other
/// members are set in `init` and read-only after.
final class GraphPusher: @unchecked Sendable {
    /// The smallest graph pushed this way: a smaller one is written in a few milliseconds, and is pushed whole
    /// before anything runs (one transaction more than that would only make a namespace exist before its jobs).
    static let minimumJobs = 2000

    /// How far the push got; its order is the one the jobs are written in.
    let progress: PushProgress
    /// Readable when the push made progress or ended (drained by ``takeWakeUps()``).
    var wakeDescriptor: Int32 { wakePipe.readEnd }
    private let wakePipe: WakePipe
    private let outcome = Mutex<Result<PushReport, StoreError>?>(nil)
    private var thread: DedicatedThread?

    /// Starts pushing `graph` into `namespace`.
    /// - Parameters:
    ///   - graph: The graph.
    ///   - placements: The plan's placements: jobs planned to start first are written first.
    ///   - endpoint: Where redis is.
    ///   - namespace: The namespace.
    /// - Throws: ``DispatchError`` when no thread or pipe can be made.
    init(graph: JobGraph, placements: [Plan.Placement], endpoint: RedisEndpoint, namespace: String)
        throws(DispatchError)
    {
        do {
            wakePipe = try WakePipe()
        } catch {
            throw DispatchError("\(error) for the push")
        }
        let wakePipe = wakePipe
        progress = PushProgress(order: Self.order(placements)) { wakePipe.wake() }
        let progress = progress
        do {
            thread = try DedicatedThread { [self] in
                let result: Result<PushReport, StoreError>
                do throws(StoreError) {
                    let store = try JobStore(endpoint: endpoint, namespace: namespace, commandTimeout: .seconds(30))
                    result = .success(
                        try store.push(graph, pushedBy: ClustmakeVersion.current, progress: progress))
                } catch {
                    result = .failure(error)
                }
                outcome.withLock { $0 = result }
                wakePipe.wake()
            }
        } catch {
            throw DispatchError("cannot start the push: \(error)")
        }
    }

    /// The jobs in the order of their planned starts (the job's place in the graph between equal starts): the
    /// order the scheduler's priority takes them in.
    static func order(_ placements: [Plan.Placement]) -> [Int32] {
        var order = Array(Int32(0)..<Int32(placements.count))
        order.sort { (placements[Int($0)].start, $0) < (placements[Int($1)].start, $1) }
        return order
    }

    /// How the push ended, once it has.
    var result: Result<PushReport, StoreError>? { outcome.withLock { $0 } }

    /// Empties the wake pipe (on every turn of the run loop while the push goes on: no allocation).
    func takeWakeUps() {
        wakePipe.drain()
    }

    /// Waits until the namespace exists (made by this push, which goes on writing jobs) or the push ended. Signals
    /// are left for the run to read.
    func waitForStart() {
        while !progress.isCreated && result == nil {
            var entry = pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&entry, 1, 1000)
            takeWakeUps()
        }
    }

    /// Waits for the push's thread to end.
    func join() {
        thread.take()?.join()
    }
}
