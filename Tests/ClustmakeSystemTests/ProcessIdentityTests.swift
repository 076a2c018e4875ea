import ClustmakeSystem
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What `/proc` says of a process: its arguments and its children (how `clustmake cancel` recognises the run of a
/// plan that cron or at started, docs/handoff.md).
@Suite struct ProcessIdentityTests {
    @Test("a child's argument vector is read back word for word, empty words and spaces kept; children are listed")
    func argumentsAndChildren() async throws {
        let words = ["/bin/sh", "-c", "read line", "a b", "", "last"]
        var pipe: [Int32] = [0, 0]
        #expect(Glibc.pipe(&pipe) == 0)
        // The child waits for a line on its standard input: it lives until the test closes the pipe.
        let pid = try Spawn.process(
            words, standardInput: .descriptor(pipe[0]), standardOutput: .descriptor(2), standardError: .descriptor(2)
        ).get()
        close(pipe[0])
        defer {
            close(pipe[1])
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        #expect(ProcessIdentity.arguments(of: pid) == words)
        #expect(ProcessIdentity.children(of: getpid()).contains(pid))
        #expect(!ProcessIdentity.children(of: pid).contains(pid))
        #expect(ProcessIdentity.arguments(of: -1) == nil)
        #expect(ProcessIdentity.children(of: 0) == [])
    }
}
