import ClustmakeSystem
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct WakePipeTests {
    /// Whether `descriptor` has something to read within `milliseconds`.
    private func readable(_ descriptor: Int32, milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) == 1 && entry.revents & Int16(POLLIN) != 0
    }

    @Test("a wake from another thread wakes a poll on the read end; a drain empties it")
    func wakesAPoll() throws {
        let pipe = try WakePipe()
        #expect(!readable(pipe.readEnd, milliseconds: 0))
        let thread = try DedicatedThread { pipe.wake() }
        // Bounded by a minute, not timed: the thread may be slow to run on a busy machine.
        #expect(readable(pipe.readEnd, milliseconds: 60_000))
        thread.join()
        pipe.drain()
        #expect(!readable(pipe.readEnd, milliseconds: 0))
    }

    @Test("more wakes than the pipe holds never block the writer; one drain takes them all")
    func manyWakesDoNotBlock() throws {
        let pipe = try WakePipe()
        // A pipe holds 64 KiB by default: the wakes beyond that are dropped, not waited for.
        for _ in 0..<100_000 { pipe.wake() }
        #expect(readable(pipe.readEnd, milliseconds: 0))
        pipe.drain()
        #expect(!readable(pipe.readEnd, milliseconds: 0))
    }

    @Test("both ends are close-on-exec and non-blocking")
    func flags() throws {
        let pipe = try WakePipe()
        for end in [pipe.readEnd, pipe.writeEnd] {
            #expect(fcntl(end, F_GETFD) & FD_CLOEXEC != 0)
            #expect(fcntl(end, F_GETFL) & O_NONBLOCK != 0)
        }
    }
}
