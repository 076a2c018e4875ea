import ClustmakeInput
import ClustmakeModel
import Testing

@Suite struct JobGraphLoaderTests {
    func load(_ text: String, file: String = "jobs.json", timeScale: Double? = nil) throws(InputError) -> JobGraph {
        try JobGraphLoader(timeScale: timeScale).load(bytes: Array(text.utf8), file: file).graph
    }

    func failure(_ text: String, file: String = "jobs.json") -> InputError? {
        do {
            _ = try load(text, file: file)
            return nil
        } catch {
            return error
        }
    }

    @Test("a native JSON graph with every optional field loads")
    func nativeJSON() throws {
        let graph = try load(
            """
            {"namespace": "proj", "jobs": [
              {"id": "a", "command": "echo hi"},
              {"id": "b", "command": ["python3", "-c", "print(1)"], "deps": ["a"], "cost": 2.5,
               "cwd": "/tmp", "env": {"B": "2", "A": "1"}, "nice": 5, "cores": 4, "memory": "2G",
               "retries": 2, "timeout": "1h30m", "tags": ["py"]}
            ]}
            """)
        #expect(graph.namespace == "proj")
        let b = graph.jobs[1]
        #expect(b.command == .argv(["python3", "-c", "print(1)"]))
        #expect(b.deps == ["a"])
        #expect(b.cost == 2.5)
        #expect(b.cwd == "/tmp")
        #expect(b.env.map(\.name) == ["A", "B"])
        #expect(b.nice == 5)
        #expect(b.cores == 4)
        #expect(b.memory == 2 << 30)
        #expect(b.retries == 2)
        #expect(b.timeout == 5400)
        #expect(b.tags == ["py"])
        #expect(graph.jobs[0].cost == Job.defaultCost)
    }

    @Test("the same graph in YAML loads the same")
    func nativeYAML() throws {
        let graph = try load(
            """
            namespace: proj
            jobs:
              - id: a
                command: echo hi
              - id: b
                command: [python3, -c, "print(1)"]
                deps: [a]
                cost: 2.5
            """, file: "jobs.yaml")
        #expect(graph.jobs.map(\.id) == ["a", "b"])
        #expect(graph.jobs[1].command == .argv(["python3", "-c", "print(1)"]))
        #expect(graph.jobs[0].command == .shell("echo hi"))
    }

