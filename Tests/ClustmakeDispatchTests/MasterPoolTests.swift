import ClustmakeModel
import Testing

@testable import ClustmakeDispatch

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct MasterPoolTests {
    @Test("a remote host gets one master per 10 slots, a local host or one without slots none")
    func creation() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let run = try RunDirectory(path: directory.path)
        let hosts = [
            Host(name: "here", processors: 4, isLocal: true), Host(name: "small", processors: 2),
            Host(name: "big", processors: 25), Host(name: "none", processors: 0),
        ]
        let pool = MasterPool(hosts: hosts, directory: run)
        #expect(pool.masters.map(\.count) == [0, 1, 3, 0])
        #expect(pool.connecting == [1, 2] && pool.isOpening)
        let base = run.controlPath(for: hosts[2])
        #expect(pool.masters[2].map(\.controlPath) == [base, base + "-1", base + "-2"])
        #expect(pool.masters.joined().allSatisfy { $0.state == .down })
    }

    @Test("slots map to masters by tens; a local host's lines need none")
    func connections() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let run = try RunDirectory(path: directory.path)
        let hosts = [Host(name: "here", processors: 4, isLocal: true), Host(name: "big", processors: 25)]
        let pool = MasterPool(hosts: hosts, directory: run)
        let base = run.controlPath(for: hosts[1])
        #expect(pool.controlPath(host: 0, instance: 3) == nil)
        #expect(pool.controlPath(host: 1, instance: 0) == base)
        #expect(pool.controlPath(host: 1, instance: 9) == base)
        #expect(pool.controlPath(host: 1, instance: 10) == base + "-1")
        #expect(pool.controlPath(host: 1, instance: 24) == base + "-2")
        #expect(pool.connection(host: 0, instance: 0, now: 0) == .local)
        // Not opened yet: a line there finds its master down.
        #expect(
            pool.connection(host: 1, instance: 0, now: 0) == .down(reason: "the ssh connection to big broke"))
    }

    @Test("a host whose ssh fails is reported failed once, and a probe of it ends failed too")
    func failedHost() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let run = try RunDirectory(path: directory.path)
        // Nothing listens on port 1 of this machine: ssh fails at once, before any login.
        let host = Host(name: "nowhere", address: "127.0.0.1", processors: 1, port: 1)
        let pool = MasterPool(hosts: [host], directory: run)
        let first = try #require(Self.openUntilDone(pool))
        guard case .connectFailed(host: 0, let reason) = first else {
            Issue.record("expected a failed first connection, got \(first)")
            return
        }
        #expect(reason.hasPrefix("ssh to nowhere exited with status 255"), "\(reason)")
        #expect(!pool.isOpening && pool.connecting.isEmpty)
        #expect(pool.open(now: 0).isEmpty && pool.watch(now: 0).isEmpty)
        #expect(pool.startProbe(0) == nil && pool.isOpening)
        let probe = try #require(Self.openUntilDone(pool))
        guard case .probeEnded(host: 0, let failure) = probe else {
            Issue.record("expected a probe's end, got \(probe)")
            return
        }
        #expect(failure?.hasPrefix("ssh to nowhere exited with status 255") == true, "\(failure ?? "")")
        pool.stopAll()
    }

    /// Opens the pool's masters until a host is done, passing the real time elapsed (the masters compare it with
    /// their connect timeout and retry times); gives up after two minutes, far beyond ssh's own timeout.
    static func openUntilDone(_ pool: MasterPool) -> MasterPool.Event? {
        let clock = ContinuousClock()
        let started = clock.now
        while clock.now - started < .seconds(120) {
            let elapsed = (clock.now - started).components
            let events = pool.open(now: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
            if let event = events.first { return event }
            usleep(10_000)
        }
        return nil
    }
}
