/// A validated directed acyclic graph of jobs.
///
/// Building one checks everything a plan relies on: at least one job, valid and unique ids, dependencies that
/// name jobs of the graph, no cycles. Jobs are addressed by their index in ``jobs`` (input order); the
/// relations are kept as compressed adjacency lists so that graphs of millions of jobs stay small.
public struct JobGraph: Sendable {
    /// The namespace the graph declares, if any.
    public let namespace: String?
    /// The jobs, in input order.
    public let jobs: [Job]
    /// For each job, the indices of the jobs it depends on.
    public let predecessors: Adjacency
    /// For each job, the indices of the jobs that depend on it.
    public let successors: Adjacency
    /// Every job index once, each after all of its dependencies; ties keep input order.
    public let topologicalOrder: [Int32]

    /// Each job's position in ``topologicalOrder``, by job index.
    public func topologicalPositions() -> [Int32] {
        var positions = [Int32](repeating: 0, count: topologicalOrder.count)
        for (position, job) in topologicalOrder.enumerated() { positions[Int(job)] = Int32(position) }
        return positions
    }
    private let indexByID: [String: Int32]

    /// Validates `jobs` and builds the graph.
    /// - Parameters:
    ///   - namespace: The namespace declared by the input, if any (validated like an id).
    ///   - jobs: The jobs, in input order. Repeated dependencies of one job are dropped.
    /// - Throws: ``InputError`` naming the job and what is wrong with it: an invalid or duplicate id, a
    ///   dependency that is not a job of the graph, a job that depends on itself, a cycle (printed as its
    ///   path), or an empty graph.
    public init(namespace: String? = nil, jobs: [Job]) throws(InputError) {
        if let namespace, let problem = JobID.problem(with: namespace) {
            throw InputError(
                .invalidID, "namespace '\(Format.escaped(namespace))' is not valid: \(problem).",
                fix: "Use only \(JobID.allowedDescription) in namespaces.")
        }
        guard !jobs.isEmpty else {
            throw InputError(.emptyGraph, "the graph has no jobs.", fix: "Add at least one job to \"jobs\".")
        }
        guard jobs.count < Int(Int32.max) else {
            throw InputError(.invalidValue, "the graph has more than \(Int32.max - 1) jobs.")
        }
        var index = [String: Int32](minimumCapacity: jobs.count)
        var jobs = jobs
        for position in jobs.indices {
            let id = jobs[position].id
            if let problem = JobID.problem(with: id) {
                throw InputError(
                    .invalidID, "'\(Format.escaped(id))' is not a valid job id: \(problem).",
                    fix: "Rename the job using only \(JobID.allowedDescription).", subject: "job #\(position + 1)")
            }
            if let first = index.updateValue(Int32(position), forKey: id) {
                throw InputError(
                    .duplicateID, "the id is used by job #\(first + 1) and job #\(position + 1).",
                    fix: "Give every job its own id.", subject: "job '\(id)'")
            }
            if let (field, problem) = jobs[position].limitProblem() {
                throw InputError(
                    .invalidValue, "'\(field)' \(problem).",
                    fix: "Keep every number within the limits and every text free of control characters "
                        + "(docs/job-graph.md, \"Limits\").",
                    subject: "job '\(id)'")
            }
        }
        var offsets = [Int32](repeating: 0, count: jobs.count + 1)
        var targets = [Int32]()
        targets.reserveCapacity(jobs.reduce(0) { $0 + $1.deps.count })
        // lastListedBy[t] == p means job p already lists t: repeats are found in linear time.
        var lastListedBy = [Int32](repeating: -1, count: jobs.count)
        for position in jobs.indices {
            let job = jobs[position]
            let start = targets.count
            var repeated = false
            for dep in job.deps {
                guard let target = index[dep] else {
                    throw InputError(
                        .unknownDependency, "depends on '\(Format.escaped(dep))', which is not a job of this graph.",
                        fix: (nearest(dep, in: index.keys.lazy.filter { $0 != job.id }).map { "Did you mean '\($0)'? " }
                            ?? "")
                            + "Add a job '\(Format.escaped(dep))' or remove it from the deps of '\(job.id)'.",
                        subject: "job '\(job.id)'")
                }
                if target == Int32(position) {
                    throw InputError(
                        .cycle, "depends on itself.", fix: "Remove '\(job.id)' from its own deps.",
                        subject: "job '\(job.id)'")
                }
                if lastListedBy[Int(target)] == Int32(position) {
                    repeated = true
                } else {
                    lastListedBy[Int(target)] = Int32(position)
                    targets.append(target)
                }
            }
            if repeated {
                jobs[position].deps = targets[start...].map { jobs[Int($0)].id }
            }
            offsets[position + 1] = Int32(targets.count)
        }
        let predecessors = Adjacency(offsets: offsets, targets: targets)
        let successors = predecessors.reversed(nodeCount: jobs.count)
        let order = try Self.topologicalOrder(jobs: jobs, predecessors: predecessors, successors: successors)
        self.namespace = namespace
        self.jobs = jobs
        self.predecessors = predecessors
        self.successors = successors
        self.topologicalOrder = order
        self.indexByID = index
    }