    @Test(
        "each kind of bad input gives its own error code",
        arguments: [
            ("{\"jobs\": [", InputError.Code.syntax),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\"},]}", .syntax),
            ("", .syntax),
            ("[]", .wrongType),
            ("{\"jobs\": {}}", .wrongType),
            ("{\"jobz\": []}", .unknownKey),
            ("{}", .missingKey),
            ("{\"jobs\": []}", .emptyGraph),
            ("{\"jobs\": [{\"command\": \"x\"}]}", .missingKey),
            ("{\"jobs\": [{\"id\": \"a\"}]}", .missingKey),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"\"}]}", .invalidValue),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": []}]}", .invalidValue),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": 3}]}", .wrongType),
            ("{\"jobs\": [{\"id\": 1, \"command\": \"x\"}]}", .wrongType),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"comand\": 1}]}", .unknownKey),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"cost\": \"1\"}]}", .wrongType),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"cost\": -1}]}", .invalidValue),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"deps\": \"b\"}]}", .wrongType),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"nice\": 40}]}", .invalidValue),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"cores\": 1.5}]}", .wrongType),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"memory\": 2}]}", .invalidValue),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"timeout\": \"soon\"}]}", .invalidValue),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"env\": {\"1X\": \"y\"}}]}", .invalidValue),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"env\": {\"X\": [1]}}]}", .wrongType),
            ("{\"jobs\": [{\"id\": \"a b\", \"command\": \"x\"}]}", .invalidID),
            ("{\"jobs\": [{\"id\": \"-a\", \"command\": \"x\"}]}", .invalidID),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\"}, {\"id\": \"a\", \"command\": \"y\"}]}", .duplicateID),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"deps\": [\"b\"]}]}", .unknownDependency),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"deps\": [\"a\"]}]}", .cycle),
            ("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\"}], \"jobs\": []}", .syntax),
        ])
    func badInput(text: String, code: InputError.Code) throws {
        let error = try #require(failure(text))
        #expect(error.code == code, "\(error)")
        #expect(error.file == "jobs.json")
        #expect(error.fix != nil, "every message says how to fix: \(error)")
    }

    @Test(
        "NUL and other control characters are refused in every text that reaches a command, a path or an environment",
        arguments: [
            (#"{"id": "a", "command": "x", "cwd": "/data\u0000/x"}"#, "'cwd' holds a NUL byte"),
            (#"{"id": "a", "command": "x", "env": {"X": "a\u0000b"}}"#, "'env 'X'' holds a NUL byte"),
            (#"{"id": "a", "command": ["echo", "a\u0000b"]}"#, "'command' holds a NUL byte"),
            (#"{"id": "a", "command": "echo a\u0000; rm -rf ~"}"#, "'command' holds a NUL byte"),
            (#"{"id": "a", "command": "echo \u001b[31mred"}"#, "'command' holds the control character U+001B"),
            (#"{"id": "a", "command": "x", "cwd": "/data\n/x"}"#, "'cwd' holds the control character U+000A"),
            (#"{"id": "a", "command": "x", "tags": ["t\u0007"]}"#, "'tags' holds the control character U+0007"),
            (#"{"id": "a", "command": "echo \u0085"}"#, "'command' holds the control character U+0085"),
        ])
    func controlCharacters(job: String, expected: String) throws {
        let error = try #require(failure(#"{"jobs": ["# + job + #"]}"#))
        #expect(error.code == .invalidValue, "\(error)")
        #expect(error.description.contains("job 'a': " + expected), "\(error)")
        #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) })
    }

    @Test("tabs and newlines stay allowed in commands and environment values (multi-line scripts)")
    func tabsAndNewlinesInCommands() throws {
        let graph = try load(
            #"{"jobs": [{"id": "a", "command": "set -e\n\techo hi", "env": {"X": "1\n2"}}, "#
                + #"{"id": "b", "command": ["python3", "-c", "import sys\nprint(1)"]}]}"#)
        #expect(graph.jobs[0].command == .shell("set -e\n\techo hi"))
        #expect(graph.jobs[0].env.first?.value == "1\n2")
    }

    @Test("a NUL in YAML is refused at its line and column")
    func controlCharacterInYAML() throws {
        let error = try #require(
            failure("jobs:\n  - id: a\n    command: x\n    cwd: \"/data\\0x\"\n", file: "jobs.yaml"))
        #expect(error.line == 4 && error.column == 10, "\(error)")
        #expect(error.description.contains(#"'cwd' holds a NUL byte at character 6: '/data\0x'"#), "\(error)")
    }

    @Test(
        "numbers beyond the documented limits are refused at load, with the limit",
        arguments: [
            (#""timeout": 1e308"#, "at most 366 days"),
            (#""timeout": "367d""#, "at most 366 days"),
            (#""timeout": 0"#, "positive"),
            (#""memory": "2048T""#, "more than 1 PiB"),
            (#""cost": 1e300"#, "outside 0…1000000000000"),
            (#""retries": 9223372036854775807"#, "outside 0…1000"),
            (#""cores": 100001"#, "outside 1…100000"),
        ])
    func numbersOutOfBounds(field: String, expected: String) throws {
        let error = try #require(failure(#"{"jobs": [{"id": "a", "command": "x", "# + field + "}]}"))
        #expect(error.code == .invalidValue, "\(error)")
        #expect(error.description.contains("job 'a'") && error.description.contains(expected), "\(error)")
    }

    @Test("a JSON syntax error names the line and column")
    func syntaxPosition() throws {
        let error = try #require(failure("{\"jobs\": [\n  {\"id\": \"a\" \"command\": \"x\"}\n]}"))
        #expect(error.code == .syntax)
        #expect(error.line == 2)
        #expect(error.column != nil)
        #expect(error.description.hasPrefix("jobs.json:2:"))
        #expect(error.message.hasPrefix("invalid JSON: expected ',' or '}'"), "\(error.message)")
        let cut = try #require(failure("{\"jobs\": ["))
        #expect(cut.message == "invalid JSON: the input ends where a value should follow", "said once")
    }

    @Test("a YAML error names the line and column of the offending value")
    func yamlPosition() throws {
        let error = try #require(
            failure(
                """
                jobs:
                  - id: a
                    command: echo
                    cost: lots
                """, file: "jobs.yaml"))
        #expect(error.code == .wrongType)
        #expect(error.line == 4)
        #expect(error.column == 11)
        #expect(error.description.hasPrefix("jobs.yaml:4:11: job 'a': 'cost' must be a number"))
    }

    @Test(
        "a YAML graph's semantic errors name the line and column of what they are about",
        arguments: [
            ("jobs:\n  - {id: a, command: x}\n  - {id: 'b c', command: x}\n", InputError.Code.invalidID, 3, 10),
            ("jobs:\n  - {id: a, command: x}\n  - id: a\n    command: y\n", .duplicateID, 3, 9),
            ("jobs:\n  - {id: a, command: x}\n  - {id: b, command: x, deps: [a, b]}\n", .cycle, 3, 35),
            (
                "jobs:\n  - {id: a, command: x}\n  - id: b\n    command: x\n    deps:\n      - a\n      - alignn\n",
                .unknownDependency, 7, 9
            ),
            ("namespace: 'my ns'\njobs:\n  - {id: a, command: x}\n", .invalidID, 1, 12),
            ("jobs:\n  - {id: a, command: x, deps: [b]}\n  - {id: b, command: x, deps: [a]}\n", .cycle, 2, 10),
        ])
    func yamlGraphErrorPlaces(text: String, code: InputError.Code, line: Int, column: Int) throws {
        let error = try #require(failure(text, file: "jobs.yaml"))
        #expect(error.code == code, "\(error)")
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.description.hasPrefix("jobs.yaml:\(line):\(column): "), "\(error)")
    }

    @Test("YAML merge keys work in job graphs: shared settings once, a job's own keys win")
    func yamlMergeKeysInGraphs() throws {
        let graph = try load(
            """
            jobs:
              - &common {id: a, command: "echo a", cores: 4, retries: 2, tags: [x]}
              - {<<: *common, id: b, deps: [a], retries: 0}
              - <<: [{cost: 3, cores: 2}, *common]
                id: c
            """, file: "jobs.yaml")
        #expect(graph.jobs.map(\.id) == ["a", "b", "c"])
        #expect(graph.jobs[1].cores == 4 && graph.jobs[1].retries == 0 && graph.jobs[1].deps == ["a"])
        #expect(graph.jobs[2].cores == 2 && graph.jobs[2].cost == 3 && graph.jobs[2].retries == 2)
        #expect(graph.jobs[2].command == .shell("echo a"))
    }

    @Test("a job error names the job")
    func namesTheJob() throws {
        let error = try #require(failure("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"retries\": -1}]}"))
        #expect(error.description.hasPrefix("jobs.json: job 'a': 'retries' is -1"))
    }

    @Test("an unknown key suggests the right one")
    func didYouMean() throws {
        let error = try #require(failure("{\"jobs\": [{\"id\": \"a\", \"command\": \"x\", \"dpes\": []}]}"))
        #expect(error.description.contains("Did you mean 'deps'?"))
    }

    @Test("a file that is not UTF-8 names the first bad byte")
    func notUTF8() throws {
        var bytes = Array("jobs:\n  - id: a\n    command: caf".utf8)
        bytes.append(0xE9)
        do {
            _ = try JobGraphLoader().load(bytes: bytes, file: "jobs.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .encoding)
            #expect(error.line == 3)
            #expect(error.column == 17)
        }
    }

    @Test("random bytes are refused cleanly")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        for file in ["junk.json", "junk.bin"] {
            let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(throws: InputError.self) { try JobGraphLoader().load(bytes: bytes, file: file) }
        }
    }

    @Test("a truncated file says so")
    func truncated() throws {
        let error = try #require(failure("{\"jobs\": [{\"id\": \"a\", \"comm"))
        #expect(error.code == .syntax)
        #expect(error.line == 1)
    }

    @Test("a missing file gives a clear error")
    func missingFile() {
        do {
            _ = try JobGraphLoader().load(path: "/nonexistent/jobs.json")
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unreadable)
            #expect(error.description.contains("/nonexistent/jobs.json"))
        }
    }
}
