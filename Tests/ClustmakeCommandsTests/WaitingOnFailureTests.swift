import ClustmakeModel
import Testing

@testable import ClustmakeCommands

/// The jobs of a per-job SLURM hand-off that wait on a failed parent (`clustmake status` shows them blocked: SLURM
/// removed them from the queue before their workers could record anything).
@Suite struct WaitingOnFailureTests {
    static func job(_ id: String, _ deps: [String], _ state: JobState, at index: Int) -> NamespaceSnapshot.Job {
        NamespaceSnapshot.Job(
            id: id, index: index, command: .shell("true"), deps: deps, tags: [], cost: 1, retries: 0, timeout: nil,
            status: JobStatus(
                id: id, state: state, attempts: 0, currentAttempt: 0, doneAttempt: nil, reason: nil, blockedBy: nil,
                host: nil, updated: nil, leaseHolder: nil, leaseRemaining: nil, fields: [:]))
    }

    @Test("downstream of a failed, blocked, lost or interrupted job, through jobs not started, in the graph's order")
    func downstream() {
        // a failed → b, c not started → d (after c and e); e done; f after e only; g after the running h; i after
        // the lost j; k after the interrupted l.
        let jobs: [(String, [String], JobState)] = [
            ("a", [], .failed), ("b", ["a"], .notStarted), ("c", ["b"], .notStarted), ("e", [], .done),
            ("d", ["c", "e"], .notStarted), ("f", ["e"], .notStarted), ("h", [], .inProgress),
            ("g", ["h"], .notStarted), ("j", [], .lost), ("i", ["j"], .notStarted), ("l", [], .interrupted),
            ("k", ["l"], .notStarted), ("m", ["a"], .done), ("n", ["m"], .notStarted), ("x", ["unknown"], .notStarted),
        ]
        let snapshot = jobs.enumerated().map { Self.job($0.element.0, $0.element.1, $0.element.2, at: $0.offset) }
        #expect(HandOff.waitingOnFailure(snapshot) == ["b", "c", "d", "i", "k"])
        #expect(HandOff.waitingOnFailure([]) == [])
    }
}
