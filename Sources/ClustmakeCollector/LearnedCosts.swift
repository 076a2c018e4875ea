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
        guard !samples.samples.isEmpty else { return false }
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
        var byJob = [[Double]](repeating: [], count: history.jobs.count)
        for sample in history.samples where history.jobs.indices.contains(sample.job) {
            let wall = sample.wallTime
            guard wall.isFinite, wall >= 0 else { continue }
            let speed = speeds[sample.host].flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 1
            byJob[sample.job].append(wall * speed)
            samples += 1
        }
        var jobMedian: [String: Double] = [:]
        var tagSamples: [String: [Double]] = [:]
        for (index, job) in history.jobs.enumerated() where !byJob[index].isEmpty {
            jobMedian[job.id] = RunStatistics.median(ofSorted: byJob[index].sorted())
            for tag in job.tags.count < 2 ? job.tags : Array(Set(job.tags)) {
                tagSamples[tag, default: []] += byJob[index]
            }
        }
        var tagMedian: [String: Double] = [:]
        for (tag, values) in tagSamples { tagMedian[tag] = RunStatistics.median(ofSorted: values.sorted()) }
        var costs: [String: Double] = [:]
        for job in graph.jobs {
            if let cost = jobMedian[job.id] {
                costs[job.id] = cost
                fromJob += 1
            } else if let cost = job.tags.lazy.compactMap({ tagMedian[$0] }).first {
                costs[job.id] = cost
                fromTag += 1
            } else {
                declared += 1
            }
        }
        self.costs = costs
    }
}
