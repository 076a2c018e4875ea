import ClustmakeModel
import PropertyBased
import Testing

@Suite struct JobGraphTests {
    func job(_ id: String, _ deps: [String] = []) -> Job {
        Job(id: id, command: .shell("true"), deps: deps)
    }

    @Test("a valid graph keeps jobs in input order and orders them after their dependencies")
    func validGraph() throws {
        let graph = try JobGraph(jobs: [job("c", ["a", "b"]), job("a"), job("b", ["a"])])
        #expect(graph.count == 3)
        #expect(graph.edgeCount == 3)
        #expect(graph.jobs.map(\.id) == ["c", "a", "b"])
        #expect(graph.topologicalOrder.map { graph.jobs[Int($0)].id } == ["a", "b", "c"])
        #expect(Array(graph.predecessors[0]) == [1, 2])
        #expect(Array(graph.successors[1]).sorted() == [0, 2])
        #expect(graph.index(of: "b") == 2)
        #expect(graph.index(of: "zz") == nil)
    }

    @Test(
        "a job outside the limits is refused whatever built it (WfCommons, a push), naming the job and the field",
        arguments: [
            (Job(id: "a", command: .shell("x"), cores: 1 << 40), "'cores' is 1099511627776, outside 1…100000"),
            (Job(id: "a", command: .shell("x"), timeout: 1e308), "'timeout' is 1e+308 seconds"),
            (Job(id: "a", command: .shell("x"), timeout: .infinity), "'timeout' is inf seconds"),
            (Job(id: "a", command: .shell("x"), cost: .nan), "'cost' is nan"),
            (Job(id: "a", command: .shell("x"), memory: UInt64.max), "'memory' is 18446744073709551615 bytes"),
            (Job(id: "a", command: .argv(["x", "y\0"])), "'command word 2' holds a NUL byte at character 2"),
            (
                Job(id: "a", command: .shell("x"), env: [Job.EnvironmentVariable(name: "A=B", value: "1")]),
                "'env' has a variable named 'A=B'"
            ),
        ])
    func limits(job: Job, expected: String) {
        let error = #expect(throws: InputError.self) { try JobGraph(jobs: [job]) }
        #expect(error?.code == .invalidValue)
        #expect(error?.description.hasPrefix("job 'a': " + expected) == true, "\(String(describing: error))")
    }

    @Test("a cycle through many jobs names the first few dozen and how many more, not all of them")
    func longCycle() {
        let count = 100_000
        let jobs = (0..<count).map { job("j\($0)", ["j\(($0 + 1) % count)"]) }
        let error = #expect(throws: InputError.self) { try JobGraph(jobs: jobs) }
        let text = error?.description ?? ""
        #expect(error?.code == .cycle)
        #expect(text.utf8.count < 1000, "\(text.utf8.count) bytes")
        #expect(text.contains("'j0' -> 'j1' -> ") && text.contains("… 99971 more jobs … -> 'j0'"), "\(text)")
    }

    @Test("an empty graph is refused")
    func empty() {
        #expect(throws: InputError.self) { try JobGraph(jobs: []) }
        do {
            _ = try JobGraph(jobs: [])
        } catch {
            #expect(error.code == .emptyGraph)
            #expect(error.description.contains("no jobs"))
        }
    }

    @Test("a duplicate id names both positions")
    func duplicate() {
        do {
            _ = try JobGraph(jobs: [job("a"), job("b"), job("a")])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .duplicateID)
            #expect(
                error.description == "job 'a': the id is used by job #1 and job #3. Fix: Give every job its own id.")
        }
    }

    @Test("an unknown dependency suggests the nearest id")
    func unknownDependency() {
        do {
            _ = try JobGraph(jobs: [job("align"), job("merge", ["alignn"])])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unknownDependency)
            #expect(error.subject == "job 'merge'")
            #expect(error.description.contains("Did you mean 'align'?"))
        }
    }

    @Test("a self dependency is a cycle")
    func selfDependency() {
        do {
            _ = try JobGraph(jobs: [job("a", ["a"])])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .cycle)
        }
    }

    @Test("a cycle is printed as its path")
    func cycle() {
        do {
            _ = try JobGraph(jobs: [job("s"), job("a", ["s", "c"]), job("b", ["a"]), job("c", ["b"]), job("d", ["c"])])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .cycle)
            // Each job depends on the next one in the path, which closes on itself.
            let path = error.message
            #expect(path.contains("-> "))
            let ids = path.split(separator: ":")[1].split(separator: "(")[0]
                .split(separator: "->").map { $0.filter { $0 != " " && $0 != "'" } }
            #expect(ids.first == ids.last)
            #expect(Set(ids) == ["a", "b", "c"])
        }
    }

    @Test(
        "unsafe ids are refused with the reason",
        arguments: [
            ("", "empty"), ("-rf", "starts with '-'"), ("a b", "a space"), ("a/b", "'/'"), ("..", "'.' and '..'"),
            ("a'b", "single quote"), ("a$(x)", "'$'"), ("é", "U+E9"), ("a\nb", "newline"),
            (String(repeating: "x", count: 201), "longer than 200"),
        ])
    func unsafeIDs(id: String, reason: String) {
        do {
            _ = try JobGraph(jobs: [job(id)])
            Issue.record("expected an error for \(id)")
        } catch {
            #expect(error.code == .invalidID)
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test("repeated dependencies of one job are kept once")
    func repeatedDependencies() throws {
        let graph = try JobGraph(jobs: [job("a"), job("b", ["a", "a"])])
        #expect(graph.jobs[1].deps == ["a"])
        #expect(graph.edgeCount == 1)
    }

    @Test("an invalid namespace is refused")
    func namespace() {
        #expect(throws: InputError.self) { try JobGraph(namespace: "my ns", jobs: [job("a")]) }
    }

    @Test("random DAGs come out in a topological order that contains every job once")
    func topologicalOrderProperty() async {
        await propertyCheck(input: Gen.int(in: 1...60), Gen.int(in: 0...1000)) { count, seed in
            var random = SplitMix(seed: UInt64(seed))
            var jobs = [Job]()
            for index in 0..<count {
                // Dependencies only on earlier jobs keep it acyclic; shuffle the input order afterwards.
                let deps = (0..<index).filter { _ in random.next() % 4 == 0 }.map { "j\($0)" }
                jobs.append(job("j\(index)", deps))
            }
            jobs.shuffle(using: &random)
            let graph = try #require(try? JobGraph(jobs: jobs))
            var position = [Int32: Int]()
            for (rank, node) in graph.topologicalOrder.enumerated() { position[node] = rank }
            #expect(position.count == count)
            for node in 0..<count {
                for dep in graph.predecessors[node] { #expect(position[dep]! < position[Int32(node)]!) }
            }
        }
    }
}

/// A small deterministic generator for tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
