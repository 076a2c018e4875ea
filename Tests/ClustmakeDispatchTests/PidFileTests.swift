import Testing

@testable import ClustmakeDispatch

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct PidFileTests {
    @Test("a run claims the pid file with its pid and removes it at the end")
    func claimAndRelease() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/run-ns.pid"
        let pidFile = try PidFile.claim(path, namespace: "ns")
        #expect(directory.read("run-ns.pid") == "\(getpid())\n")
        // The same process may claim it again (a run started twice from one process, one after the other).
        _ = try PidFile.claim(path, namespace: "ns")
        pidFile.release()
        #expect(directory.read("run-ns.pid") == nil)
    }

    @Test("a pid file left by a dead process, or unreadable text, is taken over")
    func staleTakenOver() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // A child that has ended and been reaped: its pid is no longer a process.
        let child = fork()
        if child == 0 { _exit(0) }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let path = directory.write("run-ns.pid", "\(child)\n")
        _ = try PidFile.claim(path, namespace: "ns")
        #expect(directory.read("run-ns.pid") == "\(getpid())\n")
        directory.write("run-ns.pid", "not a pid")
        _ = try PidFile.claim(path, namespace: "ns")
        #expect(directory.read("run-ns.pid") == "\(getpid())\n")
    }

    @Test("a pid file that cannot be written is an error naming it")
    func unwritable() throws {
        let path = "/nonexistent-clustmake-dir/run-ns.pid"
        let error = try #require(throws: DispatchError.self) { try PidFile.claim(path, namespace: "ns") }
        #expect(error.message.hasPrefix("cannot write \(path): "))
    }
}
