public import ClustmakeModel
import ClustmakeSystem
import Foundation
import Glibc
import Synchronization

/// Debian's cron for a test: started (`cron -f -L 15`) when it does not run, stopped when the last
/// ``CronService`` of this process goes away if this process started it; and the test's own entries in a
/// user's crontab, between marker lines, removed when the service goes away.
///
/// ```swift
/// @Test("cron runs the entry") func cronRuns() async throws {
///     let cron = try CronService()
///     try cron.installBlock("cmk-\(getpid())-a", lines: ["* * * * * /bin/date >> /tmp/x/ran"])
///     try await TestWait.forFile("/tmp/x/ran", timeout: .seconds(150))   // cron fires at minute boundaries
/// }   // the block leaves the crontab, cron stops if the test started it
/// ```
///
/// cron and crontabs are **machine-wide**: other tests, other processes and the machine's owner share them. So
/// the service never removes an entry it did not add: a block is replaced or removed by its markers only, and
/// every change is read, edited and written back under a lock shared by this process's tests (another process
/// editing the same crontab at the same moment is not guarded against). Entries run with cron's minimal
/// environment (`PATH=/usr/bin:/bin`, `HOME`, `SHELL=/bin/sh`): use absolute paths.
///
/// cron looks at crontabs and runs entries at minute boundaries: an entry for every minute runs within about
/// 60 s of being installed (give the wait at least 150 s on a loaded machine).
public final class CronService: Sendable {
    /// Whether cron was started by this process (for this or an earlier service still alive), so it stops
    /// with the last one; `false` when the machine's cron was already running.
    public let startedDaemon: Bool
    /// The user whose crontab the methods read and write (`crontab -u USER`), or `nil` for this process's user.
    public let user: String?

    private let blocks = Mutex<Set<String>>([])
    /// Serializes read-edit-write cycles on crontabs among this process's tests.
    private static let editing = Mutex<Void>(())

    /// Makes sure cron runs, starting it when it does not.
    /// - Parameters:
    ///   - user: The user whose crontab to manage, or `nil` for this process's user.
    ///   - startupTimeout: How long to wait for a started cron to write `/run/crond.pid`.
    /// - Throws: ``TestHarnessError``: `.missingPrerequisite` (Debian package cron), `.notPermitted` when not
    ///   root, `.setupFailed` with cron's output.
    public init(user: String? = nil, startupTimeout: Duration = .seconds(30)) throws(TestHarnessError) {
        self.user = user
        let wasRunning = MachineDaemon.cron.runningPid != nil
        startedDaemon = try MachineDaemon.cron.acquire(timeout: startupTimeout)
        // cron notices a changed crontab by the spool directory's modification time, in whole seconds: a crontab
        // written in the second of its start-up scan is never read (until another change, in a later second).
        // So a cron that has just started gets that second over, and the next, before any test edits a crontab.
        if !wasRunning {
            let started = time(nil)
            while time(nil) < started + 2 { blockingSleep(.milliseconds(20)) }
        }
    }

    deinit {
        for id in blocks.withLock({ $0 }) { try? removeBlock(id) }
        MachineDaemon.cron.release()
    }

    /// The pid of the running cron, if one runs.
    public var daemonPid: pid_t? { MachineDaemon.cron.runningPid }

    /// How many cron services this process holds now (tests running side by side share the daemon; the last one
    /// to end stops it if this process started it).
    public static var holders: Int { MachineDaemon.cron.holders }

    // MARK: - The crontab

    /// The user's crontab (`crontab -l`), or an empty string when the user has none.
    /// - Throws: ``TestHarnessError`` (`.commandFailed`) when crontab fails otherwise.
    public func crontab() throws(TestHarnessError) -> String {
        let result = try MachineDaemon.runClient(["crontab"] + userArguments + ["-l"], package: "cron")
        if result.succeeded { return result.stdout }
        if result.stderr.contains("no crontab for") { return "" }
        throw TestHarnessError(
            .commandFailed, "crontab -l exited with status \(result.status)", details: result.stderr)
    }

