import ClustmakeModel

extension RunStatistics {
    /// The figures of every tag, by name: jobs, attempts, failures, and the spread of the wall times of the
    /// attempts whose success counted.
    static func tags(_ history: RunHistory, byJob: JobAttempts) -> [Tag] {
        let now = history.now
        let attempts = history.attempts
        var tags: [Tag] = []
        var tagIndex: [String: Int] = [:]
        var tagRuntimes: [[Double]] = []
        for (index, record) in history.jobs.enumerated() {
            for name in record.tags.count < 2 ? record.tags : Array(Set(record.tags)) {
                let tag: Int
                if let known = tagIndex[name] {
                    tag = known
                } else {
                    tag = tags.count
                    tagIndex[name] = tag
                    tags.append(Tag(name: name))
                    tagRuntimes.append([])
                }
                tags[tag].jobs += 1
                for attempt in byJob[index] {
                    let record = attempts[attempt]
                    let duration = record.duration(now: now)
                    tags[tag].attempts += 1
                    tags[tag].totalTime += duration
                    if record.isGood { tagRuntimes[tag].append(duration) }
                    if record.outcome == .failed || record.outcome == .interrupted || record.outcome == .lost {
                        tags[tag].failures += 1
                    }
                }
            }
        }
        for tag in tags.indices {
            let runtimes = tagRuntimes[tag].sorted()
            tags[tag].succeeded = runtimes.count
            guard !runtimes.isEmpty else { continue }
            tags[tag].minimum = runtimes.first
            tags[tag].maximum = runtimes.last
            tags[tag].median = Self.median(ofSorted: runtimes)
            tags[tag].mean = runtimes.reduce(0, +) / Double(runtimes.count)
        }
        tags.sort { $0.name < $1.name }
        return tags
    }
}
