import ClustmakeSystem
import Testing

@testable import ClustmakeDispatch

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct RunLockTests {
    /// Runs `body` with the path of a lock file in a directory of its own, removed afterwards.
    static func withLockFile(_ body: (TemporaryDirectory, String) throws -> Void) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try body(directory, directory.path + "/run-ns-0123abcd.lock")
    }

    @Test("a run holds its lock, naming its pid, start time and host; the lock file goes when it ends")
    func claimAndRelease() throws {
        try Self.withLockFile { directory, path in
            let lock = try RunLock.claim(path, namespace: "ns", redis: "redis://127.0.0.1:6379/0")
            let me = ProcessIdentity.current()
            guard case .held(let holder) = RunLock.state(of: path) else {
                Issue.record("the lock is not seen held: \(RunLock.state(of: path))")
                return
            }
            #expect(holder.process == me && holder.namespace == "ns" && holder.redis == "redis://127.0.0.1:6379/0")
            #expect(holder.host == ProcessIdentity.hostname())
            #expect(ProcessIdentity.flockHolders(of: path) == [getpid()])
            lock.release()
            #expect(directory.read("run-ns-0123abcd.lock") == nil)
            #expect(ProcessIdentity.flockHolders(of: path).isEmpty)
        }
    }

    @Test("a second run is refused while the lock is held (exit 2), naming the first's pid and host")
    func refusedWhileHeld() throws {
        try Self.withLockFile { directory, path in
            let lock = try RunLock.claim(path, namespace: "ns", redis: "r")
            defer { lock.release() }
            // Another open file of the same lock conflicts, even in one process.
            let error = try #require(throws: DispatchError.self) {
                try RunLock.claim(path, namespace: "ns", redis: "r")
            }
            #expect(error.exitStatus == 2)
            #expect(
                error.message.contains(
                    "a run of namespace 'ns' is going on already (pid \(getpid()) on \(ProcessIdentity.hostname()), since "
                ),
                "\(error.message)")
            #expect(error.message.contains("clustmake cancel --namespace ns"))
        }
    }

    @Test("a run refused while the first is still writing its lock file waits for the details, then names them")
    func refusedWhileWriting() throws {
        try Self.withLockFile { directory, path in
            let lock = try RunLock.claim(path, namespace: "ns", redis: "r")
            defer { lock.release() }
            // The first run has taken the lock but not yet written its details (the moment two runs start at
            // once): the file is empty until a thread writes them, a few looks later.
            let details = try #require(directory.read("run-ns-0123abcd.lock"))
            directory.write("run-ns-0123abcd.lock", "")
            let writer = try DedicatedThread {
                blockingSleep(.milliseconds(300))
                directory.write("run-ns-0123abcd.lock", details)
            }
            let error = try #require(throws: DispatchError.self) {
                try RunLock.claim(path, namespace: "ns", redis: "r")
            }
            writer.join()
            #expect(error.exitStatus == 2)
            #expect(
                error.message.contains("(pid \(getpid()) on \(ProcessIdentity.hostname()), since "), "\(error.message)")
        }
    }

    @Test("a lock file naming a live process that does not hold it, or a reused pid, is stale and taken over")
    func staleFiles() throws {
        try Self.withLockFile { directory, path in
            // The parent of the test process is alive and holds no lock on the file.
            let parent = try #require(ProcessIdentity.of(getppid()))
            directory.write("run-ns-0123abcd.lock", "namespace ns\npid \(parent.pid)\nstart \(parent.startTicks)\n")
            #expect(RunLock.state(of: path) == .stale(namespace: "ns", pid: parent.pid))
            directory.write("run-ns-0123abcd.lock", "pid \u{1b}[2J\nnot a line\n")
            #expect(RunLock.state(of: path) == .stale(namespace: nil, pid: nil))
            let lock = try RunLock.claim(path, namespace: "ns", redis: "r")
            defer { lock.release() }
            // The lock held, but the file names this pid with another start time (a pid that was reused): stale.
            let me = ProcessIdentity.current()
            directory.write("run-ns-0123abcd.lock", "namespace ns\npid \(me.pid)\nstart \(me.startTicks + 1)\n")
            #expect(RunLock.state(of: path) == .stale(namespace: "ns", pid: me.pid))
            #expect(RunLock.holders(in: try RunDirectory(path: directory.path)).isEmpty)
        }
    }

    @Test("the lock file is keyed by namespace and redis: one redis's namespace from any directory, not another's")
    func keyed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let runs = try RunDirectory(path: directory.path)
        let tcp = runs.lockFile(namespace: "ns", redis: "redis://127.0.0.1:6379/0")
        #expect(tcp == runs.lockFile(namespace: "ns", redis: "redis://127.0.0.1:6379/0"))
        #expect(tcp != runs.lockFile(namespace: "ns", redis: "unix:///home/a/.clustmake/redis/redis.sock"))
        #expect(tcp != runs.lockFile(namespace: "other", redis: "redis://127.0.0.1:6379/0"))
        #expect(tcp.hasPrefix(directory.path + "/run-ns-") && tcp.hasSuffix(".lock"))
    }

    @Test("a lock file that cannot be made is an error naming it")
    func unwritable() throws {
        let path = "/nonexistent-clustmake-dir/run-ns-0.lock"
        let error = try #require(throws: DispatchError.self) { try RunLock.claim(path, namespace: "ns", redis: "r") }
        #expect(error.message.hasPrefix("cannot open the run lock \(path): ") && error.exitStatus == 1)
    }
}
