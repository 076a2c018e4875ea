import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import ClustmakeWorker
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `make_single stream=True` against a real redis: one worker serving batches of job ids from its standard input.
@Suite struct WorkerStreamTests {
    /// A streamed worker: the test writes batches to its standard input and reads its answers from its standard
    /// output.
    final class Session {
        let pid: pid_t
        private var input: Int32
        private let answers: Int32
        let stderrFile: String
        private var buffer: [UInt8] = []

        init(_ fixture: WorkerFixture, options: [String] = [], first: String = "") throws {
            stderrFile = fixture.path("stream-\(UInt32.random(in: 0...UInt32.max)).err")
            var inputPipe: [Int32] = [-1, -1]
            var outputPipe: [Int32] = [-1, -1]
            guard pipe(&inputPipe) == 0, pipe(&outputPipe) == 0 else { throw POSIXError(.EMFILE) }
            let words =
                [
                    WorkerProcess.executable, "--hostname=nodeA", "--db=redis", "--redis_host=\(fixture.redisHost)",
                    "--lease_ttl=3", "--kill_grace=1", "--redis_retry=5",
                ] + options + ["--slave", fixture.namespace, "make_single", "more=False", "stream=True"]
            let spawned = Spawn.process(
                words, standardInput: .descriptor(inputPipe[0]), standardOutput: .descriptor(outputPipe[1]),
                standardError: .file(stderrFile, append: false),
                environment: Spawn.environment(
                    setting: ["HOME": fixture.directory], removing: ["REDISCLI_AUTH", "XDG_CONFIG_HOME"]))
            close(inputPipe[0])
            close(outputPipe[1])
            input = inputPipe[1]
            answers = outputPipe[0]
            switch spawned {
            case .success(let child): pid = child
            case .failure(let error):
                close(input)
                close(answers)
                throw POSIXError(POSIXErrorCode(rawValue: error.code) ?? .ENOENT)
            }
            if !first.isEmpty { send(first) }
        }

        deinit {
            if input >= 0 { close(input) }
            close(answers)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
        }

        func send(_ text: String) {
            _ = text.withCString { write(input, $0, strlen($0)) }
        }

        func closeInput() {
            close(input)
            input = -1
        }

