import Foundation
import Glibc

/// The machine's facts, the programs, the munge key and `slurm.conf`.
extension SlurmTestCluster {
    /// Absolute paths of the programs the cluster runs.
    struct Tools: Sendable {
        var munged: String
        var slurmctld: String
        var slurmd: String
        var sinfo: String
        var env: String

        static func find() throws(TestHarnessError) -> Tools {
            let client = "the SLURM client commands (sbatch, squeue, sinfo, …)"
            return Tools(
                munged: try DaemonProcess.locate("munged", package: "munge", role: "munged, SLURM's authentication"),
                slurmctld: try DaemonProcess.locate("slurmctld", package: "slurmctld", role: "the SLURM controller"),
                slurmd: try DaemonProcess.locate("slurmd", package: "slurmd", role: "the SLURM node daemon"),
                sinfo: try DaemonProcess.locate("sinfo", package: "slurm-client", role: client),
                env: try DaemonProcess.locate("env", package: "coreutils", role: "env, to run commands with SLURM_CONF")
            )
        }
    }

    /// The SLURM client commands `run(_:)` looks up with a message naming their package.
    static let clientCommands: Set<String> = [
        "sbatch", "squeue", "scancel", "srun", "salloc", "sinfo", "scontrol", "sacct", "sstat", "sattach", "sbcast",
    ]

    /// What the cluster is made of: names, ports and files.
    struct Layout: Sendable {
        let directory: String
        let clusterName: String
        let hostName: String
        let nodeNames: [String]
        let partition: String
        let cpusPerNode: Int
        let memoryPerNode: Int
        let controllerPort: Int
        let nodePorts: [Int]
        let extraConfiguration: [String]

        var configuration: String { directory + "/slurm.conf" }
        var mungeKey: String { directory + "/munge.key" }
        var mungeSocket: String { directory + "/munge.sock" }
        var mungeOutput: String { directory + "/munged.out" }
        var controllerLog: String { directory + "/slurmctld.log" }
        var controllerOutput: String { directory + "/slurmctld.out" }
        var stateDirectory: String { directory + "/state" }
        func nodeLog(_ node: String) -> String { "\(directory)/slurmd.\(node).log" }
        func nodeOutput(_ node: String) -> String { "\(directory)/slurmd.\(node).out" }
        func spoolDirectory(_ node: String) -> String { "\(directory)/spool/\(node)" }
        /// Holds the creating process's id, so ``SlurmTestCluster/removeStale()`` can tell leftovers.
        var ownerFile: String { directory + "/owner.pid" }
    }

    // MARK: - The machine

    /// This machine's short host name (`hostname -s`): slurmctld compares it with `SlurmctldHost`.
    static func shortHostName() throws(TestHarnessError) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else {
            throw TestHarnessError(.setupFailed, "gethostname failed: \(String(cString: strerror(errno)))")
        }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let short = name.split(separator: ".").first.map(String.init) ?? ""
        let valid =
            !short.isEmpty && short.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        guard valid else {
            throw TestHarnessError(
                .setupFailed,
                "this machine's host name '\(name)' cannot name a SLURM controller and node: give it one of letters, "
                    + "digits and '-' (hostname NAME)")
        }
        return short
    }

    /// The machine's memory in MiB, as `slurmd -C` reports `RealMemory`.
    static func memoryMiB() -> Int {
        let pages = Int(sysconf(Int32(_SC_PHYS_PAGES)))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        return max(1, pages * pageSize / (1024 * 1024))
    }

    // MARK: - Files

    /// Writes the munge key (1024 random bytes, mode 0400, owned by root, which munged runs as), the state and
    /// spool directories, the owner file and `slurm.conf`.
    static func writeFiles(_ layout: Layout) throws(TestHarnessError) {
        try DaemonProcess.writeFile("\(getpid())\n", to: layout.ownerFile)
        var key = [UInt8](repeating: 0, count: 1024)
        for offset in stride(from: 0, to: key.count, by: 256) {
            let filled = key.withUnsafeMutableBytes { getentropy($0.baseAddress! + offset, 256) == 0 }
            guard filled else {
                throw TestHarnessError(
                    .setupFailed, "getentropy failed for the munge key: \(String(cString: strerror(errno)))")
            }
        }
        try DaemonProcess.writeFile(key, to: layout.mungeKey, mode: 0o400)
        for path in [layout.stateDirectory, layout.directory + "/spool"] + layout.nodeNames.map(layout.spoolDirectory) {
            guard mkdir(path, 0o755) == 0 else {
                throw TestHarnessError(.setupFailed, "cannot create \(path): \(String(cString: strerror(errno)))")
            }
        }
        try DaemonProcess.writeFile(configuration(layout), to: layout.configuration)
    }

    /// `slurm.conf`: one controller and the nodes on this machine, every file in the cluster's directory, one
    /// partition, no accounting, fast scheduling.
    static func configuration(_ layout: Layout) -> String {
        let directory = layout.directory
        var lines = [
            "# SLURM test cluster \(layout.clusterName) (SlurmTestCluster; docs/testing.md): every daemon and file",
            "# of it lives in \(directory), and it stops with the test that started it.",
            "ClusterName=\(layout.clusterName)",
            "SlurmctldHost=\(layout.hostName)(127.0.0.1)",
            "SlurmctldPort=\(layout.controllerPort)",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            "AuthInfo=socket=\(layout.mungeSocket)",
            "StateSaveLocation=\(layout.stateDirectory)",
            "SlurmdSpoolDir=\(directory)/spool/%n",
            "SlurmctldPidFile=\(directory)/slurmctld.pid",
            "SlurmdPidFile=\(directory)/slurmd.%n.pid",
            "SlurmctldLogFile=\(layout.controllerLog)",
            "SlurmdLogFile=\(directory)/slurmd.%n.log",
            "SlurmctldDebug=info",
            "SlurmdDebug=info",
            "# No cgroups: the tests run in containers and VMs without a delegated cgroup tree.",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "MailProg=/bin/true",
            "# CPUs, not whole nodes, are allocated: several jobs share a node.",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "# The nodes' CPUs and memory are what this file says, even when several nodes share one machine.",
            "SlurmdParameters=config_overrides",
            "ReturnToService=2",
            "# Schedule every second, keep finished jobs visible to scontrol for 10 min (a loaded machine may take a while to look), kill 2 s after SIGTERM.",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=sched_interval=1,bf_interval=1",
            "MinJobAge=600",
            "KillWait=2",
            "InactiveLimit=0",
            "# A loaded machine answers slowly: do not mark nodes down for it.",
            "MessageTimeout=30",
            "SlurmctldTimeout=300",
            "SlurmdTimeout=300",
        ]
        if layout.nodeNames.count == 1 {
            lines.append("SlurmdPort=\(layout.nodePorts[0])")
        }
        for (node, port) in zip(layout.nodeNames, layout.nodePorts) {
            var line =
                "NodeName=\(node) NodeHostname=\(layout.hostName) NodeAddr=127.0.0.1 CPUs=\(layout.cpusPerNode) "
                + "RealMemory=\(layout.memoryPerNode) State=UNKNOWN"
            if layout.nodeNames.count > 1 { line += " Port=\(port)" }
            lines.append(line)
        }
        lines.append("PartitionName=\(layout.partition) Nodes=ALL Default=YES MaxTime=INFINITE State=UP")
        return (lines + layout.extraConfiguration).joined(separator: "\n") + "\n"
    }
}
