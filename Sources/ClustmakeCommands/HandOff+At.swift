import ClustmakeHosts
import ClustmakeModel
import ClustmakeScripts

#if canImport(Glibc)
    import Glibc
#endif

/// The at hand-off: one at job running the plan's `run-all.sh` (a ``GuardedRun`` logging to `at.log`), removed
/// again with `atrm` (docs/handoff.md, "at").
///
/// at saves the environment of the process that queues a job into the job and restores it when the job runs
/// (`at -c N` shows it). clustmake queues the job from a minimal environment (`HOME`, `LOGNAME`, `USER`, `LANG`,
/// `SHELL=/bin/sh` and the run's `PATH`), so nothing of the submitter's environment (a `REDISCLI_AUTH`, tokens, an
/// ssh agent's socket) is written into the queue.
enum AtHandOff {
    /// The log file's name in the plan directory.
    static let logName = "at.log"
    /// How long `at`, `atq` and `atrm` may take.
    static let timeout = Duration.seconds(30)
    /// The variables an at job gets from the submitter, besides `PATH` and `SHELL`.
    static let keptVariables = ["HOME", "LOGNAME", "USER", "LANG"]

    /// Queues the plan's run for `time` (at's time words, `now` by default).
    /// - Returns: The job number and when it runs, as at printed them.
    /// - Throws: ``InputError`` (exit 2) for a time at refuses; ``CommandFailure`` when at fails otherwise.
    static func submit(_ plan: PlanFile, time: [String]) async throws -> (number: String, when: String) {
        let run = try GuardedRun(planDirectory: plan.directory, programDirectories: plan.programDirectories)
        var environment = ["PATH=" + run.searchPath.joined(separator: ":"), "SHELL=/bin/sh"]
        for name in keptVariables {
            if let value = getenv(name) { environment.append(name + "=" + String(cString: value)) }
        }
        let script = run.command(log: logName) + "\n"
        let result = try await self.run(
            ["at", "-M"] + time, input: .bytes(Array(script.utf8)), environment: environment,
            workingDirectory: plan.directory)
        // at prints "job 12 at Sun Dec  6 03:00:00 2026" on stderr, after a warning about /bin/sh.
        let queued = result.stderr.split(separator: "\n").lazy.compactMap { line -> (String, String)? in
            let words = line.split(separator: " ", maxSplits: 3)
            guard words.count == 4, words[0] == "job", words[2] == "at", Int(words[1]) != nil else { return nil }
            return (String(words[1]), String(words[3]))
        }.first
        guard result.status == 0, let queued else {
            let message = result.stderr.split(separator: "\n").joined(separator: " ")
            if result.status != 0 && (message.contains("Garbled time") || message.contains("past")) {
                throw InputError(
                    .invalidValue, "at refuses the time '\(time.joined(separator: " "))': \(message).",
                    fix: "Give a time at(1) reads, in the future: now, 'now + 2 hours', 23:30, 'noon tomorrow'.",
                    subject: "--time")
            }
            throw CommandFailure(
                status: 1, "at did not queue the run (exit status \(result.status.map(String.init) ?? "?")): \(message)"
            )
        }
        return (number: queued.0, when: queued.1)
    }

    /// atq's line for job `number`, or `nil` when it is no longer queued (it ran, or was removed).
    static func queued(_ number: String) async throws -> String? {
        let result = try await run(["atq"], input: .none)
        guard result.status == 0 else {
            throw CommandFailure(
                status: 1, "atq failed: \(result.stderr.split(separator: "\n").joined(separator: " "))")
        }
        return result.stdout.split(separator: "\n").first { $0.split(separator: "\t").first == Substring(number) }
            .map { String($0).replacing("\t", with: " ") }
    }

    /// Removes job `number` (`atrm`) if it waits in the queue.
    /// - Returns: Whether it was waiting.
    static func remove(_ number: String) async throws -> Bool {
        // Not queued any more, or running now (atq's queue `=`): nothing atrm could take back.
        guard let line = try await queued(number), line.split(separator: " ").dropLast().last != "=" else {
            return false
        }
        let result = try await run(["atrm", number], input: .none)
        guard result.status == 0, result.stderr.isEmpty else {
            throw CommandFailure(
                status: 1, "atrm \(number) failed: \(result.stderr.split(separator: "\n").joined(separator: " "))")
        }
        return true
    }

    private static func run(
        _ arguments: [String], input: ProcessInput, environment: [String]? = nil, workingDirectory: String? = nil
    ) async throws -> ProcessResult {
        do {
            return try await ProcessRunner.run(
                arguments, input: input, environment: environment, workingDirectory: workingDirectory,
                timeout: timeout)
        } catch {
            throw CommandFailure(status: 1, "cannot run \(arguments[0]) (Debian package at): \(error)")
        }
    }
}
