import ClustmakeModel
import ClustmakePlanner

/// The plan as a compact table for a terminal (`clustmake plan --print`): per host, the jobs of each slot in
/// order with their estimated start and end; long slots show their first and last rows around a count.
public struct PlanTable: Sendable {
    /// The plan shown.
    public let plan: Plan
    /// Slots with more jobs than this show their first and last rows only.
    public var maximumRowsPerSlot: Int

    /// - Parameters:
    ///   - plan: The plan to show.
    ///   - maximumRowsPerSlot: The most rows a slot shows before eliding its middle (at least 3).
    public init(plan: Plan, maximumRowsPerSlot: Int = 12) {
        self.plan = plan
        self.maximumRowsPerSlot = maximumRowsPerSlot
    }

    /// The table as text, ending with a newline.
    public var text: String {
        let hosts = plan.cluster.hosts
        var slotsByHost = [[Int]](repeating: [], count: hosts.count)
        for (index, slot) in plan.slots.enumerated() { slotsByHost[slot.host].append(index) }
        let rows = max(3, maximumRowsPerSlot)
        let head = (rows - 1) * 2 / 3
        let tail = rows - 1 - head
        // Width of the id column: the longest id shown, up to 40 (longer ids overflow their column).
        var idWidth = 3
        for sequence in plan.sequences {
            let shown = sequence.count > rows ? Array(sequence.prefix(head) + sequence.suffix(tail)) : sequence
            for job in shown { idWidth = max(idWidth, min(40, plan.graph.jobs[Int(job)].id.count)) }
        }
        var lines: [String] = []
        for (host, value) in hosts.enumerated() {
            let jobs = slotsByHost[host].reduce(0) { $0 + plan.sequences[$1].count }
            lines.append(
                "host \(value.name): \(Format.count(slotsByHost[host].count, "slot")), \(Format.count(jobs, "job"))"
                    + (value.isLocal ? " (this machine)" : ""))
            guard jobs > 0 else { continue }
            lines.append(
                "  " + Format.padLeft("slot", 4) + "  " + Format.padLeft("order", 7) + "  "
                    + Format.padRight("job", idWidth) + "  " + Format.padLeft("start", 9) + "  "
                    + Format.padLeft("end", 9))
            for slotIndex in slotsByHost[host] {
                let sequence = plan.sequences[slotIndex]
                let instance = String(plan.slots[slotIndex].instance)
                func row(_ order: Int) -> String {
                    let job = Int(sequence[order])
                    let placement = plan.placements[job]
                    return "  " + Format.padLeft(instance, 4) + "  "
                        + Format.padLeft(String(order), 7)
                        + "  " + Format.padRight(plan.graph.jobs[job].id, idWidth) + "  "
                        + Format.padLeft(Format.duration(placement.start, style: .compact), 9) + "  "
                        + Format.padLeft(Format.duration(placement.end, style: .compact), 9)
                }
                if sequence.count <= rows {
                    for order in sequence.indices { lines.append(row(order)) }
                } else {
                    for order in 0..<head { lines.append(row(order)) }
                    lines.append(
                        "  " + Format.padLeft(instance, 4) + "  " + Format.padLeft("…", 7) + "  "
                            + "… \(Format.count(sequence.count - head - tail, "more job")) …")
                    for order in (sequence.count - tail)..<sequence.count { lines.append(row(order)) }
                }
            }
        }
        lines.append("")
        var last =
            "makespan \(Format.secondsAndDuration(plan.makespan)), lower bound \(Format.secondsAndDuration(plan.lowerBound))"
        if plan.lowerBound > 0 { last += ", ratio \(Format.fixed(plan.makespan / plan.lowerBound, 2))" }
        lines.append(last)
        return lines.joined(separator: "\n") + "\n"
    }
}
