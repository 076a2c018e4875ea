import ClustmakeModel
import ClustmakePlanner
import Testing

@testable import ClustmakeDispatch
@testable import ClustmakeScheduler

/// Every event as people and `--json` read it (docs/run.md, "What the user sees").
@Suite struct RunEventTests {
    static let cases: [(event: RunEvent, text: String, json: String)] = [
        (
            .runStarted(namespace: "hello", jobs: 6, hosts: 1, slots: 2, done: 0, adopted: 0),
            "running 6 jobs on 1 host (2 slots), namespace hello",
            #"{"event":"run-started","elapsed_ms":1500,"namespace":"hello","jobs":6,"done":0,"adopted":0}"#
        ),
        (
            .runStarted(namespace: "one", jobs: 1, hosts: 1, slots: 1, done: 0, adopted: 0),
            "running 1 job on 1 host (1 slot), namespace one",
            #"{"event":"run-started","elapsed_ms":1500,"namespace":"one","jobs":1,"done":0,"adopted":0}"#
        ),
        (
            .runStarted(namespace: "ns", jobs: 10, hosts: 3, slots: 12, done: 4, adopted: 2),
            "running 10 jobs on 3 hosts (12 slots), namespace ns; 4 done already; 2 running elsewhere, waited for",
            #"{"event":"run-started","elapsed_ms":1500,"namespace":"ns","jobs":10,"done":4,"adopted":2}"#
        ),
        (
            .graphChanged(kind: "changed command", jobs: ["a"]),
            "the graph differs from the one in redis: changed command (1): a",
            #"{"event":"graph-changed","elapsed_ms":1500,"change":"changed command","jobs":["a"]}"#
        ),
        (
            .graphChanged(kind: "no longer up to date", jobs: (1...22).map { "j\($0)" }),
            "the graph differs from the one in redis: no longer up to date (22): "
                + (1...20).map { "j\($0)" }.joined(separator: ", ") + ", and 2 more",
            #"{"event":"graph-changed","elapsed_ms":1500,"change":"no longer up to date","jobs":["#
                + (1...22).map { "\"j\($0)\"" }.joined(separator: ",") + "]}"
        ),
        (
            .runCancelling(lines: 1), "stopping: no more jobs start; stopping 1 running line (again to kill them)",
            #"{"event":"run-cancelling","elapsed_ms":1500}"#
        ),
        (
            .planTooLarge(limit: 64 << 20),
            "the plan is larger than redis keeps (64 MiB); compare with it through `clustmake plan -o DIR` and "
                + "`clustmake stats --plan DIR`",
            #"{"event":"plan-not-kept","elapsed_ms":1500}"#
        ),
        (
            .planNotKept(error: "redis is gone"), "the plan was not kept in redis: redis is gone",
            #"{"event":"plan-not-kept","elapsed_ms":1500}"#
        ),
        (
            .runCancelling(lines: 3), "stopping: no more jobs start; stopping 3 running lines (again to kill them)",
            #"{"event":"run-cancelling","elapsed_ms":1500}"#
        ),
        (
            .runLeaseTakenOver(host: "node9", pid: 77, expiredFor: 12.04),
            "took over the namespace's lease in redis from an earlier run (pid 77 on node9), which expired 12.0 s ago",
            #"{"event":"run-lease-taken-over","elapsed_ms":1500,"host":"node9","pid":77}"#
        ),
        (
            .runLeaseTakenOver(host: "here", pid: 5, expiredFor: nil),
            "took over the namespace's lease in redis from an earlier run (pid 5 on here), which no longer runs on "
                + "this machine",
            #"{"event":"run-lease-taken-over","elapsed_ms":1500,"host":"here","pid":5}"#
        ),
        (
            .runLeaseLost(host: "node9", pid: 77),
            "another run (pid 77 on node9) holds the namespace's lease in redis now; this run stops",
            #"{"event":"run-lease-lost","elapsed_ms":1500,"host":"node9","pid":77}"#
        ),
        (
            .lineStarted(jobs: ["a", "b", "c", "d"], host: "node1", slot: 2), "started a and 3 more on node1 slot 2",
            #"{"event":"line-started","elapsed_ms":1500,"jobs":["a","b","c","d"],"host":"node1","slot":2}"#
        ),
        (
            .lineStarted(jobs: ["e"], host: "node1", slot: 2, ahead: true), "started e on node1 slot 2 (sent ahead)",
            #"{"event":"line-started","elapsed_ms":1500,"jobs":["e"],"host":"node1","slot":2,"ahead":true}"#
        ),
        (
            .jobsDone(jobs: ["a", "b"], host: "node1"), "done a b on node1",
            #"{"event":"jobs-done","elapsed_ms":1500,"jobs":["a","b"],"host":"node1"}"#
        ),
        (
            .doneElsewhere(job: "a", host: ""), "done a (under an earlier worker)",
            #"{"event":"jobs-done","elapsed_ms":1500,"jobs":["a"],"host":""}"#
        ),
        (
            .jobFailed(job: "a", host: "node1", reason: "exited with status 3", retrying: true),
            "a failed on node1: exited with status 3 (trying again)",
            #"{"event":"job-failed","elapsed_ms":1500,"job":"a","host":"node1","reason":"exited with status 3"}"#
        ),
        (
            .jobFailed(job: "a", host: "node1", reason: "timed out", retrying: false), "a failed on node1: timed out",
            #"{"event":"job-failed","elapsed_ms":1500,"job":"a","host":"node1","reason":"timed out"}"#
        ),
        (
            .jobGivenUp(job: "a", reason: "lost 3 hosts"), "a failed: lost 3 hosts",
            #"{"event":"job-failed","elapsed_ms":1500,"job":"a","reason":"lost 3 hosts"}"#
        ),
        (
            .jobRequeued(job: "a", host: "h2", reason: "ssh exited 255"),
            "a lost its host h2 (ssh exited 255); running it elsewhere",
            #"{"event":"job-requeued","elapsed_ms":1500,"job":"a","host":"h2","reason":"ssh exited 255"}"#
        ),
        (
            .jobInterrupted(job: "a", host: "h2"), "a interrupted on h2",
            #"{"event":"job-interrupted","elapsed_ms":1500,"job":"a","host":"h2"}"#
        ),
        (
            .jobElsewhere(job: "a"), "a is running under another worker; waiting for it",
            #"{"event":"job-elsewhere","elapsed_ms":1500,"job":"a"}"#
        ),
        (
            .jobsBlocked(jobs: ["b", "c", "d", "e", "f", "g"], dependency: "a", recorded: 6),
            "6 jobs blocked by a: b, c, d, e, f, …",
            #"{"event":"jobs-blocked","elapsed_ms":1500,"jobs":["b","c","d","e","f","g"],"dependency":"a","#
                + #""recorded":6}"#
        ),
        (
            .jobsBlocked(jobs: ["b"], dependency: "a", recorded: 0), "1 job blocked by a: b",
            #"{"event":"jobs-blocked","elapsed_ms":1500,"jobs":["b"],"dependency":"a","recorded":0}"#
        ),
        (
            .hostConnected(host: "node1", masters: 1), "connected to node1 (1 ssh master)",
            #"{"event":"host-connected","elapsed_ms":1500,"host":"node1"}"#
        ),
        (
            .hostConnected(host: "big", masters: 3), "connected to big (3 ssh masters)",
            #"{"event":"host-connected","elapsed_ms":1500,"host":"big"}"#
        ),
        (
            .hostQuarantined(host: "h2", reason: "ssh exited 255", probeIn: 1.04),
            "host h2 failed (ssh exited 255); probing it again in 1.0 s",
            #"{"event":"host-quarantined","elapsed_ms":1500,"host":"h2","reason":"ssh exited 255"}"#
        ),
        (
            .hostQuarantined(host: "h2", reason: "x", probeIn: -0.5), "host h2 failed (x); probing it again in 0.0 s",
            #"{"event":"host-quarantined","elapsed_ms":1500,"host":"h2","reason":"x"}"#
        ),
        (
            .hostRestored(host: "h2"), "host h2 answers again",
            #"{"event":"host-restored","elapsed_ms":1500,"host":"h2"}"#
        ),
        (
            .runFinished(
                exit: 1, counts: Scheduler.Counts(done: 4, failed: 1, blocked: 1), total: 6, wallTime: 5.0004),
            "run over",
            #"{"event":"run-finished","elapsed_ms":1500,"exit":1,"done":4,"failed":1,"blocked":1,"interrupted":0,"#
                + #""total":6,"wall_time_ms":5000}"#
        ),
    ]