    /// Replaces the user's whole crontab (`crontab FILE`). Prefer ``installBlock(_:lines:)``, which keeps
    /// what others installed; use this only to put back what ``crontab()`` returned.
    /// - Parameter text: The new crontab; an empty text removes it (`crontab -r`).
    /// - Throws: ``TestHarnessError`` (`.commandFailed`, with crontab's complaint about a bad line).
    public func replaceCrontab(with text: String) throws(TestHarnessError) {
        if text.allSatisfy(\.isWhitespace) {
            let result = try MachineDaemon.runClient(["crontab"] + userArguments + ["-r"], package: "cron")
            guard result.succeeded || result.stderr.contains("no crontab for") else {
                throw TestHarnessError(
                    .commandFailed, "crontab -r exited with status \(result.status)", details: result.stderr)
            }
            return
        }
        let directory = try DaemonProcess.makeTemporaryDirectory(prefix: "clustmake-crontab", mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/crontab"
        try DaemonProcess.writeFile(text.hasSuffix("\n") ? text : text + "\n", to: file, mode: 0o600)
        let result = try MachineDaemon.runClient(["crontab"] + userArguments + [file], package: "cron")
        guard result.succeeded else {
            throw TestHarnessError(
                .commandFailed, "crontab \(file) exited with status \(result.status)",
                details: result.stderr + "\n--- the crontab ---\n" + text)
        }
    }

    /// The marker lines of block `id`: `# BEGIN clustmake test block ID` and `# END …`.
    public static func block(_ id: String) -> CrontabBlock { CrontabBlock(label: "clustmake test block \(id)") }
    /// The marker line that opens block `id`.
    public static func beginMarker(_ id: String) -> String { block(id).begin }
    /// The marker line that closes block `id`.
    public static func endMarker(_ id: String) -> String { block(id).end }

    /// Adds `lines` to the user's crontab between the markers of `id`, replacing that block if it is there;
    /// every other line stays as it was. The block is removed when the service goes away.
    /// - Parameters:
    ///   - id: Names the block: letters, digits, `-`, `_`, `.`; unique among tests (include the pid).
    ///   - lines: crontab lines (`MIN HOUR DOM MON DOW COMMAND`, `NAME=value`, comments).
    /// - Throws: ``TestHarnessError``: `.invalidArgument` for a bad id or a line with a newline, or an
    ///   unbalanced marker of `id` already in the crontab; `.commandFailed` from crontab.
    public func installBlock(_ id: String, lines: [String]) throws(TestHarnessError) {
        try Self.validate(id: id)
        if let bad = lines.first(where: { $0.contains("\n") || $0.contains("\r") }) {
            throw TestHarnessError(
                .invalidArgument, "a crontab line may not hold a line break: \(bad.debugDescription)")
        }
        try Self.editing.withLock { (_: inout Void) throws(TestHarnessError) in
            let current = try crontab()
            try replaceCrontab(
                with: try Self.edited(id, current) { (text) throws(CrontabBlock.Problem) in
                    try Self.block(id).replacing(in: text, with: lines)
                })
        }
        _ = blocks.withLock { $0.insert(id) }
    }

    /// Removes block `id` from the user's crontab, leaving every other line as it was; nothing happens when it
    /// is not there.
    /// - Parameter id: The block's name, as given to ``installBlock(_:lines:)``.
    /// - Throws: ``TestHarnessError``: `.invalidArgument` for an unbalanced marker; `.commandFailed` from crontab.
    public func removeBlock(_ id: String) throws(TestHarnessError) {
        try Self.validate(id: id)
        try Self.editing.withLock { (_: inout Void) throws(TestHarnessError) in
            let current = try crontab()
            let kept = try Self.edited(id, current) { (text) throws(CrontabBlock.Problem) in
                try Self.block(id).removing(from: text)
            }
            if kept != current { try replaceCrontab(with: kept) }
        }
        _ = blocks.withLock { $0.remove(id) }
    }

    /// `edit(text)`, with an unbalanced or duplicated marker of block `id` as a ``TestHarnessError``.
    private static func edited(
        _ id: String, _ text: String, _ edit: (String) throws(CrontabBlock.Problem) -> String
    ) throws(TestHarnessError) -> String {
        do {
            return try edit(text)
        } catch {
            throw TestHarnessError(
                .invalidArgument,
                "the crontab holds an unbalanced marker of block \(id) (\(error)): fix it by hand (crontab -e) "
                    + "before the test writes it again", details: "--- the crontab ---\n" + text)
        }
    }

    private static func validate(id: String) throws(TestHarnessError) {
        let valid =
            !id.isEmpty && id.count <= 100
            && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard valid else {
            throw TestHarnessError(
                .invalidArgument, "crontab block id '\(id)' must be 1 to 100 ASCII letters, digits, '-', '_' and '.'")
        }
    }

    private var userArguments: [String] { user.map { ["-u", $0] } ?? [] }
}
