import ClustmakeCommands
import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Testing

@Suite struct PlanJSONTests {
    @Test("plan.json holds the documented fields and reads back as JSON")
    func fields() throws {
        let plan = try Plans.small()
        let writer = try ScriptWriter(plan: plan, options: ScriptOptions(more: true, waitSeconds: 600))
        let bytes = writer.planJSON()
        #expect(bytes.last == UInt8(ascii: "\n"))
        let json = try JSONValue.parse(bytes, source: "plan.json")
        #expect(
            json.objectValue?.keys == [
                "format", "namespace", "graph_hash", "cluster_hash", "redis", "more", "wait", "hosts", "jobs",
                "makespan",
                "lower_bound", "critical_path",
            ])
        #expect(json["format"]?.stringValue == "clustmake-plan/1")
        #expect(json["namespace"]?.stringValue == "demo")
        #expect(json["graph_hash"]?.stringValue == plan.graph.fingerprint)
        #expect(json["cluster_hash"]?.stringValue == plan.cluster.fingerprint)
        #expect(json["redis"]?.stringValue == "redisdb:6379")
        #expect(json["more"]?.boolValue == true)
        #expect(json["wait"]?.intValue == 600)
        #expect(json["makespan"]?.doubleValue == plan.makespan)
        #expect(json["lower_bound"]?.doubleValue == plan.lowerBound)
        #expect(json["critical_path"]?.arrayValue?.compactMap(\.stringValue) == ["prepare", "fit-1", "report"])

        let hosts = try #require(json["hosts"]?.arrayValue)
        #expect(hosts.count == 3)
        #expect(hosts[1]["name"]?.stringValue == "lab2")
        #expect(hosts[1]["address"]?.stringValue == "10.0.0.2")
        #expect(hosts[1]["username"]?.stringValue == "alice")
        #expect(hosts[0]["username"]?.isNull == true)
        #expect(hosts[0]["slots"]?.intValue == 2)
        #expect(hosts[0]["speed"]?.doubleValue == 1)
        #expect(hosts[0]["local"]?.boolValue == false)
        #expect(hosts[2]["script"]?.stringValue == "hosts/spare.sh")

        let jobs = try #require(json["jobs"]?.arrayValue)
        #expect(jobs.count == plan.graph.count)
        for (index, job) in jobs.enumerated() {
            let placement = plan.placements[index]
            let slot = plan.slots[Int(placement.slot)]
            #expect(job["id"]?.stringValue == plan.graph.jobs[index].id)
            #expect(job["host"]?.stringValue == plan.cluster.hosts[slot.host].name)
            #expect(job["slot"]?.intValue == Int64(slot.instance))
            #expect(job["order"]?.intValue == Int64(placement.order))
            #expect(job["cost"]?.doubleValue == plan.costs[index])
            #expect(job["est_start"]?.doubleValue == placement.start)
            #expect(job["est_end"]?.doubleValue == placement.end)
            #expect(job["deps"]?.arrayValue?.compactMap(\.stringValue) == plan.graph.jobs[index].deps)
        }
    }

    @Test("the lower bound of plan.json's size a run checks first never exceeds the document's size")
    func minimumBytes() throws {
        // Short ids and host names and zero costs make the entries as short as they get.
        let tiny = try JobGraph(
            namespace: "t",
            jobs: (0..<200).map { (index: Int) -> Job in
                let letters = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
                let first = String(letters[index % letters.count])
                let id: String = index < letters.count ? first : first + String(index)
                let deps: [String] = index == 0 ? [] : ["0"]
                return Job(id: id, command: .shell("x"), deps: deps, cost: 0)
            })
        let cluster = Cluster(hosts: [Host(name: "h", processors: 1)], redis: .init(url: "redis://r:6379/0"))
        for plan in [try Plans.small(), Plans.greedy(tiny, on: cluster)] {
            let writer = try ScriptWriter(plan: plan, options: ScriptOptions())
            let bound = ScriptWriter.planJSONMinimumBytes(plan)
            let size = writer.planJSON().count
            #expect(bound <= size, "bound \(bound), document \(size) bytes")
            // Close: two thirds of the document at least, for a plan of many short jobs.
            #expect(bound * 3 > size * 2 || plan.graph.count < 100)
        }
    }

    @Test("the file written to the plan directory is the same document, streamed in pieces")
    func streamedFile() throws {
        let plan = Plans.greedy(
            try JobGraph(
                namespace: "big",
                jobs: (0..<5000).map { Job(id: "j\($0)", command: .argv(["true"]), deps: $0 > 0 ? ["j\($0 / 3)"] : []) }
            ),
            on: Cluster(hosts: (0..<4).map { Host(name: "h\($0)", processors: 3) }))
        let writer = try ScriptWriter(plan: plan)
        let root = try TemporaryDirectory()
        _ = try PlanDirectory(path: root.path + "/plan").write(writer)
        let file = try JSONValue.parse(contentsOfFile: root.path + "/plan/plan.json")
        #expect(file == (try JSONValue.parse(writer.planJSON())))
        #expect(file["jobs"]?.arrayValue?.count == 5000)
    }
}
