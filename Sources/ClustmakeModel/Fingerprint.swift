extension JobGraph {
    /// A SHA-256 over everything about the graph that a plan depends on: ids, commands, dependencies, costs and
    /// every job setting, in input order. Two graphs with the same fingerprint plan and run the same.
    public var fingerprint: String {
        var hash = SHA256()
        hash.field(namespace ?? "")
        hash.field(UInt64(jobs.count))
        for job in jobs {
            hash.field(job.id)
            switch job.command {
            case .shell(let line):
                hash.field(UInt64(0))
                hash.field(line)
            case .argv(let words):
                hash.field(UInt64(1 + words.count))
                for word in words { hash.field(word) }
            }
            hash.field(UInt64(job.deps.count))
            for dep in job.deps { hash.field(dep) }
            hash.field(job.cost)
            hash.field(job.cwd ?? "\u{0}")
            hash.field(UInt64(job.env.count))
            for variable in job.env {
                hash.field(variable.name)
                hash.field(variable.value)
            }
            hash.field(job.nice.map { String($0) } ?? "")
            hash.field(UInt64(job.cores))
            hash.field(job.memory ?? 0)
            hash.field(UInt64(job.retries))
            hash.field(job.timeout ?? -1)
            hash.field(UInt64(job.tags.count))
            for tag in job.tags { hash.field(tag) }
        }
        return hash.finalizeHex()
    }
}

extension Cluster {
    /// A SHA-256 over every host setting and the redis settings.
    public var fingerprint: String {
        var hash = SHA256()
        hash.field(UInt64(hosts.count))
        for host in hosts {
            for text in [host.name, host.address, host.username ?? "\u{0}", host.sshConfig ?? "\u{0}", host.worker] {
                hash.field(text)
            }
            for number in [host.processors, host.nice, host.port ?? -1, host.tunnelPortBase, host.isLocal ? 1 : 0] {
                hash.field(UInt64(bitPattern: Int64(number)))
            }
            hash.field(host.speed)
            hash.field(UInt64(host.sshOptions.count))
            for option in host.sshOptions { hash.field(option) }
            // Only a setting other than compmake's, so that earlier fingerprints stay what they were.
            if host.tunnel != .tcp { hash.field("tunnel=\(host.tunnel.rawValue)") }
        }
        hash.field(redis.url ?? "\u{0}")
        hash.field(redis.passwordFile ?? "\u{0}")
        // Only a SLURM cluster hashes its section, so an ssh cluster's fingerprint stays what it was.
        if let slurm {
            hash.field("slurm")
            for number in [slurm.nodes, slurm.processors, slurm.timeLimit ?? -1] {
                hash.field(UInt64(bitPattern: Int64(number)))
            }
            for text in [slurm.partition, slurm.account, slurm.memory, slurm.qos, slurm.constraint] {
                hash.field(text ?? "\u{0}")
            }
            hash.field(UInt64(slurm.sbatch.count))
            for line in slurm.sbatch { hash.field(line) }
            switch slurm.redis {
            case .fromNodes(let url): hash.field("from_nodes " + url)
            case .tunnel(let loginHost, let portBase): hash.field("tunnel \(loginHost) \(portBase)")
            }
        }
        return hash.finalizeHex()
    }
}
