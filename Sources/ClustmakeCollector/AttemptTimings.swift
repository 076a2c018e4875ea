/// When each attempt could have started, and so how long it waited: the queue delay.
///
/// An attempt is ready once every dependency of its job has ended with an attempt that counted (the latest such
/// attempt ending by its start), once the job's previous attempt ended, and not before the run's first start. Its
/// queue delay is its start minus that, never negative. Hosts' clocks differ a little: a dependency ending up to
/// ``clockTolerance`` after the start still counts as ended.
public struct AttemptTimings: Sendable, Hashable {
    /// How far apart two hosts' clocks may be and still be taken as in order, in seconds.
    public static let clockTolerance = 1.0

    /// When each attempt was ready (seconds since 1970), by index into ``RunHistory/attempts``.
    public var ready: [Double]
    /// The index of the attempt that made each attempt ready (the dependency's or the job's earlier attempt that
    /// ended last), or `nil` when none did (it was ready from the start of the run).
    public var releasedBy: [Int?]

    /// The queue delay of an attempt: its start minus when it was ready, never negative.
    public func queueDelay(_ index: Int, in history: RunHistory) -> Double {
        max(0, history.attempts[index].start - ready[index])
    }

    /// Computes the timings of every attempt of `history`.
    /// - Parameters:
    ///   - history: The run.
    ///   - byJob: ``RunHistory/attemptsByJob()``, when already at hand.
    public init(_ history: RunHistory, byJob: JobAttempts? = nil) {
        let byJob = byJob ?? history.attemptsByJob()
        let attempts = history.attempts
        let runStart = history.start ?? 0
        var ready = [Double](repeating: runStart, count: attempts.count)
        var releasedBy = [Int?](repeating: nil, count: attempts.count)
        for (index, attempt) in attempts.enumerated() {
            let limit = attempt.start + Self.clockTolerance
            var best: Int?
            var bestEnd = -Double.infinity
            // The latest counted success of each dependency that ended by the start.
            for dep in history.jobs[attempt.job].deps {
                for candidate in byJob[dep] where attempts[candidate].isGood {
                    let end = attempts[candidate].end(now: history.now)
                    if end <= limit && end > bestEnd {
                        best = candidate
                        bestEnd = end
                    }
                }
            }
            // The job's own earlier attempts.
            for earlier in byJob[attempt.job] where attempts[earlier].number < attempt.number {
                let end = attempts[earlier].end(now: history.now)
                if end <= limit && end > bestEnd {
                    best = earlier
                    bestEnd = end
                }
            }
            if let best {
                ready[index] = max(runStart, min(bestEnd, attempt.start))
                releasedBy[index] = best
            }
        }
        self.ready = ready
        self.releasedBy = releasedBy
    }
}
