import ClustmakeModel
import ClustmakeStore
import ClustmakeSystem

/// The run's lease on its namespace in redis (``ClustmakeStore/RunLeaseHolder``): claimed before anything is pushed,
/// renewed by the run loop every third of its TTL, let go at the end. It keeps runs on other machines (or of
/// other users of this one) from running the namespace at the same time; ``RunLock`` does so on this machine.
final class RunLeaseKeeper {
    private let store: JobStore
    private let token: String
    private let ttl: Duration
    private let holder: RunLeaseHolder
    private var lastRenewal: Double

    /// Claims the lease of `namespace`. A lease of an earlier run is taken over, with a message, when it expired,
    /// or when it was held from this machine by a process that no longer runs (a run killed with SIGKILL).
    /// - Throws: ``DispatchError`` with exit status 2 when another run holds it, naming its pid and host; status
    ///   1 when redis fails.
    init(store: JobStore, namespace: String, ttl: Duration, output: RunOutput, clock: RunClock) throws(DispatchError) {
        let process = ProcessIdentity.current()
        let host = ProcessIdentity.hostname()
        let holder = RunLeaseHolder(
            host: host, pid: process.pid, startTicks: process.startTicks, machine: ProcessIdentity.machine(),
            since: UTCTime.now().iso8601)
        let token = "run/\(host)/\(process.pid)/\(UInt64.random(in: 0...UInt64.max))"
        var outcome: RunLeaseClaim
        do {
            outcome = try store.claimRunLease(token: token, ttl: ttl, holder: holder)
            if case .held(let other, let otherToken, _) = outcome, other.machine == holder.machine,
                ProcessIdentity.of(other.pid)?.startTicks != other.startTicks
            {
                outcome = try store.claimRunLease(token: token, ttl: ttl, holder: holder, takingOver: otherToken)
            }
        } catch {
            throw DispatchError(error.description)
        }
        switch outcome {
        case .held(let other, _, let remaining):
            throw DispatchError(
                "a run of namespace '\(namespace)' is going on already (pid \(other.pid) on \(other.host), since "
                    + "\(other.since): its lease in redis at \(store.endpoint)); wait for it to end, or stop it with "
                    + "`clustmake cancel --namespace \(namespace)` on \(other.host). A run that was killed keeps the "
                    + "namespace until its lease expires (in \(Format.seconds(remaining, digits: 0)) unless renewed)",
                exitStatus: 2)
        case .claimed(let replaced, let expiredFor):
            if let replaced {
                output.event(
                    .runLeaseTakenOver(host: replaced.host, pid: replaced.pid, expiredFor: expiredFor?.inSeconds),
                    elapsed: clock.now)
            }
        }
        self.store = store
        self.token = token
        self.ttl = ttl
        self.holder = holder
        self.lastRenewal = clock.now
    }

    /// Renews the lease when a third of its TTL passed since the last renewal. A redis failure is let pass (the
    /// next turn tries again; the lease outlives a short outage).
    /// - Returns: Who holds the lease instead of this run, if another run took it.
    func renewIfDue(now: Double) -> RunLeaseHolder? {
        guard now - lastRenewal >= ttl.inSeconds / 3 else { return nil }
        lastRenewal = now
        return (try? store.renewRunLease(token: token, ttl: ttl, holder: holder)) ?? nil
    }

    /// Lets the lease go (a failure is let pass: the lease then expires by itself).
    func release() {
        try? store.releaseRunLease(token: token)
    }
}
