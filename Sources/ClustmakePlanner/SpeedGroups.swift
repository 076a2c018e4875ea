import ClustmakeModel

/// The slots of a cluster, grouped by host speed.
///
/// Slots of equal speed are interchangeable except for when each becomes free, so the planner chooses a speed
/// group first and then the group's slot that is free earliest: a job looks at as many candidates as there are
/// distinct speeds, not at every slot.
struct SpeedGroups: Sendable {
    /// Every slot, host by host, instance by instance (as ``Cluster/slots``).
    let slots: [Slot]
    /// The distinct speeds, fastest first.
    let speeds: [Double]
    /// The slots of group `g` are `members[offsets[g]..<offsets[g + 1]]`, in ascending slot order.
    let offsets: [Int]
    /// Slot indices, group by group.
    let members: [Int32]
    /// Σ over hosts of processors × speed: the work the whole cluster does per second.
    let totalSpeed: Double

    /// Groups the slots of `cluster`.
    ///
    /// A host with no processors contributes no slot. The cluster must have at least one slot, and every host
    /// with slots a positive, finite speed (the cluster loader checks both).
    init(_ cluster: Cluster) {
        var slots = [Slot]()
        var slotSpeeds = [Double]()
        var totalSpeed = 0.0
        for (hostIndex, host) in cluster.hosts.enumerated() where host.processors > 0 {
            precondition(
                host.speed.isFinite && host.speed > 0,
                "host '\(host.name)' has speed \(host.speed); the cluster loader must reject speeds that are not "
                    + "positive and finite")
            for instance in 0..<host.processors {
                slots.append(Slot(host: hostIndex, instance: instance))
                slotSpeeds.append(host.speed)
            }
            totalSpeed += Double(host.processors) * host.speed
        }
        precondition(!slots.isEmpty, "the cluster has no slots; the cluster loader must reject it")
        let speeds = Set(slotSpeeds).sorted(by: >)
        var offsets = [Int](repeating: 0, count: speeds.count + 1)
        var members = [Int32]()
        members.reserveCapacity(slots.count)
        for (group, speed) in speeds.enumerated() {
            for slot in slotSpeeds.indices where slotSpeeds[slot] == speed {
                members.append(Int32(slot))
            }
            offsets[group + 1] = members.count
        }
        self.slots = slots
        self.speeds = speeds
        self.offsets = offsets
        self.members = members
        self.totalSpeed = totalSpeed
    }

    /// The number of groups.
    var count: Int { speeds.count }

    /// The fastest speed.
    var fastest: Double { speeds[0] }
}
