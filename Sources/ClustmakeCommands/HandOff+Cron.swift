import ClustmakeCollector
import ClustmakeHosts
import ClustmakeJSON
import ClustmakeModel
import ClustmakeScripts

/// The cron hand-off: the plan's `crontab.txt` installed into the user's crontab between the marker lines of its
/// namespace (``CrontabBlock``), and removed again (docs/handoff.md, "cron").
///
/// The crontab is read (`crontab -l`), edited and written back whole (`crontab -`): every line outside the
/// namespace's block is kept byte for byte. Another program editing the crontab at the same moment is not guarded
/// against (crontab has no lock); the two edits are milliseconds apart.
enum CronHandOff {
    /// How long `crontab` may take.
    static let timeout = Duration.seconds(30)

    /// The block of namespace `namespace`: `# BEGIN clustmake NS` … `# END clustmake NS`.
    static func block(namespace: String) -> CrontabBlock { CrontabBlock(label: label(namespace: namespace)) }

    /// The block's label, as the hand-off record keeps it (`cron_block`).
    static func label(namespace: String) -> String { "clustmake " + namespace }

    /// Installs `DIR/crontab.txt` as the namespace's block, replacing the block that is there.
    /// - Returns: Whether a block was replaced.
    /// - Throws: ``InputError`` (exit 2) for a plan directory without `crontab.txt`, one whose entry names another
    ///   directory, or a crontab whose markers of this namespace are unbalanced or doubled; ``CommandFailure``
    ///   when `crontab` fails.
    static func install(planDirectory: String, namespace: String) async throws -> Bool {
        let file = planDirectory + "/" + CronTable.fileName
        let text: String
        do {
            text = String(decoding: try FileContents.bytes(atPath: file, limit: 1 << 20), as: UTF8.self)
        } catch {
            throw InputError(
                .unreadable, "there is no crontab for cron to run: \(error.cause).",
                fix: "Plan for cron first: clustmake plan JOBS --target cron --schedule \"MIN HOUR DOM MON DOW\" -o "
                    + ShellQuote.quote(planDirectory), file: file)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let runAll = ShellQuote.quote(GuardedRun.runAll(planDirectory)).replacing("%", with: "\\%")
        guard lines.contains(where: { !$0.hasPrefix("#") && $0.contains(runAll) }) else {
            throw InputError(
                .invalidValue,
                "its entry does not run \(planDirectory)/run-all.sh: the plan directory was moved or the file edited "
                    + "since it was planned.",
                fix: "Plan again into this directory (clustmake plan … --target cron -o "
                    + "\(ShellQuote.quote(planDirectory))).", file: file)
        }
        let current = try await read()
        let block = block(namespace: namespace)
        let replaced = try edited(current) { (text) throws(CrontabBlock.Problem) in try block.lines(in: text) } != nil
        try await write(
            try edited(current) { (text) throws(CrontabBlock.Problem) in
                try block.replacing(in: text, with: lines)
            })
        return replaced
    }

    /// Removes the namespace's block from the crontab.
    /// - Returns: Whether there was one.
    /// - Throws: ``InputError`` (exit 2) for unbalanced or doubled markers; ``CommandFailure`` when `crontab` fails.
    static func remove(namespace: String) async throws -> Bool {
        let current = try await read()
        let block = block(namespace: namespace)
        guard try edited(current, { (text) throws(CrontabBlock.Problem) in try block.lines(in: text) }) != nil else {
            return false
        }
        try await write(try edited(current) { (text) throws(CrontabBlock.Problem) in try block.removing(from: text) })
        return true
    }

    /// The entries of the namespace's block (comments left out), or `nil` when the crontab has none.
    static func entries(namespace: String) async throws -> [String]? {
        let block = block(namespace: namespace)
        return try edited(try await read()) { (text) throws(CrontabBlock.Problem) in try block.lines(in: text) }?
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
    }

    /// The user's crontab, or an empty text when there is none.
    static func read() async throws -> String {
        let result = try await run(["crontab", "-l"], input: .none)
        if result.status == 0 { return result.stdout }
        if result.stderr.contains("no crontab for") { return "" }
        throw CommandFailure(
            status: 1, "crontab -l failed (\(exit(result))): \(Format.lastLine(of: Array(result.stderr.utf8)) ?? "")")
    }

    /// Replaces the user's crontab with `text` (`crontab -`).
    private static func write(_ text: String) async throws {
        let content = text.isEmpty || text.hasSuffix("\n") ? text : text + "\n"
        let result = try await run(["crontab", "-"], input: .bytes(Array(content.utf8)))
        guard result.status == 0 else {
            throw CommandFailure(
                status: 1,
                "crontab refused the new crontab (\(exit(result))), which was not installed: "
                    + result.stderr.split(separator: "\n").joined(separator: " "))
        }
    }

    private static func run(_ arguments: [String], input: ProcessInput) async throws -> ProcessResult {
        do {
            return try await ProcessRunner.run(arguments, input: input, timeout: timeout)
        } catch {
            throw CommandFailure(status: 1, "cannot run crontab (Debian package cron): \(error)")
        }
    }

    private static func exit(_ result: ProcessResult) -> String {
        result.timedOut ? "it did not end" : "exit status \(result.status.map(String.init) ?? "?")"
    }

    /// `edit(text)`, with a marker problem as bad input naming the crontab line and the fix.
    private static func edited<Value>(
        _ text: String, _ edit: (String) throws(CrontabBlock.Problem) -> Value
    ) throws(InputError) -> Value {
        do {
            return try edit(text)
        } catch {
            throw InputError(
                .invalidValue,
                "the crontab's marker lines are out of order: \(error.message), so clustmake does not "
                    + "know which lines are its own and leaves the crontab as it is.",
                fix: "Edit it (crontab -e): keep one '# BEGIN …' line, the entry and one '# END …' line, or delete "
                    + "them all, then submit again.", file: "crontab -l", line: error.line)
        }
    }
}