        /// The next answer line, waiting up to `timeout` seconds; nil at the end of the worker's output.
        func answer(timeout: Double = 30) -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeFirst(newline + 1)
                    return line
                }
                var entry = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 100) >= 0 else { continue }
                guard entry.revents != 0 else { continue }
                var chunk = [UInt8](repeating: 0, count: 256)
                let count = chunk.withUnsafeMutableBytes { read(answers, $0.baseAddress, $0.count) }
                if count <= 0 { return nil }
                buffer += chunk[0..<count]
            }
            Issue.record("no answer within \(timeout) s")
            return nil
        }

        /// Waits for the worker to exit; returns its exit status.
        func exitStatus(timeout: Double = 30) -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            var status: Int32 = 0
            while Date() < deadline {
                if waitpid(pid, &status, WNOHANG) == pid { return status & 0x7f == 0 ? (status >> 8) & 0xff : -1 }
                usleep(5_000)
            }
            return nil
        }

        var stderr: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }
    }

    @Test("each line of ids is run as a batch and answered with its status; the session goes on until its input ends")
    func batches() throws {
        let fixture = try WorkerFixture([
            shell("a", "echo A"), shell("b", "exit 3"), shell("c", "echo C"), shell("d", "true", deps: ["b"]),
            shell("e", "true", deps: ["c"]),
        ])
        let session = try Session(fixture, first: "a\n")
        #expect(session.answer() == "0")
        // A failure ends its batch (c is not run) and is answered with 113; the session serves the next batch.
        session.send("b c\n")
        #expect(session.answer() == "113")
        #expect(try fixture.store.state(of: "c") == .notStarted)
        session.send("c e\n\n")
        #expect(session.answer() == "0")
        session.send("d\n")
        #expect(session.answer() == "115")
        session.closeInput()
        #expect(session.answer() == nil)
        #expect(session.exitStatus() == WorkerExitStatus.success, "\(session.stderr)")
        #expect(try fixture.store.states() == ["a": .done, "b": .failed, "c": .done, "d": .blocked, "e": .done])
        // One worker ran every job, each once.
        var pids = Set<Int>()
        for id in ["a", "b", "c", "e"] {
            let attempts = try fixture.store.attempts(of: id)
            #expect(attempts.count == 1)
            pids.formUnion(attempts.compactMap(\.workerPID))
        }
        #expect(pids == [Int(session.pid)])
    }

    @Test("a batch that came while the last one ran has its first job taken with that one's recording")
    func lookAhead() throws {
        let fixture = try WorkerFixture([
            shell("a", "sleep 0.2"), shell("b", "true", deps: ["a"]), shell("c", "true"), shell("d", "exit 4"),
            shell("e", "true"),
        ])
        try fixture.server.connect().command("CONFIG", "RESETSTAT").expectOK()
        // Both batches are there before `a` ends: a's recording takes b, b's takes c, and c's records it alone.
        let session = try Session(fixture, first: "a\nb c\n")
        #expect(session.answer() == "0", "\(session.stderr)")
        #expect(session.answer() == "0", "\(session.stderr)")
        #expect(try fixture.scriptRuns() == 4)
        // A batch whose last job fails takes nothing ahead: d is recorded alone, e taken by a script of its own.
        try fixture.server.connect().command("CONFIG", "RESETSTAT").expectOK()
        session.send("d\ne\n")
        #expect(session.answer() == "113", "\(session.stderr)")
        #expect(session.answer() == "0", "\(session.stderr)")
        #expect(try fixture.scriptRuns() == 4)
        session.closeInput()
        #expect(session.exitStatus() == WorkerExitStatus.success, "\(session.stderr)")
        #expect(try fixture.store.states() == ["a": .done, "b": .done, "c": .done, "d": .failed, "e": .done])
        for id in ["a", "b", "c", "d", "e"] { #expect(try fixture.store.attempts(of: id).count == 1) }
        // b started after a ended: it was taken when a was recorded, not before.
        let a = try #require(try fixture.store.attempts(of: "a").first?.ended)
        let b = try #require(try fixture.store.attempts(of: "b").first?.started)
        #expect(b.secondsSince1970 >= a.secondsSince1970)
    }

    @Test("a stop signal after the next batch's first job was taken ahead: that job is recorded interrupted, once")
    func lookAheadStopped() throws {
        // a's recording takes b (its batch is there), and a's command then signals the worker as it ends: the signal
        // comes after the take or before it, and either way b is not left in progress.
        let fixture = try WorkerFixture([
            shell("a", "sleep 0.1; (sleep 0.05; kill -TERM $PPID) & exit 0"), shell("b", "sleep 5"),
        ])
        let session = try Session(fixture, first: "a\nb\n")
        var answers: [String] = []
        while let answer = session.answer(timeout: 30) { answers.append(answer) }
        let status = session.exitStatus()
        #expect(status == WorkerExitStatus.interrupted, "\(answers) \(session.stderr)")
        #expect(try fixture.store.state(of: "a") == .done)
        let b = try fixture.store.attempts(of: "b")
        #expect(b.count <= 1 && b.allSatisfy { $0.state == .interrupted }, "\(b)")
        #expect(try fixture.store.state(of: "b") != .inProgress)
    }

    @Test("the password line is read alone: the first batch written with it in one write is not lost")
    func passwordThenBatch() throws {
        var options = RedisServer.Options()
        options.password = "s3cret-stream"
        let fixture = try WorkerFixture([shell("a", "true"), shell("b", "true")], options: options)
        let session = try Session(fixture, options: ["--redis_password_stdin"], first: "s3cret-stream\na b\n")
        #expect(session.answer() == "0", "\(session.stderr)")
        session.closeInput()
        #expect(session.exitStatus() == 0)
        #expect(try fixture.store.states() == ["a": .done, "b": .done])
    }

    @Test("a line that is not job ids ends the worker with 121, unanswered; a stop signal while idle ends it with 123")
    func invalidLineAndSignal() throws {
        let fixture = try WorkerFixture([shell("a", "true")])
        let session = try Session(fixture, first: "a\n")
        #expect(session.answer() == "0")
        session.send("a b;rm\n")
        #expect(session.answer() == nil)
        #expect(session.exitStatus() == WorkerExitStatus.badArguments)
        #expect(session.stderr.contains("not a valid job id"), "\(session.stderr)")

        let idle = try Session(fixture)
        // Waiting for input with its signal handling in place: SIGTERM ends it at once, saying nothing ran.
        #expect(fixture.eventually { idle.stderr.isEmpty && WorkerStreamTests.readsStandardInput(idle.pid) })
        kill(idle.pid, SIGTERM)
        #expect(idle.exitStatus() == WorkerExitStatus.interrupted)
        #expect(idle.stderr.contains("interrupted"), "\(idle.stderr)")
    }

    @Test("job ids on the command line with stream=True are refused; after '--' stream=True is a job id")
    func arguments() throws {
        let refused = #expect(throws: WorkerArgumentError.self) {
            try WorkerArguments(parsing: ["--slave", "ns", "make_single", "stream=True", "a"])
        }
        #expect(refused?.message.contains("standard input") == true)
        let streamed = try WorkerArguments(parsing: ["--slave", "ns", "make_single", "more=False", "stream=True"])
        #expect(streamed.stream && streamed.jobs.isEmpty)
        let plain = try WorkerArguments(parsing: ["--slave", "ns", "make_single", "--", "a"])
        #expect(!plain.stream && plain.jobs == ["a"])
        #expect(throws: WorkerArgumentError.self) {
            try WorkerArguments(parsing: ["--slave", "ns", "make_single", "stream=maybe"])
        }
    }

    /// Whether `pid` is blocked in a read of its standard input (`/proc/PID/syscall`: read(0, …)).
    static func readsStandardInput(_ pid: pid_t) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/syscall", encoding: .utf8) else { return false }
        let words = text.split(separator: " ")
        return words.count > 1 && words[0] == "0" && words[1] == "0x0"
    }
}