    @Test("each event reads as a plain line", arguments: cases.indices)
    func text(index: Int) {
        let (event, text, _) = Self.cases[index]
        #expect(RunOutput.line(event, elapsed: 1.5) == "clustmake: [0:02] \(text)\n")
    }

    @Test("each event is one JSON object named after it", arguments: cases.indices)
    func json(index: Int) {
        let (event, _, json) = Self.cases[index]
        #expect(RunOutput.json(event, elapsed: 1.5) == json + "\n")
    }

    @Test("the elapsed time reads m:ss, or h:mm:ss past an hour")
    func clock() {
        #expect(Format.clock(0) == "0:00")
        #expect(Format.clock(65.4) == "1:05")
        #expect(Format.clock(3600 + 65) == "1:01:05")
        #expect(Format.clock(-3) == "0:00")
    }
}

@Suite struct ProgressLineTests {
    @Test("the progress line counts jobs, shows each host's busy slots and marks hosts still connecting")
    func progressLine() throws {
        let graph = try JobGraph(jobs: [
            Job(id: "a", command: .shell("true")), Job(id: "b", command: .shell("true")),
            Job(id: "c", command: .shell("true"), deps: ["a", "b"]),
        ])
        let plan = Planner().plan(
            graph, on: Cluster(hosts: [Host(name: "h1", processors: 2), Host(name: "h2", processors: 1)]))
        var scheduler = Scheduler(
            plan: plan, initial: [.pending, .done, .pending], groups: [10, 10, 10], connecting: [1],
            configuration: Scheduler.Configuration())
        #expect(
            RunOutput.progressLine(scheduler, elapsed: 0, eta: nil) == "1/3 done, 0 running | h1 0/2 h2~ 0/1 | 0:00")
        _ = scheduler.start(now: 0)
        #expect(
            RunOutput.progressLine(scheduler, elapsed: 62, eta: 3661)
                == "1/3 done, 1 running | h1 1/2 h2~ 0/1 | 1:02, ETA 1:01:01")
        // Jobs of look-ahead lines are counted apart: they wait behind their slot's line.
        let short = try JobGraph(jobs: (0..<5).map { Job(id: "j\($0)", command: .shell("true"), cost: 0.01) })
        var ahead = Scheduler(
            plan: Planner().plan(short, on: Cluster(hosts: [Host(name: "h1", processors: 2)])),
            configuration: Scheduler.Configuration(lookAhead: 0.1))
        _ = ahead.start(now: 0)
        #expect(ahead.queuedJobCount == 2)
        #expect(
            RunOutput.progressLine(ahead, elapsed: 1, eta: nil) == "0/5 done, 2 running, 2 sent ahead | h1 2/2 | 0:01")
    }
}
