import ClustmakeCollector
import ClustmakeJSON
import ClustmakeModel
import ClustmakeStore
import Testing

@Suite struct ListingTests {
    func text(_ format: AttemptListing.OutputFormat, raw: Bool = false, _ history: RunHistory = Histories.diamond())
        -> String
    {
        var bytes: [UInt8] = []
        AttemptListing(history).write(format, raw: raw) { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test("joblog: GNU parallel's header and columns; Seq is the job's place in the graph, from 1")
    func joblog() {
        let lines = text(.joblog).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand")
        #expect(lines[1] == "1\th1\t1000000.000\t     2.000\t0\t12\t0\t0\trun a")
        // e's lost attempt: never "0 0", so --resume-failed runs it again.
        #expect(lines.contains("5\th2\t1000000.000\t     1.500\t0\t12\t-1\t0\trun e"))
        #expect(lines.contains("2\th1\t1000002.500\t     3.000\t0\t12\t3\t0\trun b"))
        #expect(lines.count == 1 + 6 + 1)
    }

    @Test(
        "joblog Exitval and Signal as parallel records them",
        arguments: [
            (AttemptState.succeeded, 0 as Int?, nil as Int?, false, true, 0, 0),
            (.failed, 3, nil, false, true, 3, 0),
            (.failed, nil, 9, false, true, 0, 9),
            (.failed, nil, 15, true, true, -1, 15),
            (.lost, nil, nil, false, true, -1, 0),
            (.succeeded, 0, nil, false, false, 0, 0),  // its command succeeded, though it did not count
            (.interrupted, 0, nil, false, true, -1, 0),
        ])
    func joblogExit(
        outcome: AttemptState, exit: Int?, signal: Int?, timedOut: Bool, counted: Bool, exitval: Int, signalval: Int
    ) {
        let attempt = Attempt(
            job: 0, number: 1, outcome: outcome, counted: counted, host: "h", start: 0, ended: 1, exitStatus: exit,
            signal: signal, timedOut: timedOut)
        let (value, signalValue) = AttemptListing.joblogExit(attempt)
        #expect(value == exitval)
        #expect(signalValue == signalval)
    }

    @Test("running attempts are left out of the joblog (parallel would take them as done)")
    func joblogRunning() {
        let history = RunHistory(
            namespace: "r", now: Histories.t0 + 10, jobs: [Histories.job("a", state: .inProgress)],
            attempts: [Histories.attempt(0, 1, on: "h", from: 1, to: nil, .running)])
        #expect(text(.joblog, history).split(separator: "\n").count == 1)
        #expect(text(.trace, history).contains("\tRUNNING\t-\t"))
    }

    @Test("trace: Nextflow's columns, statuses and human-readable values; --raw gives milliseconds and bytes")
    func trace() {
        let lines = text(.trace).split(separator: "\n")
        #expect(
            lines[0]
                == "task_id\tname\tstatus\texit\tsubmit\tstart\tcomplete\tduration\trealtime\t%cpu\tpeak_rss\thostname")
        #expect(
            lines[1]
                == "1\ta\tCOMPLETED\t0\t1970-01-12 13:46:40.000\t1970-01-12 13:46:40.000\t1970-01-12 13:46:42.000\t2s\t2s\t75.0%\t100 B\th1"
        )
        #expect(lines.contains { $0.hasPrefix("2\te\tABORTED\t-\t") })
        #expect(lines.contains { $0.hasPrefix("4\tb\tFAILED\t3\t") })
        let raw = text(.trace, raw: true).split(separator: "\n")
        #expect(raw[1] == "1\ta\tCOMPLETED\t0\t1000000000\t1000000000\t1000002000\t2000\t2000\t75.0\t100\th1")
    }

    @Test("trace durations and sizes in Nextflow's forms")
    func traceForms() {
        let history = RunHistory(
            namespace: "f", now: Histories.t0 + 10_000, jobs: (0..<4).map { Histories.job("j\($0)") },
            attempts: [
                Histories.attempt(0, 1, on: "h", from: 0, to: 0.85, rss: 0),
                Histories.attempt(1, 1, on: "h", from: 0, to: 4.25, rss: 4_194_304),
                Histories.attempt(2, 1, on: "h", from: 0, to: 63, rss: 3_758_096_384),
                Histories.attempt(3, 1, on: "h", from: 0, to: 90_061, rss: 1536),
            ])
        let lines = text(.trace, history).split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines[1][8] == "850ms")
        #expect(lines[1][10] == "0")
        #expect(lines[2][8] == "4.3s")
        #expect(lines[2][10] == "4 MB")
        #expect(lines[3][8] == "1m 3s")
        #expect(lines[3][10] == "3.5 GB")
        #expect(lines[4][8] == "1d 1h 1m 1s")
        #expect(lines[4][10] == "1.5 KB")
    }

    @Test("TSV: a header, one line per attempt, cells without tabs or newlines")
    func tsv() {
        let history = RunHistory(
            namespace: "t", now: Histories.t0 + 10, jobs: [Histories.job("a", state: .failed)],
            attempts: [Histories.attempt(0, 1, on: "h", from: 0, to: 1, .failed, exit: 2, reason: "bad\tthing\nhere")])
        let lines = text(.tsv, history).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].split(separator: "\t").count == AttemptListing.tsvColumns.count)
        #expect(
            lines[1].split(separator: "\t", omittingEmptySubsequences: false).count == AttemptListing.tsvColumns.count)
        #expect(lines[1].hasSuffix("\tbad thing here"))
    }

    @Test("JSON: one object per attempt, in start order")
    func json() throws {
        let document = try JSONValue.parse(text(.json))
        #expect(document["format"]?.stringValue == "clustmake-results/1")
        let attempts = try #require(document["attempts"]?.arrayValue)
        #expect(attempts.count == 6)
        #expect(attempts.map { $0["job"]?.stringValue ?? "" } == ["a", "e", "c", "b", "b", "d"])
        #expect(attempts[3]["exit_status"]?.intValue == 3)
        #expect(attempts[3]["queue_delay"]?.doubleValue == 0.5)
        #expect(attempts[1]["state"]?.stringValue == "lost")
    }
}
