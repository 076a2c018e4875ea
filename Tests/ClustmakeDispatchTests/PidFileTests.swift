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

    @Test("a live process's pid file refuses a second run, naming the pid and how to stop it")
    func refusedWhileAlive() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        // The parent of the test process is alive while the test runs.
        let parent = getppid()
        let path = directory.write("run-ns.pid", "\(parent)\n")
        let error = try #require(throws: DispatchError.self) { try PidFile.claim(path, namespace: "ns") }
        #expect(error.message.contains("a run of namespace 'ns' is going on already (pid \(parent), \(path))"))
        #expect(error.message.contains("clustmake cancel --namespace ns"))
        #expect(directory.read("run-ns.pid") == "\(parent)\n")
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

    @Test("the pid is read from the file as the run writes it, with its newline")
    func parsing() {
        #expect(PidFile.pid(in: "1234\n") == 1234)
        #expect(PidFile.pid(in: " 42 \r\n") == 42)
        #expect(PidFile.pid(in: "") == nil && PidFile.pid(in: "abc\n") == nil)
        #expect(PidFile.pid(in: "0\n") == nil && PidFile.pid(in: "-7\n") == nil)
    }

    @Test("a pid file that cannot be written is an error naming it")
    func unwritable() throws {
        let path = "/nonexistent-clustmake-dir/run-ns.pid"
        let error = try #require(throws: DispatchError.self) { try PidFile.claim(path, namespace: "ns") }
        #expect(error.message.hasPrefix("cannot write \(path): "))
    }
}
