import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner
import ClustmakeScripts

/// A reviewed plan directory's `plan.json` (docs/plan-directory.md), read back into a ``Plan`` for
/// `clustmake run --plan DIR`: the same hosts, slots and order, refused when the graph or the cluster changed.
struct ReviewedPlan {
    let namespace: String
    let redis: String
    let more: Bool
    let waitSeconds: Int
    let plan: Plan

    /// Reads `DIR/plan.json` and checks it against the graph and cluster given now.
    /// - Throws: ``InputError`` naming the file: unreadable, not clustmake-plan/1, or made from another graph or
    ///   cluster (the fingerprints differ).
    init(directory: String, graph: JobGraph, cluster: Cluster) throws(InputError) {
        let path = directory + "/plan.json"
        let value = try PlanFile.document(at: path)
        func bad(_ what: String) -> InputError {
            InputError(.invalidValue, what, fix: "Write the plan again with `clustmake plan`.", file: path)
        }
        guard value["format"]?.stringValue == "clustmake-plan/1" else { throw bad("not a clustmake-plan/1 file.") }
        guard value["graph_hash"]?.stringValue == graph.fingerprint else {
            throw InputError(
                .invalidValue,
                "the job graph changed since the plan was written (graph_hash differs), so the plan no longer "
                    + "describes these jobs.",
                fix: "Review a new plan (`clustmake plan … -o \(directory)`) or give the graph the plan was made from.",
                file: path)
        }
        guard value["cluster_hash"]?.stringValue == cluster.fingerprint else {
            throw InputError(
                .invalidValue,
                "the cluster changed since the plan was written (cluster_hash differs): its hosts or slots are not "
                    + "the ones reviewed.",
                fix:
                    "Review a new plan (`clustmake plan … -o \(directory)`) or give the cluster file it was made with.",
                file: path)
        }
        guard let namespace = value["namespace"]?.stringValue, let redis = value["redis"]?.stringValue,
            let jobs = value["jobs"]?.arrayValue, jobs.count == graph.count
        else { throw bad("plan.json lacks its namespace, redis or jobs.") }
        self.namespace = namespace
        self.redis = redis
        more = value["more"]?.boolValue ?? false
        waitSeconds = Int(value["wait"]?.intValue ?? 86_400)
        let slots = cluster.slots
        var slotIndex: [String: Int] = [:]
        for (index, slot) in slots.enumerated() {
            slotIndex["\(cluster.hosts[slot.host].name)\u{1}\(slot.instance)"] = index
        }
        var placements: [Plan.Placement] = []
        var costs: [Double] = []
        var sequences = Array(repeating: [(Int32, Int32)](), count: slots.count)
        for (position, job) in jobs.enumerated() {
            guard job["id"]?.stringValue == graph.jobs[position].id, let host = job["host"]?.stringValue,
                let instance = job["slot"]?.intValue, let order = job["order"]?.intValue,
                let slot = slotIndex["\(host)\u{1}\(instance)"]
            else { throw bad("job #\(position + 1) of plan.json does not match the graph or the cluster.") }
            placements.append(
                Plan.Placement(
                    slot: Int32(slot), order: Int32(order), start: job["est_start"]?.doubleValue ?? 0,
                    end: job["est_end"]?.doubleValue ?? 0))
            costs.append(job["cost"]?.doubleValue ?? 0)
            sequences[slot].append((Int32(order), Int32(position)))
        }
        let critical = (value["critical_path"]?.arrayValue ?? []).compactMap { $0.stringValue }.compactMap {
            graph.index(of: $0).map(Int32.init)
        }
        plan = Plan(
            graph: graph, cluster: cluster, slots: slots, costs: costs, placements: placements,
            sequences: sequences.map { $0.sorted { $0.0 < $1.0 }.map(\.1) },
            makespan: value["makespan"]?.doubleValue ?? 0, lowerBound: value["lower_bound"]?.doubleValue ?? 0,
            criticalPath: critical)
    }
}

extension ReviewedPlan {
    /// The reviewed plan as it runs on the hosts that passed their check (`checked`): each host as the check found
    /// it (the worker `clustmake hosts install` installed, say), and the jobs it put on a host that failed moved to
    /// the other hosts' slots, as `run` without a plan would run them elsewhere. A host's failure is not bad input:
    /// the slots that are left keep their planned jobs in their planned order.
    ///
    /// A moved job goes to the slot with the least planned work so far; every slot's sequence is then ordered by
    /// planned start, ties by the graph's topological order, so that no slot waits for a job queued behind its own.
    /// - Parameters:
    ///   - plan: The reviewed plan.
    ///   - checked: The hosts that passed the check (``HostCheck/usableCluster(_:checks:)``), by name; at least one
    ///     of the plan's.
    /// - Returns: The plan to run, the names of the hosts left out, and how many jobs moved.
    static func runnable(_ plan: Plan, on checked: Cluster) -> (plan: Plan, leftOut: [String], moved: Int) {
        let usable = Dictionary(checked.hosts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let kept = plan.cluster.hosts.indices.filter { usable[plan.cluster.hosts[$0].name] != nil }
        let leftOut = plan.cluster.hosts.indices.filter { usable[plan.cluster.hosts[$0].name] == nil }.map {
            plan.cluster.hosts[$0].name
        }
        guard !kept.isEmpty else { return (plan, leftOut, 0) }
        var hostIndex: [Int: Int] = [:]
        for (new, old) in kept.enumerated() { hostIndex[old] = new }
        let cluster = Cluster(
            hosts: kept.map { usable[plan.cluster.hosts[$0].name]! }, redis: plan.cluster.redis)
        var slotIndex = [Int?](repeating: nil, count: plan.slots.count)
        var slots: [Slot] = []
        for (index, slot) in plan.slots.enumerated() {
            guard let host = hostIndex[slot.host] else { continue }
            slotIndex[index] = slots.count
            slots.append(Slot(host: host, instance: slot.instance))
        }
        let rank = plan.graph.topologicalPositions()
        func before(_ a: Int, _ b: Int) -> Bool {
            let (first, second) = (plan.placements[a].start, plan.placements[b].start)
            return first != second ? first < second : rank[a] < rank[b]
        }
        var load = [Double](repeating: 0, count: slots.count)
        var target = [Int](repeating: 0, count: plan.graph.count)
        var moved: [Int] = []
        for job in plan.graph.jobs.indices {
            if let slot = slotIndex[Int(plan.placements[job].slot)] {
                target[job] = slot
                load[slot] += plan.costs[job]
            } else {
                moved.append(job)
            }
        }
        for job in moved.sorted(by: before) {
            let slot = load.indices.min { load[$0] < load[$1] }!
            target[job] = slot
            load[slot] += plan.costs[job]
        }
        var sequences = [[Int32]](repeating: [], count: slots.count)
        for job in plan.graph.jobs.indices.sorted(by: before) { sequences[target[job]].append(Int32(job)) }
        var placements = plan.placements
        for (slot, sequence) in sequences.enumerated() {
            for (order, job) in sequence.enumerated() {
                placements[Int(job)].slot = Int32(slot)
                placements[Int(job)].order = Int32(order)
            }
        }
        let runnable = Plan(
            graph: plan.graph, cluster: cluster, slots: slots, costs: plan.costs, placements: placements,
            sequences: sequences, makespan: plan.makespan, lowerBound: plan.lowerBound,
            criticalPath: plan.criticalPath)
        return (runnable, leftOut, moved.count)
    }
}
