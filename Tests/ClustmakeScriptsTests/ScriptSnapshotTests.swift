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

    @Test("plan.json, summary.txt and the --print table of a small plan match their snapshots")
    func reports() throws {
        let plan = try Plans.small()
        let writer = try ScriptWriter(plan: plan, options: ScriptOptions(more: true, waitSeconds: 3600))
        Snapshot.check(String(decoding: writer.planJSON(), as: UTF8.self), named: "small-plan.json")
        Snapshot.check(PlanSummary(plan: plan).text, named: "small-summary.txt")
        Snapshot.check(PlanTable(plan: plan).text, named: "small-table.txt")
    }
}
