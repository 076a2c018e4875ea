import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport

/// A large run recorded with fixed times: `hosts` hosts of `lanes` lanes each run their jobs back to back; every
/// tenth job fails once and then succeeds, so `attempts` attempts come from about `attempts / 1.1` jobs. Job `i`
/// depends on job `i - hosts × lanes` (the previous job of its lane), so the graph has long chains. Used by the
/// scale test and, through it, by bench/stats-scale.py for 100,000 attempts.
enum ScaleHistory {
    struct Shape {
        var attempts: Int
        var hosts = 20
        var lanes = 8
        var lanesTotal: Int { hosts * lanes }
        /// Jobs such that, with every tenth failing once, there are `attempts` attempts.
        var jobs: Int {
            // jobs + ceil(jobs / 10) == attempts, for the largest such jobs count.
            var jobs = attempts * 10 / 11
            while jobs + (jobs + 9) / 10 < attempts { jobs += 1 }
            while jobs > 0 && jobs + (jobs + 9) / 10 > attempts { jobs -= 1 }
            return jobs
        }
    }

    static func graph(_ shape: Shape) throws -> JobGraph {
        var jobs: [Job] = []
        jobs.reserveCapacity(shape.jobs)
        for index in 0..<shape.jobs {
            let deps = index >= shape.lanesTotal ? ["j\(index - shape.lanesTotal)"] : []
            jobs.append(
                Job(
                    id: "j\(index)", command: .shell("run-step \(index)"), deps: deps, cost: Double(1 + index % 60),
                    tags: ["kind-\(index % 7)"]))
        }
        return try JobGraph(namespace: "scale", jobs: jobs)
    }

    /// Records the run; returns how many attempts were written.
    @discardableResult
    static func record(_ shape: Shape, with writer: HistoryWriter) throws -> Int {
        var cursor = [Double](repeating: 0, count: shape.lanesTotal)
        var written = 0
        for index in 0..<shape.jobs {
            let lane = index % shape.lanesTotal
            let host = "node\(lane / shape.lanes)"
            let runtime = Double(1 + index % 60) * (1 + Double(lane % 5) / 10)
            if index % 10 == 0 {
                try writer.run(
                    "j\(index)", on: host, at: cursor[lane], for: runtime / 4, .failed, exit: 3,
                    stderr: "step \(index): transient error\n")
                cursor[lane] += runtime / 4 + 0.05
                written += 1
            }
            try writer.run("j\(index)", on: host, at: cursor[lane], for: runtime, stdout: "step \(index) done\n")
            cursor[lane] += runtime + 0.05
            written += 1
        }
        return written
    }
}
