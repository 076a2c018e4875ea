public import ClustmakeModel

/// Job costs learned from earlier runs (`clustmake plan --costs-from NS`).
///
/// A sample is the wall time of an attempt whose success counted, times the speed of the host it ran on (so that it
/// is a cost at speed 1, as the planner wants; hosts the cluster does not know count as speed 1). A job of the graph
/// takes the median of its own samples, if it has any; else the median of the samples of all the jobs that share
/// its first tag having samples (a WfCommons task's name is its tag, so a new `mProject_00000042` takes the median
/// of the `mProject` tasks seen); else it keeps its declared cost (it is left out of ``costs``).
public struct LearnedCosts: Sendable, Hashable {
    /// Cost by job id, for the jobs that learned one.
    public var costs: [String: Double]
    /// How many jobs took their own median, a tag's median, or kept their declared cost.
    public var fromJob = 0
    public var fromTag = 0
    public var declared = 0
    /// How many samples the history had.
    public var samples = 0

    /// Learns the costs of `graph`'s jobs from `history`.
    /// - Parameters:
    ///   - graph: The graph to plan.
    ///   - history: Earlier runs.
    ///   - speeds: Host speeds by nickname (the cluster's); unknown hosts are speed 1.
    public init(graph: JobGraph, history: RunHistory, speeds: [String: Double] = [:]) {
        let samples = history.attempts.compactMap { attempt in
            attempt.isGood
                ? attempt.wallTime.map { CostSamples.Sample(job: attempt.job, host: attempt.host, wallTime: $0) } : nil
        }
        self.init(
            graph: graph,
            samples: CostSamples(
                jobs: history.jobs.map { CostSamples.Job(id: $0.id, tags: $0.tags) }, samples: samples),
            speeds: speeds)
    }

    /// Whether learning `graph`'s costs from `samples` needs the tags of the sampled jobs: some job of the graph
    /// has tags and no sample of its own, so it may take a tag's median. A graph run again after its jobs all ran
    /// needs none.
    public static func needsTags(graph: JobGraph, samples: CostSamples) -> Bool {
        guard !samples.samples.isEmpty, graph.jobs.contains(where: { !$0.tags.isEmpty }) else { return false }
        var sampled = Set<String>(minimumCapacity: samples.jobs.count)
        for sample in samples.samples where samples.jobs.indices.contains(sample.job) {
            sampled.insert(samples.jobs[sample.job].id)
        }
        return graph.jobs.contains { !$0.tags.isEmpty && !sampled.contains($0.id) }
    }

    /// Learns the costs of `graph`'s jobs from the samples of earlier runs (what `JobStore.costSamples(needingTags:)` reads).
    /// - Parameters:
    ///   - graph: The graph to plan.
    ///   - samples: Earlier runs' jobs and the attempts whose success counted.
    ///   - speeds: Host speeds by nickname (the cluster's); unknown hosts are speed 1.
    public init(graph: JobGraph, samples history: CostSamples, speeds: [String: Double] = [:]) {
        // Each job's costs, job after job in one array (a million jobs with a sample each make no array each): count
        // the samples of each job, then place each after those of the jobs before it.
        let jobCount = history.jobs.count
        var ends = [Int](repeating: 0, count: jobCount + 1)
        var kept: [(job: Int, cost: Double)] = []
        kept.reserveCapacity(history.samples.count)
        var lastHost: String?
        var lastSpeed = 1.0
        for sample in history.samples where history.jobs.indices.contains(sample.job) {
            let wall = sample.wallTime
            guard wall.isFinite, wall >= 0 else { continue }
            if sample.host != lastHost {
                lastHost = sample.host
                lastSpeed = speeds[sample.host].flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 1
            }
            kept.append((sample.job, wall * lastSpeed))
            ends[sample.job + 1] += 1
        }
        samples = kept.count
        for job in 0..<jobCount { ends[job + 1] += ends[job] }
        var costsByJob = [Double](repeating: 0, count: kept.count)
        var filled = ends
        for (job, cost) in kept {
            costsByJob[filled[job]] = cost
            filled[job] += 1
        }
        kept = []
        // The median of each job that has samples (NaN for the others), its costs sorted in place.
        var jobMedian = [Double](repeating: .nan, count: jobCount)
        for job in 0..<jobCount where ends[job + 1] > ends[job] {
            let range = ends[job]..<ends[job + 1]
            costsByJob[range].sort()
            jobMedian[job] = RunStatistics.median(ofSorted: costsByJob[range]) ?? .nan
        }
        // A graph job is the history's job at the same position when the ids agree (a graph run again in its own
        // namespace), else found by id.
        var positions: [String: Int]?
        func historyIndex(of id: String, at position: Int) -> Int? {
            if position < jobCount && history.jobs[position].id == id { return position }
            if positions == nil {
                var map = [String: Int](minimumCapacity: jobCount)
                for (index, job) in history.jobs.enumerated() { map[job.id] = index }
                positions = map
            }
            return positions?[id]
        }
        // The tags' medians, made only when a job needs one.
        var tagMedian: [String: Double]?
        func tagMedians() -> [String: Double] {
            if let tagMedian { return tagMedian }
            var tagSamples: [String: [Double]] = [:]
            for (index, job) in history.jobs.enumerated() where ends[index + 1] > ends[index] {
                for tag in job.tags.count < 2 ? job.tags : Array(Set(job.tags)) {
                    tagSamples[tag, default: []] += costsByJob[ends[index]..<ends[index + 1]]
                }
            }
            var medians: [String: Double] = [:]
            for (tag, values) in tagSamples { medians[tag] = RunStatistics.median(ofSorted: values.sorted()) }
            tagMedian = medians
            return medians
        }
        var costs = [String: Double](minimumCapacity: graph.jobs.count)
        for (position, job) in graph.jobs.enumerated() {
            if let index = historyIndex(of: job.id, at: position), !jobMedian[index].isNaN {
                costs[job.id] = jobMedian[index]
                fromJob += 1
            } else if !job.tags.isEmpty, let cost = job.tags.lazy.compactMap({ tagMedians()[$0] }).first {
                costs[job.id] = cost
                fromTag += 1
            } else {
                declared += 1
            }
        }
        self.costs = costs
    }
}
