import ClustmakeModel

/// Timeline rows for attempts: attempts do not record the slot they ran in, so each host's attempts are packed
/// into lanes, `HOST/0`, `HOST/1`, …
///
/// The rule (docs/collector.md): take the host's attempts in start order (then job, then attempt number); give each
/// the lowest-numbered lane that is free at its start (its previous attempt ended at or before that start), opening
/// a new lane when none is. Attempts still running occupy their lane until "now". This is the classic greedy
/// interval colouring, so a host gets exactly as many lanes as it ran attempts at once at its busiest; with one
/// worker per slot that is its slot count (or fewer, if some slots never overlapped). The lane numbers need not
/// match the plan's slot numbers.
public struct Lanes: Sendable, Hashable {
    /// The lane of each attempt of the history, by index into ``RunHistory/attempts``.
    public var lane: [Int]
    /// How many lanes each host needed, by nickname.
    public var counts: [String: Int]
    /// The hosts, sorted by nickname.
    public var hosts: [String]

    /// Packs the attempts of `history` into lanes.
    public init(_ history: RunHistory) {
        var lane = [Int](repeating: 0, count: history.attempts.count)
        // Per host: lanes in use as a min-heap by (end, lane); free lanes as a min-heap of lane numbers. Hosts are
        // numbered in order of appearance so the heaps are mutated in place.
        var hostNumber: [String: Int] = [:]
        var names: [String] = []
        var busy: [MinHeap<LaneEnd>] = []
        var free: [MinHeap<Int>] = []
        var opened: [Int] = []
        for (index, attempt) in history.attempts.enumerated() {
            let host: Int
            if let known = hostNumber[attempt.host] {
                host = known
            } else {
                host = names.count
                hostNumber[attempt.host] = host
                names.append(attempt.host)
                busy.append(MinHeap())
                free.append(MinHeap())
                opened.append(0)
            }
            while let first = busy[host].peek, first.end <= attempt.start {
                free[host].push(first.lane)
                _ = busy[host].pop()
            }
            let chosen: Int
            if let number = free[host].pop() {
                chosen = number
            } else {
                chosen = opened[host]
                opened[host] += 1
            }
            lane[index] = chosen
            busy[host].push(LaneEnd(end: attempt.end(now: history.now), lane: chosen))
        }
        var counts: [String: Int] = [:]
        for (host, name) in names.enumerated() { counts[name] = opened[host] }
        self.lane = lane
        self.counts = counts
        self.hosts = counts.keys.sorted()
    }

    /// The label of a lane: `HOST/N`.
    public static func label(host: String, lane: Int) -> String { "\(host)/\(lane)" }

    /// Every lane's label, host by host (sorted by nickname), lane by lane; and the row of each (host, lane).
    public func rows() -> (labels: [String], row: [String: Int]) {
        var labels: [String] = []
        var first: [String: Int] = [:]
        for host in hosts {
            first[host] = labels.count
            for number in 0..<(counts[host] ?? 0) { labels.append(Self.label(host: host, lane: number)) }
        }
        return (labels, first)
    }
}

/// A lane in use until `end`.
struct LaneEnd: Comparable {
    var end: Double
    var lane: Int
    static func < (lhs: LaneEnd, rhs: LaneEnd) -> Bool {
        lhs.end != rhs.end ? lhs.end < rhs.end : lhs.lane < rhs.lane
    }
}
