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
        json.key("format")
        json.string(format)
        if writer.target != .local {
            json.key("target")
            json.string(writer.target.rawValue)
        }
        json.key("namespace")
        json.string(settings.namespace)
        json.key("graph_hash")
        json.string(writer.graphHash)
        json.key("cluster_hash")
        json.string(writer.clusterHash)
        json.key("redis")
        json.string(settings.redis.description)
        json.key("more")
        json.bool(settings.more)
        json.key("wait")
        json.int(settings.waitSeconds)
        json.key("hosts")
        json.beginArray()
        for (index, host) in plan.cluster.hosts.enumerated() {
            json.beginObject()
            json.key("name")
            json.string(host.name)
            json.key("address")
            json.string(host.address)
            json.key("username")
            if let username = host.username { json.string(username) } else { json.null() }
            json.key("slots")
            json.int(writer.hostSlots[index].count)
            json.key("speed")
            json.double(host.speed)
            json.key("local")
            json.bool(host.isLocal)
            json.key("worker")
            json.string(host.worker)
            json.key("nice")
            json.int(host.nice)
            json.key("tunnel_port_base")
            json.int(host.tunnelPortBase)
            json.key("script")
            json.string("hosts/" + writer.hostScriptName(index))
            json.endObject()
        }
        json.endArray()
        json.key("jobs")
        json.beginArray()
        let hostNames = plan.cluster.hosts.map(\.name)
        for (index, job) in plan.graph.jobs.enumerated() {
            let placement = plan.placements[index]
            let slot = plan.slots[Int(placement.slot)]
            json.beginObject()
            json.key("id")
            json.string(job.id)
            json.key("host")
            json.string(hostNames[slot.host])
            json.key("slot")
            json.int(slot.instance)
            json.key("order")
            json.int(Int(placement.order))
            json.key("cost")
            json.double(plan.costs[index])
            json.key("est_start")
            json.double(placement.start)
            json.key("est_end")
            json.double(placement.end)
            json.key("deps")
            json.beginArray()
            for dep in job.deps { json.string(dep) }
            json.endArray()
            json.endObject()
            if json.bytes.count >= chunkSize { try emit(json.takeBytes()) }
        }
        json.endArray()
        json.key("makespan")
        json.double(plan.makespan)
        json.key("lower_bound")
        json.double(plan.lowerBound)
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
