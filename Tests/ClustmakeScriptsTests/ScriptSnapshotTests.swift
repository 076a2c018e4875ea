import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts
import Testing

/// Whole files for a small plan, compared with `Snapshots/` (re-record with `CLUSTMAKE_RECORD_SNAPSHOTS=1`).
@Suite struct ScriptSnapshotTests {
    @Test("the host scripts of a small plan match their snapshots")
    func hostScripts() throws {
        let plan = try Plans.small()
        let writer = try ScriptWriter(plan: plan)
        for host in plan.cluster.hosts.indices {
            Snapshot.check(
                String(decoding: try writer.hostScript(host), as: UTF8.self),
                named: "small-" + writer.hostScriptName(host))
        }
    }

    @Test("run-all.sh of a small plan matches its snapshot")
    func runAll() throws {
        let writer = try ScriptWriter(plan: try Plans.small())
        Snapshot.check(String(decoding: writer.runAllScript(), as: UTF8.self), named: "small-run-all.sh")
    }

    /// The embedded redis as `clustmake plan` finds it in /home/alice/demo.
    static let embedded = ScriptOptions(
        redis: .unix(path: "/home/alice/demo/.clustmake/redis/redis.sock"),
        passwordFile: "/home/alice/demo/.clustmake/redis/password",
        redisStart: ["/opt/clustmake/bin/clustmake", "redis", "start", "--state-dir", "/home/alice/demo/.clustmake"])

    @Test("with the embedded redis, host scripts start it and pass its password file, remote and local alike")
    func embeddedRedis() throws {
        let remote = try ScriptWriter(plan: try Plans.small(), options: Self.embedded)
        Snapshot.check(String(decoding: try remote.hostScript(0), as: UTF8.self), named: "embedded-nessa.sh")
        let local = try Plans.small().changingCluster { cluster in
            cluster.hosts[0] = Host(name: "nessa", processors: 2, worker: "compmake", isLocal: true)
        }
        let writer = try ScriptWriter(plan: local, options: Self.embedded)
        Snapshot.check(String(decoding: try writer.hostScript(0), as: UTF8.self), named: "embedded-local-nessa.sh")
    }

    @Test("plan.json, summary.txt and the --print table of a small plan match their snapshots")
    func reports() throws {
        let plan = try Plans.small()
        let writer = try ScriptWriter(plan: plan, options: ScriptOptions(more: true, waitSeconds: 3600))
        Snapshot.check(String(decoding: writer.planJSON(), as: UTF8.self), named: "small-plan.json")
        Snapshot.check(PlanSummary(plan: plan).text, named: "small-summary.txt")
        Snapshot.check(PlanTable(plan: plan).text, named: "small-table.txt")
    }
}
