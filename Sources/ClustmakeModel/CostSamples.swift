/// What learning job costs reads of a namespace's runs (`clustmake plan` and `run`, docs/collector.md "Costs learned
/// from earlier runs"): every job's id, each attempt whose success counted, with its host and wall time, and the
/// tags of the jobs with such attempts when a tag's median is needed. `JobStore.costSamples(needingTags:)` reads
/// only that, a fraction of a whole snapshot.
public struct CostSamples: Sendable, Hashable {
    /// One job of the namespace, and its tags when they were read (else none).
    public struct Job: Sendable, Hashable {
        public var id: String
        public var tags: [String]

        public init(id: String, tags: [String]) {
            self.id = id
            self.tags = tags
        }
    }

    /// One attempt that succeeded and counted: its job (a position in ``jobs``), its host's nickname and its wall
    /// time in seconds.
    public struct Sample: Sendable, Hashable {
        public var job: Int
        public var host: String
        public var wallTime: Double

        public init(job: Int, host: String, wallTime: Double) {
            self.job = job
            self.host = host
            self.wallTime = wallTime
        }
    }

    /// The jobs, in the namespace's order.
    public var jobs: [Job]
    /// The samples, in the order of their jobs and then of their attempts.
    public var samples: [Sample]

    public init(jobs: [Job], samples: [Sample]) {
        self.jobs = jobs
        self.samples = samples
    }
}
