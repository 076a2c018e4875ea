import Foundation
import Glibc
import Synchronization

/// Debian's atd for a test: started (`atd -f`) when it does not run, stopped when the last ``AtService`` of
/// this process goes away if this process started it; and the test's own at jobs, removed (`atrm`) when the
/// service goes away if they have not run.
///
/// ```swift
/// @Test("an at job runs to the end") func atJob() async throws {
///     let at = try AtService()
///     let job = try at.enqueue(file: "/tmp/x/job.sh")           // at -f /tmp/x/job.sh now
///     try await TestWait.forFile("/tmp/x/out", endingWith: "end", timeout: .seconds(60))
///     try await at.waitUntilDone(job, timeout: .seconds(60))
/// }
/// ```
///
/// atd and its queue are **machine-wide**: the service lists and removes only the jobs it queued. Jobs run with
/// `/bin/sh` in the environment `at` recorded when queuing (this process's, and its working directory).
public final class AtService: Sendable {
    /// An at job as `atq` lists it.
    public struct Job: Sendable, Hashable {
        /// The job number `at` printed.
        public var number: Int
        /// When it runs, as atq prints it: `Sun Dec  6 03:28:00 2026`.
        public var time: String
        /// Its queue letter (`a` by default); `=` while it runs.
        public var queue: String
        /// The user it runs as.
        public var user: String
    }

    /// Whether atd was started by this process (for this or an earlier service still alive), so it stops
    /// with the last one; `false` when the machine's atd was already running.
    public let startedDaemon: Bool

    private let queued = Mutex<Set<Int>>([])

    /// Makes sure atd runs, starting it when it does not.
    /// - Parameter startupTimeout: How long to wait for a started atd to write `/run/atd.pid`.
    /// - Throws: ``TestHarnessError``: `.missingPrerequisite` (Debian package at), `.notPermitted` when not
    ///   root, `.setupFailed` with atd's output.
    public init(startupTimeout: Duration = .seconds(30)) throws(TestHarnessError) {
        startedDaemon = try MachineDaemon.atd.acquire(timeout: startupTimeout)
    }

    deinit {
        let mine = queued.withLock { $0 }
        if let listed = try? jobs() {
            let waiting = listed.filter { mine.contains($0.number) && $0.queue != "=" }.map(\.number)
            if !waiting.isEmpty {
                _ = try? MachineDaemon.runClient(["atrm"] + waiting.map(String.init), package: "at")
            }
        }
        MachineDaemon.atd.release()
    }

    /// The pid of the running atd, if one runs.
    public var daemonPid: pid_t? { MachineDaemon.atd.runningPid }

    /// How many at services this process holds now (tests running side by side share the daemon; the last one to
    /// end stops it if this process started it).
    public static var holders: Int { MachineDaemon.atd.holders }

    /// Queues the shell script `file` with `at -f FILE TIMESPEC…`.
    /// - Parameters:
    ///   - file: The script (read now; `/bin/sh` runs it).
    ///   - timespec: at's time words: `["now"]`, `["now", "+", "1", "hour"]`, `["23:59"]`.
    ///   - queue: A queue letter (`-q`), or `nil` for at's default `a`.
    /// - Returns: The job number.
    /// - Throws: ``TestHarnessError`` (`.commandFailed`, with at's stderr).
    @discardableResult
    public func enqueue(file: String, at timespec: [String] = ["now"], queue: Character? = nil)
        throws(TestHarnessError) -> Int
    {
        try enqueue(["at"] + (queue.map { ["-q", String($0)] } ?? []) + ["-f", file] + timespec)
    }

    /// Queues the shell script `file` for a POSIX time: `at -f FILE -t [[CC]YY]MMDDhhmm[.ss]`.
    /// - Parameters:
    ///   - file: The script.
    ///   - posixTime: `202612060300`, as `touch -t` takes it.
    /// - Returns: The job number.
    /// - Throws: ``TestHarnessError`` (`.commandFailed`, with at's stderr).
    @discardableResult
    public func enqueue(file: String, posixTime: String) throws(TestHarnessError) -> Int {
        try enqueue(["at", "-f", file, "-t", posixTime])
    }

    private func enqueue(_ arguments: [String]) throws(TestHarnessError) -> Int {
        let result = try MachineDaemon.runClient(arguments, package: "at")
        // at prints "job 12 at Sun Dec  6 03:00:00 2026" on stderr (after a warning about /bin/sh).
        let number = result.stderr.split(separator: "\n").lazy.compactMap { line -> Int? in
            let words = line.split(separator: " ")
            guard words.count >= 3, words[0] == "job", words[2] == "at" else { return nil }
            return Int(words[1])
        }.first
        guard result.succeeded, let number else {
            throw TestHarnessError(
                .commandFailed,
                "\(SSHTestCluster.shellLine(arguments)) exited with status \(result.status) and printed no job number",
                details: result.stdout + result.stderr)
        }
        _ = queued.withLock { $0.insert(number) }
        return number
    }

    /// The jobs this service queued that atq still lists (waiting, or running with queue `=`).
    /// - Throws: ``TestHarnessError`` (`.commandFailed`) when atq fails.
    public func jobs() throws(TestHarnessError) -> [Job] {
        let result = try MachineDaemon.runClient(["atq"], package: "at")
        guard result.succeeded else {
            throw TestHarnessError(.commandFailed, "atq exited with status \(result.status)", details: result.stderr)
        }
        let mine = queued.withLock { $0 }
        return Self.parseQueue(result.stdout).filter { mine.contains($0.number) }
    }

    /// Removes a job this service queued (`atrm N`).
    /// - Parameter number: The job number ``enqueue(file:at:queue:)`` returned.
    /// - Throws: ``TestHarnessError``: `.invalidArgument` for a job this service did not queue (it never
    ///   touches others' jobs), `.commandFailed` from atrm (e.g. the job has run).
    public func remove(_ number: Int) throws(TestHarnessError) {
        guard queued.withLock({ $0.contains(number) }) else {
            throw TestHarnessError(
                .invalidArgument, "at job \(number) was not queued by this service; it removes only its own jobs")
        }
        let result = try MachineDaemon.runClient(["atrm", String(number)], package: "at")
        guard result.succeeded, result.stderr.isEmpty else {
            throw TestHarnessError(
                .commandFailed, "atrm \(number) exited with status \(result.status)", details: result.stderr)
        }
    }

    /// Waits until atq no longer lists job `number`: it ran to the end (or was removed).
    /// - Parameters:
    ///   - number: A job number.
    ///   - timeout: The bound.
    /// - Throws: ``TestHarnessError`` (`.timedOut`, with the jobs still listed).
    public func waitUntilDone(_ number: Int, timeout: Duration) async throws(TestHarnessError) {
        var last: [Job] = []
        try await TestWait.until(
            "at job \(number) is over", timeout: timeout, interval: .milliseconds(200), details: { "atq: \(last)" }
        ) { () throws(TestHarnessError) in
            last = try jobs()
            return !last.contains { $0.number == number }
        }
    }

    /// atq's lines, `N<TAB>DATE QUEUE USER`, as jobs.
    static func parseQueue(_ output: String) -> [Job] {
        output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2, let number = Int(parts[0]) else { return nil }
            var words = parts[1].split(separator: " ", omittingEmptySubsequences: false)
            guard words.count >= 3 else { return nil }
            let user = String(words.removeLast())
            let queue = String(words.removeLast())
            return Job(number: number, time: words.joined(separator: " "), queue: queue, user: user)
        }
    }
}
