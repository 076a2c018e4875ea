import ClustmakeInput
import ClustmakeModel
import Foundation
import Testing

@Suite struct WfCommonsTests {
    let instance = """
        {"name": "tiny", "schemaVersion": "1.5", "workflow": {
          "specification": {"tasks": [
            {"name": "split", "id": "split_1", "parents": [], "children": ["work_2", "work_3"]},
            {"name": "work", "id": "work_2", "parents": ["split_1"], "children": ["merge_4"]},
            {"name": "work", "id": "work_3", "parents": ["split_1"], "children": ["merge_4"]},
            {"name": "merge", "id": "merge_4", "parents": ["work_2", "work_3"], "children": []}
          ]},
          "execution": {"makespanInSeconds": 10, "tasks": [
            {"id": "split_1", "runtimeInSeconds": 1.5, "coreCount": 1, "command": {"program": "split", "arguments": ["-n", "2"]}},
            {"id": "work_2", "runtimeInSeconds": 4, "coreCount": 2, "command": {"program": "work"}},
            {"id": "work_3", "runtimeInSeconds": 3.25, "command": {"program": "work"}},
            {"id": "merge_4", "runtimeInSeconds": 0.5, "command": {"program": "merge"}}
          ]}
        }}
        """

    @Test("a WfCommons instance is detected and its tasks become jobs")
    func loads() throws {
        let (graph, format) = try JobGraphLoader().load(bytes: Array(instance.utf8), file: "wf.json")
        #expect(format == .wfcommons)
        #expect(graph.count == 4)
        let split = graph.jobs[0]
        #expect(split.command == .argv(["split", "-n", "2"]))
        #expect(split.cost == 1.5)
        #expect(split.tags == ["split"])
        #expect(graph.jobs[1].cores == 2)
        #expect(graph.jobs[3].deps == ["work_2", "work_3"])
    }

    @Test("a time scale turns commands into sleeps of the scaled runtime")
    func timeScale() throws {
        let (graph, _) = try JobGraphLoader(timeScale: 0.1).load(bytes: Array(instance.utf8), file: "wf.json")
        #expect(graph.jobs[0].command == .argv(["sleep", "0.15"]))
        #expect(graph.jobs[2].command == .argv(["sleep", "0.325"]))
        #expect(graph.jobs[0].cost == 0.15000000000000002 || abs(graph.jobs[0].cost - 0.15) < 1e-12)
    }

    @Test("a task without a command asks for --time-scale")
    func noCommand() {
        let text = instance.replacingOccurrences(of: ", \"command\": {\"program\": \"merge\"}", with: "")
        do {
            _ = try JobGraphLoader().load(bytes: Array(text.utf8), file: "wf.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.subject == "task 'merge_4'")
            #expect(error.description.contains("--time-scale"))
        }
    }

    @Test("--time-scale on a native graph is refused")
    func timeScaleOnNative() {
        #expect(throws: InputError.self) {
            try JobGraphLoader(timeScale: 1).load(
                bytes: Array("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\"}]}".utf8), file: "j.json")
        }
    }

    @Test("every shared workflow instance loads as a valid graph")
    func sharedInstances() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let directory = repository.deletingLastPathComponent().appendingPathComponent("shared/data/workflows").path
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }
        #expect(!files.isEmpty)
        for file in files {
            let graph = try JobGraphLoader(timeScale: 0.001).load(path: directory + "/" + file)
            #expect(graph.count > 900)
        }
    }
}
