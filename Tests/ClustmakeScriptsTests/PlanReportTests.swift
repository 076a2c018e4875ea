import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Testing

@Suite struct PlanReportTests {
    /// A chain of `count` jobs on one host with two slots (the second slot stays idle).
    private func chain(_ count: Int) throws -> Plan {
        let jobs = (0..<count).map {
            Job(id: "step-\($0)", command: .shell("true"), deps: $0 > 0 ? ["step-\($0 - 1)"] : [], cost: 2)
        }
        return Plans.greedy(
            try JobGraph(namespace: "c", jobs: jobs), on: Cluster(hosts: [Host(name: "solo", processors: 2)]))
    }

    @Test("the summary gives per-host jobs, busy time and utilisation, and makespan against the bound")
    func summary() throws {
        let text = PlanSummary(plan: try chain(3)).text
        #expect(text.contains("makespan:    6.0 s\n"))
        #expect(text.contains("lower bound: 6.0 s\n"))
        #expect(text.contains("ratio:       1.00"))
        #expect(text.hasPrefix("clustmake plan: 3 jobs on 1 host (2 slots)\nnamespace: c\n"))
        #expect(text.contains("\nsolo      2         3                 6.0 s        50.0%\n"))
        #expect(text.contains("critical path: 3 jobs, 6.0 s of work"))
    }

    @Test("a long critical path is shown as its first and last ids around a count")
    func longPath() throws {
        let text = PlanSummary(plan: try chain(50)).text
        let lines = text.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("critical path: 50 jobs, 100.0 s (1m40s)") })
        #expect(Array(lines[(start + 1)...]).count == 21)
        #expect(lines[start + 1] == "  step-0")
        #expect(lines[start + 11] == "  … 30 more …")
        #expect(lines.last == "  step-49")
    }

    @Test("the --print table elides the middle of long slots and counts what it left out")
    func table() throws {
        let text = PlanTable(plan: try chain(100), maximumRowsPerSlot: 10).text
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "host solo: 2 slots, 100 jobs")
        #expect(lines.filter { $0.contains("step-") }.count == 9)
        #expect(lines.contains { $0.contains("… 91 more jobs …") })
        #expect(lines.contains("     0       99  step-99      3m18s      3m20s"))
        #expect(lines.contains("     0        …  … 91 more jobs …"))
        #expect(lines.last == "makespan 200.0 s (3m20s), lower bound 200.0 s (3m20s), ratio 1.00")
        let small = PlanTable(plan: try chain(4)).text
        #expect(small.split(separator: "\n").filter { $0.contains("step-") }.count == 4)
    }
}
