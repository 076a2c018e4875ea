import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Foundation
import Testing

@Suite struct ScriptWriterTests {
    @Test(
        "host settings that would break or disguise a script line are refused, naming the host",
        arguments: [
            ("worker", "/opt/compmake\nrm -rf ~"), ("worker", "/opt/\u{1B}[2Kcompmake"),
            ("address", "-oProxyCommand=x"),
            ("username", "-l"), ("ssh option", "-o\rX"), ("ssh_config", "/etc/\u{202E}cfg"), ("worker", ""),
        ])
    func unsafeHostValues(field: String, value: String) throws {
        let plan = try Plans.small().changingCluster { cluster in
            switch field {
            case "worker": cluster.hosts[1].worker = value
            case "address": cluster.hosts[1].address = value
            case "username": cluster.hosts[1].username = value
            case "ssh option": cluster.hosts[1].sshOptions = ["-C", value]
            default: cluster.hosts[1].sshConfig = value
            }
        }
        let error = try #require(throws: ScriptError.self) { try ScriptWriter(plan: plan) }
        #expect(error.code == .unsafeValue)
        #expect(error.subject == "host 'lab2'")
        #expect(!error.description.contains("\n"))
    }

    @Test(
        "an embedded redis's password file or start command with a control character is refused",
        arguments: [
            ScriptOptions(passwordFile: "/p/pass\nword"),
            ScriptOptions(redisStart: ["/opt/clustmake", "redis", "start", "--state-dir", "/p/\u{1B}[2K.clustmake"]),
        ])
    func unsafeEmbeddedRedis(options: ScriptOptions) throws {
        let error = try #require(throws: ScriptError.self) {
            try ScriptWriter(plan: try Plans.small(), options: options)
        }
        #expect(error.code == .unsafeValue)
        #expect(!error.description.contains("\n"))
    }

    @Test("host nicknames must name files and be unique")
    func hostNames() throws {
        for name in ["../etc", "a b", ".."] {
            let error = try #require(throws: ScriptError.self) {
                try ScriptWriter(plan: try Plans.small().changingCluster { $0.hosts[0].name = name })
            }
            #expect(error.code == .invalidHostName)
        }
        let duplicate = try #require(throws: ScriptError.self) {
            try ScriptWriter(plan: try Plans.small().changingCluster { $0.hosts[1].name = "nessa" })
        }
        #expect(duplicate.message.contains("#1 and #2"))
    }

    @Test("two entries for the same machine may not share reverse-tunnel ports")
    func tunnelPortClash() throws {
        let clash = try Plans.small().changingCluster { $0.hosts[2].address = "NESSA.cds.caltech.edu" }
        let error = try #require(throws: ScriptError.self) { try ScriptWriter(plan: clash) }
        #expect(error.subject == "host 'spare'")
        #expect(error.message.contains("13000…13000"))
        let apart = try Plans.small().changingCluster {
            $0.hosts[2].address = "nessa.cds.caltech.edu"
            $0.hosts[2].tunnelPortBase = 13100
        }
        #expect(throws: Never.self) { try ScriptWriter(plan: apart) }
    }

    @Test("the namespace, wait and redis options are checked")
    func options() throws {
        let plan = try Plans.small()
        #expect(try ScriptWriter(plan: plan).settings.namespace == "demo")
        #expect(try ScriptWriter(plan: plan, options: ScriptOptions(namespace: "other")).settings.namespace == "other")
        #expect(try ScriptWriter(plan: plan).settings.redis == .tcp(host: "redisdb", port: 6379))
        let noNamespace = Plans.greedy(try Plans.graph(["a": []], namespace: nil), on: plan.cluster)
        #expect(try ScriptWriter(plan: noNamespace).settings.namespace == ScriptOptions.defaultNamespace)
        let local = Plans.greedy(try Plans.graph(["a": []]), on: Cluster(hosts: [Host(name: "h")]))
        #expect(try ScriptWriter(plan: local).settings.redis == .default)

        #expect(throws: ScriptError.self) { try ScriptWriter(plan: plan, options: ScriptOptions(namespace: "a b")) }
        #expect(throws: ScriptError.self) { try ScriptWriter(plan: plan, options: ScriptOptions(waitSeconds: -1)) }
        // A database other than 0 is kept for the workers; the password is dropped.
        let database4 = try ScriptWriter(plan: plan.changingCluster { $0.redis.url = "redis://:pw@db:6379/4" })
        #expect(database4.settings.redis == .tcp(host: "db", port: 6379, database: 4))
        let badRedis = try #require(throws: ScriptError.self) {
            try ScriptWriter(plan: plan.changingCluster { $0.redis.url = "redis://:pw@db:6379/x" })
        }
        #expect(badRedis.code == .invalidRedis)
        #expect(badRedis.subject == "the cluster's redis url")
    }

    @Test("an inconsistent plan is reported as a planner bug instead of crashing")
    func inconsistentPlan() throws {
        let plan = try Plans.small()
        var sequences = plan.sequences
        sequences[0].removeLast()
        let broken = Plan(
            graph: plan.graph, cluster: plan.cluster, slots: plan.slots, costs: plan.costs, placements: plan.placements,
            sequences: sequences, makespan: plan.makespan, lowerBound: plan.lowerBound, criticalPath: plan.criticalPath)
        let error = try #require(throws: ScriptError.self) { try ScriptWriter(plan: broken) }
        #expect(error.code == .invalidPlan)
    }

    @Test("the job lines the writer copies per job are the lines JobLine builds")
    func linesMatchJobLine() throws {
        let plan = try ScriptLintTests.hostilePlan()
        let writer = try ScriptWriter(plan: plan, options: ScriptOptions(more: true, waitSeconds: 5))
        var scripts: [String] = []
        for host in plan.cluster.hosts.indices {
            scripts.append(String(decoding: try writer.hostScript(host), as: UTF8.self))
        }
        for job in plan.graph.jobs.indices {
            let host = plan.slots[Int(plan.placements[job].slot)].host
            let line = JobLine(plan: plan, job: job, settings: writer.settings).shellLine
            let id = ShellQuote.quote(plan.graph.jobs[job].id)
            #expect(scripts[host].contains("    \(line) & wait $! || failed \(id) $?\n"))
        }
        // Slots keep the planned order.
        let first = try #require(plan.sequences.first { $0.count > 2 })
        let slot = try #require(plan.sequences.firstIndex(of: first))
        let script = scripts[plan.slots[slot].host]
        let positions = first.map { job in
            script.range(of: JobLine(plan: plan, job: Int(job), settings: writer.settings).shellLine)!.lowerBound
        }
        #expect(positions == positions.sorted())
    }

    @Test("an empty host gets a script that says so and exits 0")
    func emptyHost() throws {
        let writer = try ScriptWriter(plan: try Plans.small())
        let script = String(decoding: try writer.hostScript(2), as: UTF8.self)
        #expect(script.contains("has no jobs in this plan"))
        let result = try Shell.run(["sh", "-c", script])
        #expect(result.status == 0)
        #expect(result.stderr == "clustmake: host 'spare' has no jobs in this plan; nothing to do.\n")
    }
}
