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
        #expect(split.command == .shell("split -n 2"))
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

    /// The WfFormat 1.6 example instance (1.5's shape with optional `metrics`; fractional cores).
    let version16 = """
        {"name": "two", "schemaVersion": "1.6", "workflow": {
          "specification": {"tasks": [
            {"name": "split", "id": "ID0000001", "parents": [], "children": ["ID0000002"],
             "inputFiles": ["input.txt"], "outputFiles": ["chunk.txt"]},
            {"name": "analyze", "id": "ID0000002", "parents": ["ID0000001"], "children": [],
             "inputFiles": ["chunk.txt"], "outputFiles": ["result.txt"]}
          ], "files": [{"id": "input.txt", "sizeInBytes": 1024}],
          "metrics": {"numberOfTasks": 2, "numberOfLevels": 2}},
          "execution": {"makespanInSeconds": 14.2, "executedAt": "2026-08-04T15:20:00-08:00", "tasks": [
            {"id": "ID0000001", "runtimeInSeconds": 4.2, "coreCount": 1.5, "memoryInBytes": 4194304,
             "command": {"program": "split", "arguments": ["-n", "2", "input.txt"]}},
            {"id": "ID0000002", "runtimeInSeconds": 10.0, "coreCount": 4,
             "command": {"program": "wfbench", "arguments": ["analyze", "--percent-cpu 0.6", "--cpu-work 100",
               "--out '{\\"result.txt\\": 128}'", "2>", "analyze.err"]}}
          ], "metrics": {"sumTaskRuntimesInSeconds": 14.2}}
        }}
        """

    @Test("WfFormat 1.6 loads: parents by id, fractional cores rounded up, memory in bytes")
    func version16Loads() throws {
        let bytes = Array(version16.utf8)
        let (graph, format) = try JobGraphLoader().load(bytes: bytes, file: "two.json")
        #expect(format == .wfcommons)
        #expect(graph.count == 2 && graph.jobs[1].deps == ["ID0000001"])
        #expect(graph.jobs[0].cores == 2 && graph.jobs[0].memory == 4_194_304 && graph.jobs[0].cost == 4.2)
        #expect(graph.jobs[0].tags == ["split"])
        #expect(graph.jobs[1].cores == 4 && graph.jobs[1].memory == nil)
    }

    @Test("program and arguments become one shell line joined by spaces, quotes and redirections intact")
    func commandLine() throws {
        let (graph, _) = try JobGraphLoader().load(bytes: Array(version16.utf8), file: "two.json")
        #expect(graph.jobs[0].command == .shell("split -n 2 input.txt"))
        #expect(
            graph.jobs[1].command
                == .shell(
                    "wfbench analyze --percent-cpu 0.6 --cpu-work 100 --out '{\"result.txt\": 128}' 2> analyze.err"))
    }

    @Test("a WfFormat 1.6 instance with only a specification runs as sleeps")
    func specificationOnly() throws {
        let text = """
            {"schemaVersion": "1.6", "workflow": {"specification": {"tasks": [
              {"name": "a", "id": "a", "parents": [], "children": []}]}}}
            """
        let (graph, _) = try JobGraphLoader(timeScale: 1).load(bytes: Array(text.utf8), file: "spec.json")
        #expect(graph.jobs[0].command == .argv(["sleep", "0"]))
    }

    /// A WfFormat 1.4 instance (`workflow.tasks`, parents by name).
    func version14(declared: String = "1.4", parents: String = "split_ID01", secondName: String = "work_ID02")
        -> String
    {
        """
        {"name": "old", "schemaVersion": "\(declared)", "workflow": {"makespanInSeconds": 3, "tasks": [
          {"name": "split_ID01", "id": "ID01", "category": "split", "type": "compute", "parents": [],
           "runtimeInSeconds": 1, "cores": 2, "memoryInBytes": 2048,
           "command": {"program": "split", "arguments": ["in.txt"]}},
          {"name": "\(secondName)", "id": "ID02", "category": "work", "type": "compute", "parents": ["\(parents)"],
           "runtime": 2, "memory": 3, "command": {"program": "work", "arguments": ["in.txt.0"]}}
        ]}}
        """
    }

    @Test("WfFormat 1.3-1.4: parents name tasks by name; memory in KB counts 1000 bytes")
    func version14Loads() throws {
        let (graph, source) = try loadDescribed(version14())
        #expect(source == "WfCommons instance, WfFormat 1.4 (workflow.tasks, parents by name)")
        #expect(graph.jobs.map(\.id) == ["split_ID01", "work_ID02"])
        #expect(graph.jobs[1].deps == ["split_ID01"] && graph.jobs[1].cost == 2 && graph.jobs[1].memory == 3000)
        #expect(graph.jobs[0].cores == 2 && graph.jobs[0].memory == 2048 && graph.jobs[0].tags == ["split"])
    }

    @Test("a declared version that disagrees with the shape: the shape wins and the description says so")
    func shapeWins() throws {
        let (graph, source) = try loadDescribed(version14(declared: "1.5"))
        #expect(graph.count == 2)
        #expect(
            source
                == "WfCommons instance declaring WfFormat 1.5, but shaped as WfFormat 1.3–1.4: read as 1.3–1.4 "
                + "(workflow.tasks, parents by name)")
        let (_, unknown) = try loadDescribed(version14(declared: "2.0"))
        #expect(unknown.contains("declaring WfFormat 2.0, not a published version"))
    }

    @Test("a parent written as a task id names nothing in 1.4: exit 2 with the name to write instead")
    func parentByID() {
        do {
            _ = try loadDescribed(version14(parents: "ID01"))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unknownDependency && error.file == "old.json")
            #expect(error.subject == "task 'work_ID02'")
            #expect(error.message == "its parent 'ID01' is not the name of any task in this instance.")
            #expect(error.fix?.contains("write 'split_ID01'") == true)
        }
    }

    @Test("two tasks with one name: exit 2 naming both")
    func duplicateNames() {
        do {
            _ = try loadDescribed(version14(secondName: "split_ID01"))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .duplicateID && error.subject == "task 'split_ID01'")
            #expect(error.message == "task #1 and task #2 have the same name.")
        }
    }

    @Test("a 1.5 parent that names no task: exit 2")
    func unknownParent15() {
        let text = instance.replacingOccurrences(of: "\"parents\": [\"split_1\"]", with: "\"parents\": [\"spilt_1\"]")
        do {
            _ = try JobGraphLoader().load(bytes: Array(text.utf8), file: "wf.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unknownDependency && error.subject == "task 'work_2'")
            #expect(error.message == "its parent 'spilt_1' is not the id of any task in this instance.")
        }
    }

    @Test("WfFormat 1.0: workflow.jobs, the command is the category (from the name) and the task's arguments")
    func version10() throws {
        let text = """
            {"schemaVersion": "1.0", "workflow": {"makespan": 2, "executedAt": "x", "jobs": [
              {"name": "individuals_ID0000002", "type": "compute", "runtime": 1, "parents": [],
               "arguments": ["ALL.chr1.vcf", "1", "1001"]},
              {"name": "b", "type": "compute", "runtime": 1, "parents": ["individuals_ID0000002"],
               "arguments": ["./b", ">", "out"]}
            ]}}
            """
        let (graph, source) = try loadDescribed(text)
        #expect(source == "WfCommons instance, WfFormat 1.0 (workflow.jobs, parents by name)")
        #expect(graph.jobs[0].command == .shell("individuals ALL.chr1.vcf 1 1001"))
        #expect(graph.jobs[1].command == .shell("b ./b > out"))
        #expect(graph.jobs[1].deps == ["individuals_ID0000002"])
        #expect(graph.jobs[0].tags == ["individuals"] && graph.jobs[1].tags == ["b"])
    }

    @Test("files are kept as each version declares them; entries without a usable name or size are passed over")
    func files() throws {
        let old = """
            {"schemaVersion": "1.3", "workflow": {"tasks": [
              {"name": "a", "parents": [], "command": {"program": "a"}, "files": [
                {"link": "INPUT", "name": "in.txt", "path": "/data/", "size": 12},
                {"link": "output", "name": "out.txt", "size": -4},
                {"link": "output", "name": "big.txt", "size": 1e300},
                {"link": "input", "size": 3},
                {"link": "input", "name": "", "size": 3},
                "not a file"
              ]},
              {"name": "b", "parents": ["a"], "command": {"program": "b"}, "files": {"name": "x"}}
            ]}}
            """
        let graph = try JobGraphLoader().load(bytes: Array(old.utf8), file: "old.json").graph
        #expect(
            graph.jobs[0].files == [
                JobFile(name: "/data/in.txt", link: .input, size: 12), JobFile(name: "out.txt", link: .output),
                JobFile(name: "big.txt", link: .output),
            ])
        #expect(graph.jobs[1].files.isEmpty)
        #expect(graph.jobs[0].files.summary == "3 files (1 input, 2 outputs; 12 B)")

        let new = """
            {"schemaVersion": "1.5", "workflow": {
              "specification": {"files": [{"id": "in.txt", "sizeInBytes": 2048}, {"id": "nameless"}],
                "tasks": [{"name": "a", "id": "a", "parents": [], "inputFiles": ["in.txt", 7, "unlisted"],
                  "outputFiles": ["nameless"]}]},
              "execution": {"tasks": [{"id": "a", "runtimeInSeconds": 1, "command": {"program": "a"}}]}}}
            """
        let job = try JobGraphLoader().load(bytes: Array(new.utf8), file: "new.json").graph.jobs[0]
        #expect(
            job.files == [
                JobFile(name: "in.txt", link: .input, size: 2048), JobFile(name: "unlisted", link: .input),
                JobFile(name: "nameless", link: .output),
            ])
        #expect(job.files.summary == "3 files (2 inputs, 1 output; 2.0 KiB)")
    }

    @Test("YAML instances are read the same way")
    func yamlInstance() throws {
        let text = """
            schemaVersion: 1.4
            workflow:
              tasks:
                - {name: a, parents: [], runtimeInSeconds: 1, command: {program: echo, arguments: ["hi > x"]}}
                - {name: b, parents: [a], runtimeInSeconds: 1, command: {program: cat, arguments: [x]}}
            """
        let (graph, format) = try JobGraphLoader().load(bytes: Array(text.utf8), file: "old.yaml")
        #expect(format == .wfcommons)
        #expect(graph.jobs[0].command == .shell("echo hi > x") && graph.jobs[1].deps == ["a"])
    }

    private func loadDescribed(_ text: String) throws(InputError) -> (JobGraph, String) {
        let directory = FileManager.default.temporaryDirectory.path
        let path = "\(directory)/old-\(UInt32.random(in: 0...UInt32.max)).json"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            return try JobGraphLoader().loadDescribed(path: path)
        } catch {
            var error = error
            if error.file == path { error.file = "old.json" }
            throw error
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
