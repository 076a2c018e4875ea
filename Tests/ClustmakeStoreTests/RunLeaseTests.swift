import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import Testing

@Suite struct RunLeaseTests {
    /// A run's lease: its token, TTL and holder.
    struct Lease {
        var token: String
        var ttl: Duration
        var holder: RunLeaseHolder
    }

    static func lease(_ host: String, ttl: Duration = .seconds(30)) -> Lease {
        Lease(
            token: "run/\(host)/\(UInt32.random(in: 0...UInt32.max))", ttl: ttl,
            holder: RunLeaseHolder(
                host: host, pid: 4242, startTicks: 99, machine: "boot-\(host)", since: "2026-01-01T00:00:00.000Z"))
    }

    @Test("one run holds the lease: a second is told who holds it and for how long, and gets it once it is let go")
    func oneAtATime() throws {
        let fixture = try Fixture(namespace: "fresh")
        let first = Self.lease("node1")
        let second = Self.lease("node2")
        // The namespace need not exist: the lease is taken before anything is pushed.
        #expect(try fixture.store.claim(first) == .claimed(replaced: nil, expiredFor: nil))
        guard case .held(let holder, let token, let remaining) = try fixture.store.claim(second) else {
            Issue.record("the second run got the lease")
            return
        }
        #expect(holder == first.holder && token == first.token)
        #expect(remaining > .seconds(25) && remaining <= .seconds(30))
        // Renewing keeps it the first run's; the second, not holding it, is told who does.
        #expect(try fixture.store.renew(first) == nil)
        #expect(try fixture.store.renew(second) == first.holder)
        // Letting go is only the holder's.
        try fixture.store.releaseRunLease(token: second.token)
        #expect(try fixture.store.claim(second) != .claimed(replaced: nil, expiredFor: nil))
        try fixture.store.releaseRunLease(token: first.token)
        #expect(try fixture.store.claim(second) == .claimed(replaced: nil, expiredFor: nil))
    }

    @Test("an expired lease is taken over, naming the run it belonged to and how long ago it expired")
    func expiredTakenOver() throws {
        let fixture = try Fixture()
        let killed = Self.lease("node1", ttl: .milliseconds(1))
        _ = try fixture.store.claim(killed)
        // Redis's own clock decides: poll until it has passed the 1 ms expiry.
        let next = Self.lease("node2")
        var outcome = try fixture.store.claim(next)
        var polls = 0
        while case .held = outcome, polls < 1000 {
            polls += 1
            outcome = try fixture.store.claim(next)
        }
        guard case .claimed(let replaced, let expiredFor) = outcome else {
            Issue.record("the expired lease was not taken over: \(outcome)")
            return
        }
        #expect(replaced == killed.holder)
        #expect(expiredFor != nil && expiredFor! >= .zero)
        // The killed run, coming back, finds it held.
        #expect(try fixture.store.renew(killed) == next.holder)
    }

    @Test("a live lease is taken over only with its token (its run is known to be gone), and a lost one is re-taken")
    func takeoverAndRetake() throws {
        let fixture = try Fixture()
        let gone = Self.lease("node1")
        _ = try fixture.store.claim(gone)
        let next = Self.lease("node1")
        #expect(
            try fixture.store.claim(next, takingOver: "another token")
                != .claimed(replaced: nil, expiredFor: nil))
        #expect(
            try fixture.store.claim(next, takingOver: gone.token)
                == .claimed(replaced: gone.holder, expiredFor: nil))
        // Redis lost the key (a FLUSHALL, a restart without persistence): the holder takes it again as it renews.
        _ = try fixture.redis().command("FLUSHALL")
        #expect(try fixture.store.renew(next) == nil)
        guard case .held(let holder, _, _) = try fixture.store.claim(gone) else {
            Issue.record("the lease was not taken again")
            return
        }
        #expect(holder == next.holder)
    }

    @Test("odd stored holder fields are read without trusting them")
    func untrustedHolder() throws {
        let fixture = try Fixture()
        _ = try fixture.redis().command(
            "HSET", "compmake:{ns}:run", "token", "x", "expires", "99999999999999", "host", "evil\u{1b}[2J", "pid",
            "notanumber", "start", "-5")
        guard case .held(let holder, _, _) = try fixture.store.claim(Self.lease("node2")) else {
            Issue.record("a lease with a far expiry was not held")
            return
        }
        #expect(holder.host == "?" && holder.pid == 0 && holder.startTicks == 0 && holder.since == "?")
    }
}

extension JobStore {
    func claim(_ lease: RunLeaseTests.Lease, takingOver: String? = nil) throws -> RunLeaseClaim {
        try claimRunLease(token: lease.token, ttl: lease.ttl, holder: lease.holder, takingOver: takingOver)
    }

    func renew(_ lease: RunLeaseTests.Lease) throws -> RunLeaseHolder? {
        try renewRunLease(token: lease.token, ttl: lease.ttl, holder: lease.holder)
    }
}
