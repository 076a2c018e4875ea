import ClustmakeModel

extension RunStatistics {
    /// Every host's figures, by nickname: the hosts of the timeline, then the plan's hosts with slots that ran
    /// nothing; with a plan, the slots, jobs and busy time it gave each.
    static func hosts(_ history: RunHistory, lanes: Lanes, plan: PlannedRun?) -> [Host] {
        let now = history.now
        var hosts: [Host] = []
        var hostIndex: [String: Int] = [:]
        for name in lanes.hosts {
            hostIndex[name] = hosts.count
            hosts.append(Host(name: name, lanes: lanes.counts[name] ?? 0))
        }
        var hostJobs = [Set<Int>](repeating: [], count: hosts.count)
        for attempt in history.attempts {
            guard let index = hostIndex[attempt.host] else { continue }
            hosts[index].attempts += 1
            hosts[index].outcomes[attempt.outcome, default: 0] += 1
            hosts[index].busy += attempt.duration(now: now)
            hostJobs[index].insert(attempt.job)
        }
        for index in hosts.indices { hosts[index].jobs = hostJobs[index].count }
        if let plan {
            for host in plan.hosts where hostIndex[host.name] == nil && host.slots > 0 {
                hostIndex[host.name] = hosts.count
                hosts.append(Host(name: host.name))
            }
            for host in plan.hosts {
                guard let index = hostIndex[host.name] else { continue }
                hosts[index].plannedSlots = host.slots
                hosts[index].plannedJobs = 0
                hosts[index].plannedBusy = 0
            }
            for job in plan.jobs {
                guard let index = hostIndex[job.host] else { continue }
                hosts[index].plannedJobs = (hosts[index].plannedJobs ?? 0) + 1
                hosts[index].plannedBusy = (hosts[index].plannedBusy ?? 0) + max(0, job.end - job.start)
            }
        }
        return hosts
    }

    /// The run's capacity (the plan's slots, else the lanes) and the utilisation of each host and of the run.
    mutating func measureUtilisation() {
        var capacity = 0
        var busy = 0.0
        for index in hosts.indices {
            let slots = hosts[index].plannedSlots ?? hosts[index].lanes
            capacity += slots
            busy += hosts[index].busy
            if run.wallTime > 0 && slots > 0 {
                hosts[index].utilisation = hosts[index].busy / (Double(slots) * run.wallTime)
            }
        }
        run.capacity = capacity
        if run.wallTime > 0 && capacity > 0 { run.utilisation = busy / (Double(capacity) * run.wallTime) }
    }
}
