import ArgumentParser
import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import ClustmakeStore

/// `clustmake logs JOB`: the output an attempt of a job captured.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the stdout and stderr a job's attempt captured (the last 64 KiB of each).",
        discussion: """
            Without --stdout or --stderr, prints both streams, each after a header line naming the attempt, its \
            host and how much of the stream redis kept. With one of them, prints that stream's bytes exactly as the \
            job wrote them, without a header. Redis keeps the last 64 KiB of each stream; workers started with \
            --log_dir keep all of it on the host (the header names the file). See docs/collector.md.
            """)

    @OptionGroup(title: "Run") var options: CollectorOptions

    @Argument(help: ArgumentHelp("The job.", valueName: "job"))
    var job: String

    @Option(help: ArgumentHelp("The attempt, from 1 (default: the latest).", valueName: "n"))
    var attempt: Int?

    @Flag(help: "Print only stdout, as written.")
    var stdout = false

    @Flag(help: "Print only stderr, as written.")
    var stderr = false

    @Flag(help: "Print JSON for programs (format clustmake-logs/1): both streams as text, with the attempt's record.")
    var json = false

    func validate() throws {
        if let problem = JobID.problem(with: job) {
            throw ValidationError("'\(job)' is not a job id: \(problem).")
        }
        if let attempt, attempt < 1 { throw ValidationError("--attempt must be 1 or more.") }
        if stdout && stderr { throw ValidationError("--stdout and --stderr: give one of them, or neither for both.") }
        if json && (stdout || stderr) { throw ValidationError("--json prints both streams; drop --stdout/--stderr.") }
    }

    /// What was read.
    struct Captured: Sendable {
        var namespace: String
        var record: AttemptRecord
        var attempts: Int
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// Why there is nothing to read.
    enum Missing: Error {
        case noAttempts(JobState)
        case noSuchAttempt(Int)
    }

    func run() async throws {
        let job = job
        let wanted = attempt
        let outcome = try await options.withStore { store throws(StoreError) -> Result<Captured, Missing> in
            let status = try store.status(of: job)
            guard status.attempts > 0 else { return .failure(.noAttempts(status.state)) }
            let number = wanted ?? status.currentAttempt
            guard number <= status.attempts, let record = try store.attempt(of: job, number: number) else {
                return .failure(.noSuchAttempt(status.attempts))
            }
            return .success(
                Captured(
                    namespace: store.namespace, record: record, attempts: status.attempts,
                    stdout: try store.output(of: job, attempt: number, .stdout) ?? [],
                    stderr: try store.output(of: job, attempt: number, .stderr) ?? []))
        }
        let captured: Captured
        switch outcome {
        case .success(let value):
            captured = value
        case .failure(.noAttempts(let state)):
            throw CommandFailure(
                status: 1, "job '\(job)' has no attempts yet (it is \(state)): nothing was captured")
        case .failure(.noSuchAttempt(let count)):
            throw InputError(
                .invalidValue, "job '\(job)' has \(Format.count(count, "attempt")), not \(attempt ?? 0).",
                fix: "Pass --attempt 1 to \(count), or leave it out for the latest.", subject: "--attempt")
        }
        let output = OutputFile.standardOutput()
        if json {
            try output.write(Self.json(captured, namespace: captured.namespace))
        } else if stdout {
            try output.write(captured.stdout)
        } else if stderr {
            try output.write(captured.stderr)
        } else {
            for (channel, bytes) in [(OutputChannel.stdout, captured.stdout), (.stderr, captured.stderr)] {
                try output.write(Self.header(captured, channel, kept: bytes.count) + "\n")
                try output.write(bytes)
                if let last = bytes.last, last != UInt8(ascii: "\n") { try output.write("\n") }
            }
        }
        try output.close()
    }

    /// `==> align attempt 2 of 2 on nodeA (failed): stderr, 120 B <==`, with what was kept of a longer stream.
    static func header(_ captured: Captured, _ channel: OutputChannel, kept: Int) -> String {
        let record = captured.record
        let total = channel == .stdout ? record.stdoutBytes : record.stderrBytes
        let log = channel == .stdout ? record.stdoutLog : record.stderrLog
        var text = "==> \(record.job) attempt \(record.number) of \(captured.attempts) on \(record.host) "
        text += "(\(record.state)): \(channel), "
        if let total, total > kept {
            text += "the last \(Format.bytes(UInt64(kept))) of \(Format.bytes(UInt64(total)))"
            text += log.map { "; all of it on \(record.host) in \($0)" } ?? ""
        } else {
            text += Format.bytes(UInt64(kept))
        }
        return Format.printable(text, limit: 400) + " <=="
    }

    static func json(_ captured: Captured, namespace: String) -> [UInt8] {
        let record = captured.record
        var writer = JSONWriter()
        writer.beginObject()
        writer.member("format", "clustmake-logs/1")
        writer.member("namespace", namespace)
        writer.member("job", record.job)
        writer.member("attempt", record.number)
        writer.member("attempts", captured.attempts)
        writer.member("state", record.state.rawValue)
        writer.member("host", record.host)
        for (channel, bytes, total, log) in [
            ("stdout", captured.stdout, record.stdoutBytes, record.stdoutLog),
            ("stderr", captured.stderr, record.stderrBytes, record.stderrLog),
        ] {
            writer.member(channel, String(decoding: bytes, as: UTF8.self))
            writer.member("\(channel)_bytes", total)
            writer.member("\(channel)_truncated", (total ?? 0) > bytes.count)
            writer.member("\(channel)_log", log)
        }
        writer.endObject()
        return writer.takeBytes() + [UInt8(ascii: "\n")]
    }
}
