import ClustmakeModel
import ClustmakeStore

@testable import ClustmakeCollector

/// Histories built by hand for the pure tests: times are seconds after ``t0``.
enum Histories {
    static let t0 = 1_000_000.0

    static func job(
        _ id: String, deps: [Int] = [], state: JobState = .done, tags: [String] = [], doneAttempt: Int? = nil,
        reason: String? = nil, blockedBy: String? = nil, cost: Double = 1
    ) -> JobRecord {
        JobRecord(
            id: id, deps: deps, tags: tags, cost: cost, command: "run \(id)", state: state, reason: reason,
            blockedBy: blockedBy, doneAttempt: doneAttempt ?? (state == .done ? 1 : nil))
    }

    static func attempt(
        _ job: Int, _ number: Int, on host: String, from start: Double, to end: Double?,
        _ outcome: AttemptState = .succeeded, counted: Bool = true, exit: Int? = nil, signal: Int? = nil,
        timedOut: Bool = false, reason: String? = nil, cpu: Double? = nil, rss: UInt64? = nil
    ) -> Attempt {
        let duration = end.map { $0 - start }
        return Attempt(
            job: job, number: number, outcome: outcome, counted: counted, host: host, start: t0 + start,
            ended: end.map { t0 + $0 }, wallTime: outcome == .lost || outcome == .running ? nil : duration,
            userCPU: cpu.map { $0 * 0.75 }, systemCPU: cpu.map { $0 * 0.25 }, maxRSS: rss,
            exitStatus: exit ?? (outcome == .succeeded ? 0 : (outcome == .failed && signal == nil ? 1 : nil)),
            signal: signal, timedOut: timedOut, reason: reason, stdoutBytes: 10, stderrBytes: 2)
    }

    /// a → b, a → c, (b, c) → d; e alone, and f after e. b failed once and then succeeded on the other host; e's
    /// attempt was lost, and f is recorded blocked by it (it never ran).
    ///
    /// ```
    /// h1: a [0, 2]  b#1 [2.5, 5.5] failed          d [9.5, 12]
    /// h2: e [0, 1.5] lost  c [2, 4]   b#2 [6, 9]
    /// ```
    static func diamond() -> RunHistory {
        RunHistory(
            namespace: "diamond", now: t0 + 20,
            jobs: [
                job("a", tags: ["x"]), job("b", deps: [0], tags: ["x"], doneAttempt: 2), job("c", deps: [0]),
                job("d", deps: [1, 2]), job("e", state: .lost, reason: "its worker stopped renewing the lease"),
                job("f", deps: [4], state: .blocked, blockedBy: "e"),
            ],
            attempts: [
                attempt(3, 1, on: "h1", from: 9.5, to: 12),
                attempt(0, 1, on: "h1", from: 0, to: 2, cpu: 1.5, rss: 100),
                attempt(1, 1, on: "h1", from: 2.5, to: 5.5, .failed, exit: 3, reason: "exited with status 3"),
                attempt(1, 2, on: "h2", from: 6, to: 9, rss: 300),
                attempt(2, 1, on: "h2", from: 2, to: 4),
                attempt(4, 1, on: "h2", from: 0, to: 1.5, .lost, reason: "its worker stopped renewing the lease"),
            ])
    }

    /// A job of a plan.
    static func plannedJob(_ id: String, on host: String, from start: Double, to end: Double) -> PlannedRun.Job {
        PlannedRun.Job(id: id, host: host, slot: 0, start: start, end: end, cost: end - start)
    }

    /// The plan of ``diamond()``: h1 (2 slots) runs a, b, d; h2 (1 slot) runs c, e; f on h1.
    static func diamondPlan() -> PlannedRun {
        PlannedRun(
            namespace: "diamond",
            hosts: [PlannedRun.Host(name: "h1", slots: 2, speed: 1), PlannedRun.Host(name: "h2", slots: 1, speed: 1)],
            jobs: [
                PlannedRun.Job(id: "a", host: "h1", slot: 0, start: 0, end: 2, cost: 2),
                PlannedRun.Job(id: "b", host: "h1", slot: 0, start: 2, end: 5, cost: 3),
                PlannedRun.Job(id: "c", host: "h2", slot: 0, start: 2, end: 4, cost: 2),
                PlannedRun.Job(id: "d", host: "h1", slot: 0, start: 5, end: 8, cost: 3),
                PlannedRun.Job(id: "e", host: "h2", slot: 0, start: 0, end: 1, cost: 1),
                PlannedRun.Job(id: "f", host: "h1", slot: 1, start: 1, end: 2, cost: 1),
            ],
            makespan: 10, lowerBound: 8, criticalPath: ["a", "b", "d"])
    }
}
