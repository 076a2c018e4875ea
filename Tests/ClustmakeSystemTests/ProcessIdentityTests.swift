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
        // A shell that loops until the test kills its process group: nothing it reads or is sent by another test
        // (in a process group of its own) ends it early.
        let words = ["/bin/sh", "-c", "while :; do sleep 1; done", "a b", "", "last"]
        let pid = try Spawn.process(
            words, standardOutput: .descriptor(2), standardError: .descriptor(2), newProcessGroup: true
        ).get()
        defer {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        // A condition, not a moment: on a loaded machine the child may not have reached its program yet.
        var seen = ProcessIdentity.arguments(of: pid)
        for _ in 0..<600 where seen != words {
            try await Task.sleep(for: .milliseconds(100))
            seen = ProcessIdentity.arguments(of: pid)
        }
        #expect(seen == words)
        #expect(ProcessIdentity.children(of: getpid()).contains(pid))
        #expect(!ProcessIdentity.children(of: pid).contains(pid))
        #expect(ProcessIdentity.arguments(of: -1) == nil)
        #expect(ProcessIdentity.children(of: 0) == [])
    }
}
