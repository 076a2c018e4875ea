import Foundation

/// Waiting for a condition with a bound, for tests of daemons that act in their own time: a SLURM node turning
/// idle, a job leaving the queue, a file written by a cron or at job.
///
/// ```swift
/// let text = try await TestWait.forFile(directory + "/done", timeout: .seconds(150))
/// try await TestWait.until("the queue empties", timeout: .seconds(60)) { try cluster.queue().isEmpty }
/// ```
///
/// Always a condition, never a sleep that must be long enough: the machine may be loaded, so give bounds
/// generously; a passing test costs only the time the condition takes.
///
/// The waits are `async` and sleep with `Task.sleep` between polls, so a test waiting a minute for cron does
/// not hold one of the few threads of Swift's cooperative pool, on which every other test runs; only each
/// poll (reading a file, running `squeue`) blocks, briefly. For the same reason the bound counts the time spent
/// polling and pausing, not the time on the clock: while other tests keep the pool busy a waiting task may be
/// resumed long after its pause ended, and that wait must not use up the bound.
public enum TestWait {
    /// Polls `condition` until it returns a value.
    /// - Parameters:
    ///   - what: What is awaited, for the message: `"node vm idle"`.
    ///   - timeout: The bound.
    ///   - interval: The pause between polls.
    ///   - details: What to show when the bound passes (log tails, the last state seen).
    ///   - condition: Returns the awaited value, or `nil` to poll again.
    /// - Returns: The first value `condition` returned.
    /// - Throws: ``TestHarnessError`` (`.timedOut`, with `details()`) when the bound passes, or what
    ///   `condition` throws.
    @discardableResult
    public static func value<T>(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(100), details: () -> String = { "" },
        _ condition: () throws(TestHarnessError) -> T?
    ) async throws(TestHarnessError) -> T {
        let clock = ContinuousClock()
        var spent = Duration.zero
        while true {
            let polled = clock.now
            if let value = try condition() { return value }
            spent += clock.now - polled
            guard spent < timeout else {
                throw TestHarnessError(.timedOut, "\(what): not within \(timeout)", details: details())
            }
            do { try await Task.sleep(for: interval) } catch {
                throw TestHarnessError(.timedOut, "\(what): the test was cancelled while waiting", details: details())
            }
            // The pause counts as asked for; any longer wait to be resumed is the pool's, not the condition's.
            spent += interval
        }
    }

    /// ``value(_:timeout:interval:details:_:)`` blocking its thread between polls: only for the harness's own
    /// short waits inside synchronous set-up and shutdown (a daemon's socket, a node registering).
    @discardableResult
    static func blockingValue<T>(
        _ what: String, timeout: Duration, interval: Duration, details: () -> String,
        _ condition: () throws(TestHarnessError) -> T?
    ) throws(TestHarnessError) -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let value = try condition() { return value }
            guard clock.now < deadline else {
                throw TestHarnessError(.timedOut, "\(what): not within \(timeout)", details: details())
            }
            RedisServer.sleep(interval)
        }
    }

    /// ``until(_:timeout:interval:details:_:)`` blocking its thread between polls, for the harness's own waits.
    static func blockingUntil(
        _ what: String, timeout: Duration, interval: Duration, details: () -> String = { "" },
        _ condition: () throws(TestHarnessError) -> Bool
    ) throws(TestHarnessError) {
        try blockingValue(what, timeout: timeout, interval: interval, details: details) {
            () throws(TestHarnessError) in try condition() ? true : nil
        }
    }

    /// Polls `condition` until it holds.
    /// - Parameters:
    ///   - what: What is awaited, for the message.
    ///   - timeout: The bound.
    ///   - interval: The pause between polls.
    ///   - details: What to show when the bound passes.
    ///   - condition: Whether the awaited state is reached.
    /// - Throws: ``TestHarnessError`` (`.timedOut`) when the bound passes, or what `condition` throws.
    public static func until(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(100), details: () -> String = { "" },
        _ condition: () throws(TestHarnessError) -> Bool
    ) async throws(TestHarnessError) {
        try await value(what, timeout: timeout, interval: interval, details: details) { () throws(TestHarnessError) in
            try condition() ? true : nil
        }
    }

    /// Waits until the file at `path` exists and, when `suffix` is given, its text ends with it (ignoring
    /// trailing whitespace): a job that writes `start`, works, then writes `end` is over when the file ends with
    /// `end`.
    /// - Parameters:
    ///   - path: The file a job writes.
    ///   - suffix: What the text must end with, or `nil` for any content (even none).
    ///   - timeout: The bound.
    ///   - details: What to show when the bound passes (the daemon's log, the queue).
    /// - Returns: The file's text.
    /// - Throws: ``TestHarnessError`` (`.timedOut`, with the file's text so far) when the bound passes.
    @discardableResult
    public static func forFile(
        _ path: String, endingWith suffix: String? = nil, timeout: Duration, details: () -> String = { "" }
    ) async throws(TestHarnessError) -> String {
        var seen: String?
        return try await value(
            suffix.map { "\(path) ends with '\($0)'" } ?? "\(path) exists", timeout: timeout,
            details: {
                let text = seen.map { "--- \(path) so far ---\n\($0)" } ?? "(\(path) does not exist)"
                return text + "\n" + details()
            }
        ) {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            let text = String(decoding: data, as: UTF8.self)
            seen = text
            guard let suffix else { return text }
            return SSHTestCluster.trimmingTrailingWhitespace(text).hasSuffix(suffix) ? text : nil
        }
    }
}
