import ClustmakeModel
import ClustmakePlanner

/// `summary.txt`: what a person checks before running a plan: per host its jobs, busy time and utilisation, the
/// critical path, and how the makespan compares with the lower bound.
public struct PlanSummary: Sendable {
    /// The plan summarised.
    public let plan: Plan
    /// The namespace shown (the one the scripts use).
    public let namespace: String
    /// Critical paths longer than this are shown as their first and last ids around "… N more …".
    public var maximumPathIDs = 20
    /// Whether the plan is run with dynamic dispatch (``SlurmDispatch/dynamic``): the placement shown is then a
    /// forecast, and the summary says so.
    public var dynamicDispatch = false

    /// - Parameters:
    ///   - plan: The plan to summarise.
    ///   - namespace: The namespace the scripts use; `nil` for the graph's, or the default.
    public init(plan: Plan, namespace: String? = nil) {
        self.plan = plan
        self.namespace = namespace ?? plan.graph.namespace ?? ScriptOptions.defaultNamespace
    }

    /// The summary as text, ending with a newline.
    public var text: String {
        let hosts = plan.cluster.hosts
        var slotCounts = [Int](repeating: 0, count: hosts.count)
        var jobCounts = [Int](repeating: 0, count: hosts.count)
        var busy = [Double](repeating: 0, count: hosts.count)
        for (index, slot) in plan.slots.enumerated() {
            slotCounts[slot.host] += 1
            jobCounts[slot.host] += plan.sequences[index].count
            for job in plan.sequences[index] {
                let placement = plan.placements[Int(job)]
                busy[slot.host] += placement.end - placement.start
            }
        }
        var lines: [String] = []
        lines.append(
            "clustmake plan: \(Format.count(plan.graph.count, "job")) on \(Format.count(hosts.count, "host")) "
                + "(\(Format.count(plan.slots.count, "slot")))")
        lines.append("namespace: \(namespace)")
        if dynamicDispatch {
            lines.append(
                "dispatch:  dynamic: clustmake run in the allocation decides at run time where each job runs; the "
                    + "hosts below are the planned placement, for review")
        }
        lines.append("")
        lines.append("makespan:    \(Format.secondsAndDuration(plan.makespan))")
        lines.append("lower bound: \(Format.secondsAndDuration(plan.lowerBound))")
        if plan.lowerBound > 0 {
            let ratio = plan.makespan / plan.lowerBound
            lines.append(
                "ratio:       \(Format.fixed(ratio, 2)) (no plan can finish sooner than the lower bound)")
        } else {
            lines.append("ratio:       - (the lower bound is 0)")
        }
        lines.append("")
        let nameWidth = max(4, hosts.map(\.name.count).max() ?? 0)
        lines.append(
            Format.padRight("host", nameWidth) + "  " + Format.padLeft("slots", 5) + "  "
                + Format.padLeft("jobs", 8) + "  " + Format.padLeft("busy", 20) + "  "
                + Format.padLeft("utilisation", 11))
        for (index, host) in hosts.enumerated() {
            let capacity = Double(slotCounts[index]) * plan.makespan
            let utilisation = capacity > 0 ? Format.percent(busy[index] / capacity) : "-"
            lines.append(
                Format.padRight(host.name, nameWidth) + "  " + Format.padLeft(String(slotCounts[index]), 5) + "  "
                    + Format.padLeft(String(jobCounts[index]), 8) + "  "
                    + Format.padLeft(Format.secondsAndDuration(busy[index]), 20) + "  "
                    + Format.padLeft(utilisation, 11))
        }
        lines.append("")
        let path = plan.criticalPath.map { Int($0) }
        let pathCost = path.reduce(0.0) { $0 + plan.costs[$1] }
        lines.append(
            "critical path: \(Format.count(path.count, "job")), \(Format.secondsAndDuration(pathCost)) of work (cost at speed 1)"
        )
        let keep = max(2, maximumPathIDs)
        if path.count > keep {
            let head = keep / 2
            let tail = keep - head
            for job in path.prefix(head) { lines.append("  " + plan.graph.jobs[job].id) }
            lines.append("  … \(path.count - head - tail) more …")
            for job in path.suffix(tail) { lines.append("  " + plan.graph.jobs[job].id) }
        } else {
            for job in path { lines.append("  " + plan.graph.jobs[job].id) }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
