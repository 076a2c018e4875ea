import ClustmakeSystem
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SpawnRunTests {
    /// A scratch file for a child's output, closed by the caller.
    private func scratch() throws -> Int32 {
        try OutputFile.create("clustmake-test", in: ["/tmp"]).get()
    }

    private func text(_ descriptor: Int32) -> String {
        String(decoding: OutputFile.head(descriptor, limit: 1 << 20), as: UTF8.self)
    }

    @Test("a program that exits reports its status, and what it wrote is in the output file")
    func exits() async throws {
        let output = try scratch()
        defer { close(output) }
        let ending = try await Spawn.run(
            ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], standardOutput: .descriptor(output),
            standardError: .descriptor(output), timeout: .seconds(60))
        #expect(ending == Spawn.Ending(status: 3))
        #expect(text(output) == "out\nerr\n")
    }

    @Test("a program runs in the working directory and with the environment it is given")
    func directoryAndEnvironment() async throws {
        let output = try scratch()
        defer { close(output) }
        let ending = try await Spawn.run(
            ["/bin/sh", "-c", "pwd; echo \"$CLUSTMAKE_SPAWN_TEST\""], standardOutput: .descriptor(output),
            standardError: .descriptor(2), environment: Spawn.environment(setting: ["CLUSTMAKE_SPAWN_TEST": "x y"]),
            workingDirectory: "/usr", timeout: .seconds(60))
        #expect(ending == Spawn.Ending(status: 0))
        #expect(text(output) == "/usr\nx y\n")
    }

    @Test("a program that outlives its time gets SIGTERM with its whole process group")
    func timeout() async throws {
        let output = try scratch()
        defer { close(output) }
        let ending = try await Spawn.run(
            ["/bin/sh", "-c", "sleep infinity & echo $!; wait"], standardOutput: .descriptor(output),
            standardError: .descriptor(2), timeout: .milliseconds(200))
        // Timed by the waiting thread: the time this task waits to resume on a busy pool does not count.
        #expect(ending.duration >= .milliseconds(200) && ending.duration < .seconds(60))
        #expect(ending.timedOut)
        #expect(!ending.cancelled)
        #expect(ending.signal == SIGTERM)
        let child = try #require(Int32(text(output).split(separator: "\n").first ?? ""))
        // The sleep by its pid and start time: pids wrap around while the suite runs, and a pid alone may already
        // be another process's. Gone already (nil) is what the test wants.
        guard let sleeper = ProcessIdentity.of(child) else { return }
        // Waited for on this thread (no `await` whose resumption a busy pool could delay past the bound).
        let deadline = ContinuousClock.now + .seconds(10)
        while sleeper.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        #expect(!sleeper.isRunning)
        // If the group signal missed it, the test ends it (only that very process).
        if sleeper.isRunning { kill(child, SIGKILL) }
    }

    @Test("a program that ignores SIGTERM gets SIGKILL after the grace period")
    func kill9() async throws {
        let ending = try await Spawn.run(
            ["/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"], standardOutput: .descriptor(2),
            standardError: .descriptor(2), timeout: .milliseconds(100), grace: .milliseconds(100))
        #expect(ending.timedOut)
        #expect(ending.signal == SIGKILL)
    }

    @Test("cancelling the waiting task stops the program and reaps it")
    func cancelled() async throws {
        let output = try scratch()
        defer { close(output) }
        let task = Task {
            try await Spawn.run(
                ["/bin/sh", "-c", "echo started; exec sleep infinity"], standardOutput: .descriptor(output),
                standardError: .descriptor(2), timeout: .seconds(600))
        }
        // The program runs (its line is written) when the task is cancelled. Polls are counted, not clock time.
        for _ in 0..<1200 {
            if !text(output).isEmpty { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(text(output) == "started\n")
        task.cancel()
        let ending = try await task.value
        #expect(ending.cancelled)
        #expect(!ending.timedOut)
        #expect(ending.signal == SIGTERM)
    }

    @Test("a program that cannot start is a SpawnError with its errno")
    func missing() async {
        do {
            _ = try await Spawn.run(
                ["/nonexistent/program"], standardOutput: .descriptor(2), standardError: .descriptor(2),
                timeout: .seconds(5))
            Issue.record("it started")
        } catch {
            #expect(error.code == ENOENT)
        }
    }

    @Test("the output file keeps all it is given; head and tail read at most their limit")
    func outputLimits() throws {
        let output = try scratch()
        defer { close(output) }
        let bytes = Array("0123456789".utf8)
        _ = bytes.withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
        #expect(OutputFile.head(output, limit: 4) == Array("0123".utf8))
        #expect(OutputFile.tail(output, limit: 4) == Array("6789".utf8))
        #expect(OutputFile.head(output, limit: 100) == bytes)
        #expect(OutputFile.tail(output, limit: 100) == bytes)
    }

    @Test("an output file is made in the first directory that can hold one, and is already unlinked")
    func outputFileDirectories() throws {
        let descriptor = try OutputFile.create("clustmake-test", in: ["/nonexistent", "/tmp"]).get()
        defer { close(descriptor) }
        var info = stat()
        #expect(fstat(descriptor, &info) == 0)
        #expect(info.st_nlink == 0)
        #expect(info.st_mode & 0o077 == 0)
        #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0)
        let failure = OutputFile.create("x", in: ["/nonexistent"])
        #expect(throws: SpawnError.self) { try failure.get() }
    }
}
