import ClustmakeModel
import ClustmakeScheduler
import Testing

@Suite struct LineOutcomeTests {
    /// The outcomes of a one-job line that ended with `exit`, its job not done in redis.
    func single(_ exit: LineExit, remote: Bool = true, output: String? = nil, reason: String? = nil) -> JobOutcome {
        let line = LineOutcome(exit: exit, doneInRedis: [false], remote: remote, lastOutputLine: output)
        return line.outcomes(count: 1, recordedReason: reason)[0]
    }

    @Test("0 is done for every job of the line, whatever redis says")
    func success() {
        let line = LineOutcome(exit: .exited(0), doneInRedis: [], remote: true)
        #expect(line.outcomes(count: 3) == [.done, .done, .done])
        #expect(!line.needsRecordedReason)
    }

    @Test("a verified 0 that redis did not answer leaves every job's outcome to redis, never the node's failure")
    func verifiedUnanswered() {
        let unread = LineOutcome(
            exit: .exited(0), doneInRedis: [false, false], remote: false, verified: true, redisAnswered: false)
        #expect(unread.outcomeUnread)
        #expect(unread.outcomes(count: 2) == [.runningElsewhere, .runningElsewhere])
        #expect(!unread.needsRecordedReason)
        // Cancelling: the jobs were interrupted, as for any line.
        let cancelled = LineOutcome(
            exit: .exited(0), doneInRedis: [false], remote: false, cancelling: true, verified: true,
            redisAnswered: false)
        #expect(!cancelled.outcomeUnread && cancelled.outcomes(count: 1) == [.interrupted])
        // A line whose status is not 0 says what happened by itself: redis's silence changes nothing.
        let failed = LineOutcome(exit: .exited(255), doneInRedis: [false], remote: true, redisAnswered: false)
        #expect(!failed.outcomeUnread)
        guard case .hostLost = failed.outcomes(count: 1)[0] else {
            Issue.record("ssh's 255 is not a host failure")
            return
        }
    }

    @Test("a verified 0 (srun) is done for the jobs redis has done; the first that is not is its host's failure")
    func verifiedSuccess() {
        let all = LineOutcome(exit: .exited(0), doneInRedis: [true, true], remote: false, verified: true)
        #expect(all.outcomes(count: 2) == [.done, .done])
        let cut = LineOutcome(exit: .exited(0), doneInRedis: [true, false, false], remote: false, verified: true)
        let outcomes = cut.outcomes(count: 3)
        #expect(outcomes[0] == .done && outcomes[2] == .notRun)
        guard case .hostLost(let reason) = outcomes[1] else {
            Issue.record("\(outcomes[1]) is not a host failure")
            return
        }
        #expect(reason.contains("status 0") && reason.contains("srun"))
        #expect(!cut.needsRecordedReason)
        let cancelled = LineOutcome(
            exit: .exited(0), doneInRedis: [false], remote: false, cancelling: true, verified: true)
        #expect(cancelled.outcomes(count: 1) == [.interrupted])
    }

    @Test("113 is a failure with the attempt's recorded reason, or a generic one")
    func jobFailed() {
        let line = LineOutcome(exit: .exited(113), doneInRedis: [false], remote: true)
        #expect(line.needsRecordedReason && line.statusJob == 0)
        #expect(single(.exited(113), reason: "exited with status 4") == .failed(reason: "exited with status 4"))
        #expect(single(.exited(113)) == .failed(reason: "the command failed (worker exit 113)"))
    }

