import ClustmakeJSON
import ClustmakeModel
import Foundation
import Testing

@testable import ClustmakeCollector

@Suite struct PlannedRunTests {
    static let plan = """
        {"format":"clustmake-plan/1","namespace":"hello","graph_hash":"x","cluster_hash":"y","redis":"localhost:6379",
         "more":false,"wait":86400,
         "hosts":[{"name":"n1","address":"n1","username":null,"slots":2,"speed":1.5,"local":false,"worker":"compmake",
                   "nice":10,"tunnel_port_base":13000,"script":"hosts/n1.sh"}],
         "jobs":[{"id":"a","host":"n1","slot":0,"order":0,"cost":1.5,"est_start":0.0,"est_end":1.0,"deps":[]},
                 {"id":"b","host":"n1","slot":1,"order":0,"cost":3,"est_start":1.0,"est_end":3.0,"deps":["a"]}],
         "makespan":3.0,"lower_bound":2.5,"critical_path":["a","b"]}
        """

    @Test("reads the hosts, jobs, makespan, lower bound and critical path of plan.json")
    func read() throws {
        let plan = try PlannedRun(document: Array(Self.plan.utf8), file: "plan/plan.json")
        #expect(plan.namespace == "hello")
        #expect(plan.hosts == [PlannedRun.Host(name: "n1", slots: 2, speed: 1.5)])
        #expect(plan.jobs.map(\.id) == ["a", "b"])
        #expect(plan.jobs[1].slot == 1)
        #expect(plan.jobs[1].end == 3)
        #expect(plan.makespan == 3)
        #expect(plan.lowerBound == 2.5)
        #expect(plan.criticalPath == ["a", "b"])
    }

    @Test("another format, or a document that is not a plan, is bad input naming the file")
    func bad() throws {
        let other = Self.plan.replacingFirst("clustmake-plan/1", with: "clustmake-plan/9")
        #expect(throws: InputError.self) { try PlannedRun(document: Array(other.utf8), file: "p.json") }
        #expect(Self.failure(#"{"format":"clustmake-plan/1"}"#).message.contains("namespace"))
        #expect(Self.failure(#"{"format":"clustmake-plan/1"}"#).file == "p.json")
    }

    @Test("a job entry that is wrong is named by its position, after the format is known to be this one")
    func badJob() {
        let wrongSlot = Self.plan.replacingFirst(#""slot":1"#, with: #""slot":"one""#)
        #expect(Self.failure(wrongSlot).message.contains("jobs[1].slot is not a number"))
        let noID = Self.plan.replacingFirst(#"{"id":"a","#, with: "{")
        #expect(Self.failure(noID).message.contains("jobs[0].id is not a string"))
        // Another format wins over what its jobs hold: its jobs need not be this format's.
        let other = wrongSlot.replacingFirst("clustmake-plan/1", with: "clustmake-plan/9")
        #expect(Self.failure(other).code == .unknownFormat)
        // "jobs" missing, or not a list, is said as such.
        let noJobs = Self.plan.replacingFirst(#""jobs":["#, with: #""tasks":["#)
        #expect(Self.failure(noJobs).message.contains(#""jobs" or "critical_path" is not a list"#))
        let jobsObject = Self.plan.replacingFirst(#""jobs":[{"id":"a""#, with: #""jobs":{"x":[{"id":"a""#)
            .replacingFirst(#""deps":["a"]}],"#, with: #""deps":["a"]}]},"#)
        #expect(Self.failure(jobsObject).message.contains("is not a list"))
    }

    @Test("text that is not JSON is unreadable, with the line where it breaks")
    func notJSON() {
        let cut = String(Self.plan.prefix(Self.plan.count - 40))
        let error = Self.failure(cut)
        #expect(error.code == .unreadable)
        #expect(error.message.hasPrefix("the plan is not valid JSON: "))
        #expect(error.line != nil)
    }

    /// The error reading `text` as p.json.
    static func failure(_ text: String) -> InputError {
        do {
            _ = try PlannedRun(document: Array(text.utf8), file: "p.json")
        } catch {
            return error
        }
        Issue.record("expected an error reading \(text)")
        return InputError(.invalidValue, "none")
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