    /// The number of jobs.
    public var count: Int { jobs.count }

    /// The number of dependency edges.
    public var edgeCount: Int { predecessors.targets.count }

    /// The index of the job with id `id`, if there is one.
    public func index(of id: String) -> Int? {
        indexByID[id].map(Int.init)
    }

    /// ``Adjacency/topologicalOrder(successors:)``, or the error naming a cycle when there is one.
    private static func topologicalOrder(
        jobs: [Job], predecessors: Adjacency, successors: Adjacency
    ) throws(InputError) -> [Int32] {
        let order = predecessors.topologicalOrder(successors: successors)
        if order.count < jobs.count {
            var ordered = [Bool](repeating: false, count: jobs.count)
            for node in order { ordered[Int(node)] = true }
            let cycle = findCycle(ordered: ordered, predecessors: predecessors)
            // A cycle through a million jobs would make a message of megabytes: name the first jobs of the path
            // and how many more there are, then the job it closes on.
            let shown = cycle.count > maximumCycleShown ? Array(cycle.prefix(maximumCycleShown - 1)) : cycle
            var path = shown.map { "'\(jobs[Int($0)].id)'" }.joined(separator: " -> ")
            if shown.count < cycle.count {
                path +=
                    " -> … \(Format.count(cycle.count - shown.count - 1, "more job")) … -> '\(jobs[Int(cycle[0])].id)'"
            }
            throw InputError(
                .cycle, "the dependencies form a cycle: \(path) (each job depends on the one after it).",
                fix: "Remove one of these dependencies.", subject: "job '\(jobs[Int(cycle[0])].id)'")
        }
        return order
    }

    /// The most jobs a cycle's message names (the path's first jobs, then how many more, then the job it closes on).
    public static let maximumCycleShown = 30

    /// A cycle among the nodes Kahn's algorithm could not order, as a closed path `a, b, …, a` where each node
    /// depends on the next.
    private static func findCycle(ordered: [Bool], predecessors: Adjacency) -> [Int32] {
        // Every unordered node has an unordered predecessor, so walking predecessors must revisit a node.
        guard var node = ordered.firstIndex(of: false) else { return [] }
        var seenAt = [Int: Int]()
        var walk = [Int32]()
        while seenAt[node] == nil {
            seenAt[node] = walk.count
            walk.append(Int32(node))
            node = Int(predecessors[node].first { !ordered[Int($0)] }!)
        }
        var cycle = Array(walk[seenAt[node]!...])
        cycle.append(Int32(node))
        return cycle
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
public func nearest(_ word: String, in candidates: some Sequence<String>) -> String? {
    // One edit in three characters, and none for words of one character (any other one would be "near").
    let limit = word.count < 2 ? 0 : max(1, word.count / 3)
    var best: (String, Int)?
    for candidate in candidates where abs(candidate.count - word.count) <= limit {
        let distance = editDistance(word, candidate)
        if distance <= limit, distance < best?.1 ?? .max || (distance == best?.1 && candidate < best!.0) {
            best = (candidate, distance)
        }
    }
    return best?.0
}

/// The optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours count 1.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8)
    let b = Array(b.utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let substitution = table[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, substitution)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
            }
        }
    }
    return table[a.count][b.count]
}