    @Test(
        "every status of the worker's table is classified by its kind",
        arguments: WorkerExitStatus.table.filter { $0.status != WorkerExitStatus.success })
    func everyWorkerStatus(entry: WorkerExitStatus.Entry) {
        let outcome = single(.exited(entry.status), output: "compmake: boom")
        switch entry.kind {
        case .jobOutcome:
            #expect(
                outcome == .blocked || outcome == .failed(reason: "the command failed (worker exit 113)"),
                "\(entry.status)")
        case .notRunHere:
            #expect(outcome == .notRun || outcome == .runningElsewhere, "\(entry.status)")
        case .hostTrouble:
            let note = entry.failureNote ?? "?"
            #expect(
                outcome == .hostLost(reason: "exited with status \(entry.status) (\(note)): compmake: boom"),
                "\(entry.status)")
        }
    }

    @Test("each status gives its documented outcome")
    func documentedOutcomes() {
        #expect(single(.exited(115)) == .blocked)
        #expect(single(.exited(116)) == .notRun)
        #expect(single(.exited(117)) == .runningElsewhere)
        #expect(single(.exited(124)) == .runningElsewhere)
        #expect(
            single(.exited(114), output: "compmake: bug")
                == .hostLost(reason: "exited with status 114 (worker internal error): compmake: bug"))
        #expect(
            single(.exited(118))
                == .hostLost(reason: "exited with status 118 (redis unreachable through the tunnel)"))
        #expect(
            single(.exited(119))
                == .hostLost(
                    reason: "exited with status 119 (schema mismatch: install the matching compmake on the host)"))
        #expect(single(.exited(120)) == .hostLost(reason: "exited with status 120 (unknown namespace or job)"))
        #expect(single(.exited(121)) == .hostLost(reason: "exited with status 121 (bad worker arguments)"))
        #expect(single(.exited(122)) == .hostLost(reason: "exited with status 122 (redis refused the worker's login)"))
        #expect(single(.exited(123)) == .hostLost(reason: "exited with status 123 (worker interrupted)"))
        #expect(
            single(.exited(126))
                == .hostLost(reason: "exited with status 126 (the worker cannot be executed on the host)"))
        #expect(
            single(.exited(127))
                == .hostLost(reason: "exited with status 127 (the worker is not installed on the host)"))
        #expect(single(.exited(1)) == .hostLost(reason: "exited with status 1"))
    }

    @Test("255 is ssh's failure on a remote line, an unnamed host failure on a local one")
    func ssh() {
        #expect(
            single(.exited(255), output: "ssh: connect to host h1 port 22: Connection refused")
                == .hostLost(reason: "ssh exited 255: ssh: connect to host h1 port 22: Connection refused"))
        #expect(single(.exited(255), remote: false) == .hostLost(reason: "exited with status 255"))
    }

    @Test("a signal is a host failure naming it")
    func signal() {
        #expect(single(.killed(signal: 9)) == .hostLost(reason: "killed by signal 9"))
        #expect(single(.killed(signal: 15), output: "x") == .hostLost(reason: "killed by signal 15: x"))
        #expect(LineExit.killed(signal: 9).description == "killed by signal 9")
        #expect(LineExit.exited(3).description == "exited with status 3")
    }

    @Test("a hung line lost its host; a cancelled line was interrupted, whatever the status")
    func hungAndCancelled() {
        let hung = LineOutcome(exit: .killed(signal: 9), doneInRedis: [false], remote: true, hung: true)
        #expect(
            hung.outcomes(count: 1) == [.hostLost(reason: "no heartbeat within the lease: the host stopped answering")])
        #expect(!hung.needsRecordedReason)
        let cancelled = LineOutcome(exit: .exited(113), doneInRedis: [false], remote: true, cancelling: true)
        #expect(cancelled.outcomes(count: 1) == [.interrupted])
        #expect(!cancelled.needsRecordedReason)
    }

    @Test("in a line of several jobs: done up to the first not done, the status is that one's, the rest not run")
    func multiJobLine() {
        let failed = LineOutcome(exit: .exited(113), doneInRedis: [true, true, false, false], remote: true)
        #expect(failed.statusJob == 2 && failed.needsRecordedReason)
        #expect(
            failed.outcomes(count: 4, recordedReason: "timed out")
                == [.done, .done, .failed(reason: "timed out"), .notRun])
        let lost = LineOutcome(exit: .exited(255), doneInRedis: [true, false, false], remote: true)
        #expect(lost.outcomes(count: 3) == [.done, .hostLost(reason: "ssh exited 255"), .notRun])
        let cancelled = LineOutcome(
            exit: .exited(123), doneInRedis: [true, false, false], remote: true, cancelling: true)
        #expect(cancelled.outcomes(count: 3) == [.done, .interrupted, .interrupted])
        // Every job done in redis (the worker ended after recording the last one): all done.
        let allDone = LineOutcome(exit: .exited(118), doneInRedis: [true, true], remote: true)
        #expect(allDone.statusJob == 2 && !allDone.needsRecordedReason)
        #expect(allDone.outcomes(count: 2) == [.done, .done])
    }

    @Test("redis that could not say (not done) puts the status on the first job")
    func unknownStates() {
        let line = LineOutcome(exit: .exited(115), doneInRedis: [false, false], remote: false)
        #expect(line.outcomes(count: 2) == [.blocked, .notRun])
    }
}
