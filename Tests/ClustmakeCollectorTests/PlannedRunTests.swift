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
        let plan = try PlannedRun(json: try JSONValue.parse(Self.plan), file: "plan/plan.json")
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
        #expect(throws: InputError.self) { try PlannedRun(json: try JSONValue.parse(other), file: "p.json") }
        do {
            _ = try PlannedRun(json: try JSONValue.parse(#"{"format":"clustmake-plan/1"}"#), file: "p.json")
            Issue.record("expected an error")
        } catch let error as InputError {
            #expect(error.file == "p.json")
            #expect(error.message.contains("namespace"))
        }
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
