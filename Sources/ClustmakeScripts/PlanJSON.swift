import ClustmakeJSON
import ClustmakeModel
import ClustmakePlanner

/// `plan.json`: the plan for programs, streamed through ``JSONWriter`` so that a million jobs never sit in memory
/// as one document. The fields are documented in docs/plan-directory.md.
enum PlanJSON {
    /// The value of `"format"`; a change that breaks readers bumps the number.
    static let format = "clustmake-plan/1"

    /// Writes the document in chunks of about `chunkSize` bytes, ending with a newline.
    static func write<Failure: Error>(
        _ writer: ScriptWriter, chunkSize: Int = 1 << 20, emit: ([UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        let plan = writer.plan
        let settings = writer.settings
        var json = JSONWriter(reservingCapacity: chunkSize + 65_536)
        json.beginObject()
        json.member("format", format)
        if writer.target != .local { json.member("target", writer.target.rawValue) }
        if writer.executor != nil { json.member("dispatch", SlurmDispatch.dynamic.rawValue) }
        json.member("namespace", settings.namespace)
        json.member("graph_hash", writer.graphHash)
        json.member("cluster_hash", writer.clusterHash)
        json.member("redis", settings.redis.description)
        json.member("more", settings.more)
        json.member("wait", settings.waitSeconds)
        json.key("hosts")
        json.beginArray()
        for (index, host) in plan.cluster.hosts.enumerated() {
            json.beginObject()
            json.member("name", host.name)
            json.member("address", host.address)
            json.member("username", host.username)
            json.member("slots", writer.hostSlots[index].count)
            json.member("speed", host.speed)
            json.member("local", host.isLocal)
            json.member("worker", host.worker)
            json.member("nice", host.nice)
            json.member("tunnel_port_base", host.tunnelPortBase)
            // A plan of one SLURM job per job writes no host scripts: its jobs name their batch scripts instead.
            json.member("script", writer.target == .slurmJobs ? nil : "hosts/" + writer.hostScriptName(index))
            json.endObject()
        }
        json.endArray()
        json.key("jobs")
        json.beginArray()
        let hostNames = plan.cluster.hosts.map(\.name)
        // A job's position in the submission order, for its batch script's name (`slurm-jobs` only).
        let submitted = writer.target == .slurmJobs ? plan.graph.topologicalPositions() : []
        for (index, job) in plan.graph.jobs.enumerated() {
            let placement = plan.placements[index]
            let slot = plan.slots[Int(placement.slot)]
            json.beginObject()
            json.member("id", job.id)
            json.member("host", hostNames[slot.host])
            json.member("slot", slot.instance)
            json.member("order", Int(placement.order))
            json.member("cost", plan.costs[index])
            json.member("est_start", placement.start)
            json.member("est_end", placement.end)
            if !submitted.isEmpty {
                json.member("script", "slurm/jobs/" + writer.slurmJobFileName(position: Int(submitted[index])))
            }
            json.key("deps")
            json.beginArray()
            for dep in job.deps { json.string(dep) }
            json.endArray()
            if !job.files.isEmpty {
                json.key("files")
                json.beginArray()
                for file in job.files {
                    json.beginObject()
                    json.member("name", file.name)
                    json.member("link", file.link.rawValue)
                    if let size = file.size {
                        json.member("size", Int(clamping: size))
                    }
                    json.endObject()
                }
                json.endArray()
            }
            json.endObject()
            if json.bytes.count >= chunkSize { try emit(json.takeBytes()) }
        }
        json.endArray()
        json.member("makespan", plan.makespan)
        json.member("lower_bound", plan.lowerBound)
        json.key("critical_path")
        json.beginArray()
        for job in plan.criticalPath { json.string(plan.graph.jobs[Int(job)].id) }
        json.endArray()
        json.endObject()
        var tail = json.takeBytes()
        tail.append(UInt8(ascii: "\n"))
        try emit(tail)
    }
}
