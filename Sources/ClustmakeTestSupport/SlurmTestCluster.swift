import ClustmakeSystem
import Foundation
import Glibc
import Synchronization

/// A real SLURM for one test: munged, slurmctld and one slurmd per node, all on this machine, everything in a
/// temporary directory, stopped with the test.
///
/// ```swift
/// @Test("a batch job runs on the node") func batch() async throws {
///     let cluster = try SlurmTestCluster()
///     let id = try cluster.submit(["--wrap", "echo $SLURMD_NODENAME > \(cluster.directory)/out"])
///     let text = try await TestWait.forFile(cluster.directory + "/out", timeout: .seconds(60))
///     #expect(text == cluster.nodeName + "\n")
///     try await cluster.waitUntilGone([id], timeout: .seconds(60))
/// }   // jobs, daemons and files go away with `cluster`
/// ```
///
/// Every cluster gets a fresh `/tmp/clustmake-slurm.XXXXXX` holding a munge key and munged's socket, a
/// `slurm.conf` (``configurationPath``) with a unique `ClusterName` and free ports, the controller's state, the
/// nodes' spool directories and every daemon's log. Client commands find the cluster through `SLURM_CONF`
/// (``environment``); ``run(_:timeout:)`` sets it and runs in the cluster's directory, so batch output
/// (`slurm-ID.out`) lands there. The daemons and jobs run as root, the test process's user.
///
/// One node is named after this machine (`hostname -s`); with `nodes: N > 1` the nodes are `n1`…`nN`, one
/// slurmd each (`slurmd -N NAME`, its own port), all on this machine. Each node has ``Options/cpusPerNode``
/// CPUs (this machine's processor count by default, whatever the node count: SLURM is told to believe the
/// configuration) and shares the machine's memory with the others; CPUs, not nodes, are allocated, so several
/// jobs run on a node at once.
///
/// `init` fails loudly, never skips, when something is missing: the error names the Debian package (`munge`,
/// `slurmctld`, `slurmd`, `slurm-client`), or says to run as root. It waits (a condition, bounded by
/// ``Options/startupTimeout``) until `sinfo` shows every node idle; a daemon that exits or a node that does
/// not come up fails with the tails of every log.
///
/// `init`, `run`, `shutdown` and the queries block while their commands run (about a second to start, less to
/// stop); the waits are `async` (``TestWait``). If the test process dies without running
/// `deinit`, the next cluster made by any process stops what it left (``removeStale()``).
public final class SlurmTestCluster: Sendable {
    /// How a command ended and what it printed (the same type the ssh test cluster returns).
    public typealias CommandResult = SSHTestCluster.CommandResult
    /// A command started by ``start(_:)``; reap it with `wait(timeout:)`.
    public typealias RunningCommand = SSHTestCluster.RunningCommand

    /// How to build the cluster: the defaults suit Debian 12 with `scripts/install-deps.sh` run; set what differs.
    public struct Options: Sendable {
        /// CPUs of each node, or `nil` for the machine's online processors (`getconf _NPROCESSORS_ONLN`).
        public var cpusPerNode: Int?
        /// How long to wait for every node to be idle.
        public var startupTimeout: Duration = .seconds(120)
        /// The partition's name.
        public var partition = "test"
        /// More `slurm.conf` lines, appended last: `["PrologFlags=Alloc"]`.
        public var extraConfiguration: [String] = []

        /// The default options, with `cpusPerNode` CPUs per node (`nil`: this machine's processor count).
        public init(cpusPerNode: Int? = nil) {
            self.cpusPerNode = cpusPerNode
        }
    }

    /// A job as `squeue` lists it.
    public struct QueuedJob: Sendable, Hashable {
        /// The job id.
        public var id: Int
        /// The job name (`--job-name`; `wrap` for `--wrap` jobs).
        public var name: String
        /// `PENDING`, `RUNNING`, `COMPLETING`, …
        public var state: String
        /// Why it is pending (`Dependency`, `Resources`, `Priority`), or `None`.
        public var reason: String
        /// The nodes it runs on, compressed (`n[1-2]`), or empty while pending.
        public var nodes: String
    }

    /// The options the cluster was built with.
    public let options: Options
    /// The node names, in order: this machine's short host name, or `n1`…`nN`.
    public var nodeNames: [String] { layout.nodeNames }
    /// The only partition (the default one), holding every node.
    public var partition: String { layout.partition }
    /// The temporary directory holding the configuration, key, state, spool directories and logs.
    public var directory: String { layout.directory }
    /// `ClusterName`: `cmk` + this process's id + a counter, unique per cluster.
    public var clusterName: String { layout.clusterName }
    /// The `slurm.conf` every client command must read: pass ``environment`` to them.
    public var configurationPath: String { layout.configuration }
    /// CPUs of each node.
    public var cpusPerNode: Int { layout.cpusPerNode }

    /// The first node (the only one unless built with `nodes:`).
    public var nodeName: String { nodeNames[0] }

    /// What a SLURM client command needs to reach this cluster: `SLURM_CONF`.
    public var environment: [String: String] { ["SLURM_CONF": configurationPath] }

    let tools: Tools
    let layout: Layout

    private struct State: Sendable {
        /// The running daemons, in start order: a label for messages and the pid.
        var daemons: [(label: String, pid: pid_t)] = []
        var shutDown = false
    }
    private let state: Mutex<State>

    /// A per-process counter that makes cluster names unique.
    private static let counter = Atomic<Int>(0)

    /// Builds a cluster and waits until every node is idle.
    ///
    /// Picks free ports by binding port 0 and reading them back; if another process takes one before a daemon
    /// binds it, starts again on new ports (up to 3 attempts).
    /// - Parameters:
    ///   - nodes: How many nodes, at least 1.
    ///   - options: CPUs per node, the start-up bound, the partition, more configuration.
    /// - Throws: ``TestHarnessError``: `.missingPrerequisite` naming the Debian package, `.notPermitted` when
    ///   not root, `.setupFailed` or `.timedOut` with the tails of the daemons' logs.
    public init(nodes: Int = 1, options: Options = Options()) throws(TestHarnessError) {
        guard nodes >= 1 else {
            throw TestHarnessError(.invalidArgument, "a SLURM test cluster needs at least 1 node, not \(nodes)")
        }
        if let cpus = options.cpusPerNode, cpus < 1 {
            throw TestHarnessError(.invalidArgument, "cpusPerNode must be at least 1, not \(cpus)")
        }
        let partitionValid =
            !options.partition.isEmpty
            && options.partition.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        guard partitionValid else {
            throw TestHarnessError(
                .invalidArgument, "partition '\(options.partition)' must be ASCII letters, digits, '-' and '_'")
        }
        let tools = try Tools.find()
        try DaemonProcess.requireRoot("a SLURM test cluster (slurmd starts jobs as their users)")
        Self.removeStaleOnce()
        let hostName = try Self.shortHostName()
        let nodeNames = nodes == 1 ? [hostName] : (1...nodes).map { "n\($0)" }
        let cpus = options.cpusPerNode ?? ProcessInfoLite.activeProcessorCount
        let clusterName = "cmk\(getpid())x\(Self.counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        let directory = try DaemonProcess.makeTemporaryDirectory(prefix: "clustmake-slurm")

        var lastError: TestHarnessError?
        for attempt in 1...3 {
            do throws(TestHarnessError) {
                let layout = Layout(
                    directory: directory, clusterName: clusterName, hostName: hostName, nodeNames: nodeNames,
                    partition: options.partition, cpusPerNode: cpus,
                    memoryPerNode: max(1, Self.memoryMiB() / nodes), controllerPort: try DaemonProcess.freePort(),
                    nodePorts: try nodeNames.map { _ throws(TestHarnessError) in try DaemonProcess.freePort() },
                    extraConfiguration: options.extraConfiguration)
                if attempt > 1 { try Self.clearDirectory(directory) }
                try Self.writeFiles(layout)
                let daemons = try Self.startDaemons(layout, tools: tools, timeout: options.startupTimeout)
                self.options = options
                self.tools = tools
                self.layout = layout
                state = Mutex(State(daemons: daemons))
                return
            } catch {
                lastError = error
                guard error.details.contains("Address already in use") else { break }
            }
        }
        DaemonProcess.killProcesses(holdingFilesUnder: directory)
        try? FileManager.default.removeItem(atPath: directory)
        throw lastError ?? TestHarnessError(.setupFailed, "the SLURM test cluster did not start")
    }

    deinit { shutdown() }

    // MARK: - Commands

    /// Runs a command with ``environment`` in the cluster's directory and waits for it: `sbatch`, `squeue`,
    /// `scancel`, `srun`, `salloc`, `sinfo`, `scontrol`, or any program (`sh -c …`).
    /// - Parameters:
    ///   - arguments: The program and its arguments; SLURM's client commands are looked up by name.
    ///   - timeout: How long to wait; then its process group is killed.
    /// - Returns: The exit status and output.
    /// - Throws: ``TestHarnessError``: `.missingPrerequisite` (`slurm-client`), `.timedOut` with the output so
    ///   far and the daemons' logs.
    public func run(_ arguments: [String], timeout: Duration = .seconds(120)) throws(TestHarnessError)
        -> CommandResult
    {
        let command = try start(arguments)
        do throws(TestHarnessError) {
            return try command.wait(timeout: timeout)
        } catch {
            throw TestHarnessError(.timedOut, error.message, details: error.details + "\n" + logTail())
        }
    }

    /// Starts a command like ``run(_:timeout:)`` without waiting: an `salloc` that holds an allocation, an
    /// `srun` to cancel.
    /// - Parameter arguments: The program and its arguments.
    /// - Returns: The running command, in its own process group; `wait(timeout:)` reaps it, and dropping it
    ///   kills it.
    /// - Throws: ``TestHarnessError`` when the program cannot be found or started.
    public func start(_ arguments: [String]) throws(TestHarnessError) -> RunningCommand {
        guard let program = arguments.first else {
            throw TestHarnessError(.invalidArgument, "run(_:) and start(_:) need at least the program to run")
        }
        let resolved =
            Self.clientCommands.contains(program)
            ? try DaemonProcess.locate(
                program, package: "slurm-client", role: "the SLURM client commands (sbatch, squeue, sinfo, …)")
            : program
        let line = [tools.env, "-C", directory, "SLURM_CONF=\(configurationPath)", resolved] + arguments.dropFirst()
        do throws(TestHarnessError) {
            return try SSHTestCluster.spawn(line, directory: directory)
        } catch {
            throw TestHarnessError(.commandFailed, error.message, details: error.details)
        }
    }

    /// Submits a batch job: `sbatch --parsable ARGUMENTS`, and returns its id (`ID` or `ID;CLUSTER` printed).
    /// - Parameter arguments: sbatch's options and the script, or `["--wrap", "shell line"]`.
    /// - Returns: The SLURM job id.
    /// - Throws: ``TestHarnessError`` (`.commandFailed`, with sbatch's stderr and the logs) when sbatch fails.
    @discardableResult
    public func submit(_ arguments: [String]) throws(TestHarnessError) -> Int {
        let result = try run(["sbatch", "--parsable"] + arguments)
        let first = result.output.split(separator: "\n").first?.split(separator: ";").first
        guard result.succeeded, let id = first.flatMap({ Int($0) }) else {
            throw TestHarnessError(
                .commandFailed,
                "\(SSHTestCluster.shellLine(["sbatch", "--parsable"] + arguments)) exited with status "
                    + "\(result.status) and printed '\(result.output)'",
                details: result.stderr + "\n" + logTail())
        }
        return id
    }

    /// The jobs `squeue` lists (pending, running, completing), in its order.
    /// - Throws: ``TestHarnessError`` (`.commandFailed`) when squeue fails.
    public func queue() throws(TestHarnessError) -> [QueuedJob] {
        let result = try run(["squeue", "--noheader", "--format=%A\t%j\t%T\t%r\t%N"])
        guard result.succeeded else {
            throw TestHarnessError(
                .commandFailed, "squeue exited with status \(result.status)", details: result.stderr + "\n" + logTail())
        }
        // stdout, not the trimmed output: a pending job's empty node list ends its line with a tab.
        return result.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5, let id = Int(fields[0]) else { return nil }
            return QueuedJob(id: id, name: fields[1], state: fields[2], reason: fields[3], nodes: fields[4])
        }
    }

    /// What `scontrol show job ID` says, as `Key=Value` fields (`JobState`, `Reason`, `ExitCode`,
    /// `Dependency`, `NodeList`, …), or `nil` once SLURM has forgotten the job (`MinJobAge`, 10 minutes after it
    /// ended).
    /// - Parameter id: A job id.
    /// - Throws: ``TestHarnessError`` (`.commandFailed`) when scontrol fails for another reason.
    public func jobFields(_ id: Int) throws(TestHarnessError) -> [String: String]? {
        let result = try run(["scontrol", "--oneliner", "show", "job", String(id)])
        guard result.succeeded else {
            if result.stderr.contains("Invalid job id") { return nil }
            throw TestHarnessError(
                .commandFailed, "scontrol show job \(id) exited with status \(result.status)",
                details: result.stderr + "\n" + logTail())
        }
        var fields: [String: String] = [:]
        for word in result.output.split(separator: " ") {
            guard let equals = word.firstIndex(of: "=") else { continue }
            let key = String(word[..<equals])
            if fields[key] == nil { fields[key] = String(word[word.index(after: equals)...]) }
        }
        return fields
    }

    /// Each node's state as `sinfo` shows it: `idle`, `mixed`, `allocated`, `down`, …
    /// - Throws: ``TestHarnessError`` (`.commandFailed`) when sinfo fails (the controller does not answer).
    public func nodeStates() throws(TestHarnessError) -> [String: String] {
        let result = try run(["sinfo", "--noheader", "--Node", "--format=%N %T"])
        guard result.succeeded else {
            throw TestHarnessError(
                .commandFailed, "sinfo exited with status \(result.status)", details: result.stderr + "\n" + logTail())
        }
        return Self.parseNodeStates(result.output)
    }

    /// Waits until none of `ids` is in the queue any more (finished, failed, cancelled or removed).
    /// - Parameters:
    ///   - ids: Job ids.
    ///   - timeout: The bound.
    /// - Throws: ``TestHarnessError`` (`.timedOut`, with the queue and the logs).
    public func waitUntilGone(_ ids: [Int], timeout: Duration) async throws(TestHarnessError) {
        var last: [QueuedJob] = []
        try await TestWait.until(
            "jobs \(ids) leave the queue of \(clusterName)", timeout: timeout, interval: .milliseconds(200),
            details: { "queue: \(last)\n" + self.logTail() }
        ) { () throws(TestHarnessError) in
            last = try queue()
            return !last.contains { ids.contains($0.id) }
        }
    }

    /// Waits until `condition` holds for job `id`'s entry in the queue (`nil` once it left).
    /// - Parameters:
    ///   - id: A job id.
    ///   - what: What is awaited, for the message: `"running"`.
    ///   - timeout: The bound.
    ///   - condition: Whether the entry is what the test waits for.
    /// - Returns: The entry that satisfied `condition`.
    /// - Throws: ``TestHarnessError`` (`.timedOut`, with the queue and the logs).
    @discardableResult
    public func waitForJob(
        _ id: Int, _ what: String, timeout: Duration, _ condition: (QueuedJob?) -> Bool
    ) async throws(TestHarnessError) -> QueuedJob? {
        var last: [QueuedJob] = []
        return try await TestWait.value(
            "job \(id) of \(clusterName) \(what)", timeout: timeout, interval: .milliseconds(200),
            details: { "queue: \(last)\n" + self.logTail() }
        ) { () throws(TestHarnessError) -> QueuedJob?? in
            last = try queue()
            let entry = last.first { $0.id == id }
            return condition(entry) ? .some(entry) : nil
        }
    }

    /// Waits until every node is idle: after start-up, or when the jobs of a test are over.
    /// - Parameter timeout: The bound.
    /// - Throws: ``TestHarnessError`` (`.timedOut`, with the node states and the logs).
    public func waitUntilIdle(timeout: Duration) async throws(TestHarnessError) {
        var last: [String: String] = [:]
        try await TestWait.until(
            "every node of \(clusterName) idle", timeout: timeout, interval: .milliseconds(200),
            details: { "nodes: \(last)\n" + self.logTail() }
        ) { () throws(TestHarnessError) in
            last = try nodeStates()
            return nodeNames.allSatisfy { last[$0] == "idle" }
        }
    }

    /// The last lines of munged's, slurmctld's and every slurmd's log (slurmstepd writes to its node's), for
    /// failure messages.
    /// - Parameter lines: How many lines of each file.
    /// - Returns: The lines, each file under a heading.
    public func logTail(lines: Int = 30) -> String {
        Self.logTail(layout, lines: lines)
    }

    // MARK: - Shutting down

    /// Cancels every job (`scancel --partition`), waits up to 20 s for the queue to empty, stops slurmd,
    /// slurmctld and munged (SIGTERM, SIGKILL after 10 s), kills whatever still holds a file in the directory
    /// (a slurmstepd and its job), and removes the directory. Safe to call more than once; `deinit` calls it.
    public func shutdown() {
        let daemons = state.withLock { state in
            defer {
                state.shutDown = true
                state.daemons = []
            }
            return state.shutDown ? nil : state.daemons
        }
        guard let daemons else { return }
        // Reaped once here: a daemon that exited on its own is not signalled (its pid may be reused).
        let running = daemons.filter { !DaemonProcess.hasExited($0.pid) }
        if running.contains(where: { $0.label == "slurmctld" }) {
            if let cancelled = try? run(["scancel", "--partition=\(partition)"], timeout: .seconds(30)),
                cancelled.succeeded
            {
                _ = try? TestWait.blockingUntil(
                    "the queue empties", timeout: .seconds(20), interval: .milliseconds(200)
                ) { () throws(TestHarnessError) in try queue().isEmpty }
            }
        }
        for daemon in running.reversed() { DaemonProcess.terminate(daemon.pid) }
        DaemonProcess.killProcesses(holdingFilesUnder: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Stops what crashed test processes left: for every `/tmp/clustmake-slurm.*` directory whose creating
    /// process is gone, kills the processes holding files in it (its daemons, slurmstepd, jobs) and removes
    /// it. Clusters of live processes, this one included, are left alone.
    ///
    /// The first cluster a process makes calls this once; call it yourself to clean up by hand.
    /// - Returns: The directories removed.
    @discardableResult
    public static func removeStale() -> [String] {
        var removed: [String] = []
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for entry in entries.sorted() where entry.hasPrefix("clustmake-slurm.") {
            let path = "/tmp/" + entry
            guard let pid = DaemonProcess.pid(inFile: path + "/owner.pid"), !DaemonProcess.isAlive(pid) else {
                continue
            }
            DaemonProcess.killProcesses(holdingFilesUnder: path)
            try? FileManager.default.removeItem(atPath: path)
            removed.append(path)
        }
        return removed
    }

    /// Runs ``removeStale()`` the first time it is called in this process.
    static func removeStaleOnce() { _ = staleRemoval }
    private static let staleRemoval: [String] = removeStale()

    // MARK: - Starting

    /// Starts munged, slurmctld and the slurmds, and waits until every node is idle. On failure, stops what
    /// it started.
    private static func startDaemons(_ layout: Layout, tools: Tools, timeout: Duration)
        throws(TestHarnessError) -> [(label: String, pid: pid_t)]
    {
        var daemons: [(label: String, pid: pid_t)] = []
        let environment = Spawn.environment(setting: ["SLURM_CONF": layout.configuration])
        do throws(TestHarnessError) {
            let clock = ContinuousClock()
            let deadline = clock.now + timeout
            let munged = try DaemonProcess.launch(
                [
                    tools.munged, "--foreground", "--socket=\(layout.mungeSocket)", "--key-file=\(layout.mungeKey)",
                    "--pid-file=\(layout.directory)/munged.pid", "--log-file=\(layout.directory)/munged.log",
                    "--seed-file=\(layout.directory)/munged.seed",
                ], output: layout.mungeOutput, environment: environment)
            daemons.append(("munged", munged))
            try TestWait.blockingUntil(
                "munged listens on \(layout.mungeSocket)", timeout: max(deadline - clock.now, .zero),
                interval: .milliseconds(20), details: { logTail(layout, lines: 30) }
            ) { () throws(TestHarnessError) in
                try checkRunning(daemons, layout)
                return access(layout.mungeSocket, F_OK) == 0
            }
            let controller = try DaemonProcess.launch(
                [tools.slurmctld, "-D", "-f", layout.configuration], output: layout.controllerOutput,
                environment: environment)
            daemons.append(("slurmctld", controller))
            for node in layout.nodeNames {
                let pid = try DaemonProcess.launch(
                    [tools.slurmd, "-D", "-f", layout.configuration, "-N", node], output: layout.nodeOutput(node),
                    environment: environment)
                daemons.append(("slurmd \(node)", pid))
            }
            try waitUntilIdle(layout, tools: tools, timeout: max(deadline - clock.now, .zero)) { daemons }
            return daemons
        } catch {
            for daemon in daemons.reversed() { DaemonProcess.terminate(daemon.pid, grace: .seconds(5)) }
            DaemonProcess.killProcesses(holdingFilesUnder: layout.directory)
            throw error
        }
    }

    /// Polls `sinfo` until every node of `layout` is idle; fails early when one of `daemons()` exited.
    private static func waitUntilIdle(
        _ layout: Layout, tools: Tools, timeout: Duration, daemons: () -> [(label: String, pid: pid_t)]
    ) throws(TestHarnessError) {
        var last = "(sinfo not run yet)"
        try TestWait.blockingUntil(
            "every node of SLURM test cluster \(layout.clusterName) (\(layout.nodeNames.joined(separator: ", "))) "
                + "idle", timeout: timeout, interval: .milliseconds(200),
            details: { "last sinfo: \(last)\n" + logTail(layout, lines: 30) }
        ) { () throws(TestHarnessError) in
            try checkRunning(daemons(), layout)
            let arguments = [
                tools.env, "SLURM_CONF=\(layout.configuration)", tools.sinfo, "--noheader", "--Node", "--format=%N %T",
            ]
            let result: CommandResult
            do throws(TestHarnessError) {
                result = try SSHTestCluster.spawn(arguments, directory: layout.directory).wait(timeout: .seconds(60))
            } catch {
                throw TestHarnessError(.setupFailed, error.message, details: error.details)
            }
            last = SSHTestCluster.trimmingTrailingWhitespace(result.stdout + result.stderr)
            guard result.succeeded else { return false }
            let states = parseNodeStates(result.output)
            return layout.nodeNames.allSatisfy { states[$0] == "idle" }
        }
    }

    /// Throws `.setupFailed` with the logs when one of `daemons` has exited.
    private static func checkRunning(_ daemons: [(label: String, pid: pid_t)], _ layout: Layout)
        throws(TestHarnessError)
    {
        for daemon in daemons where DaemonProcess.hasExited(daemon.pid) {
            throw TestHarnessError(
                .setupFailed,
                "\(daemon.label) of SLURM test cluster \(layout.clusterName) exited during start-up (see its log "
                    + "below; \(layout.configuration) is the configuration)",
                details: logTail(layout, lines: 30))
        }
    }

    /// `sinfo -N -o "%N %T"` output as node → state (a node in several partitions is listed once per
    /// partition; the states agree). sinfo marks states with `*` (not responding), `~` (powered off), …
    static func parseNodeStates(_ output: String) -> [String: String] {
        var states: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2 else { continue }
            states[String(fields[0])] = String(fields[1])
        }
        return states
    }

    /// Empties `directory` for another start-up attempt (the owner file is written again).
    private static func clearDirectory(_ directory: String) throws(TestHarnessError) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for entry in entries {
            do { try FileManager.default.removeItem(atPath: directory + "/" + entry) } catch {
                throw TestHarnessError(.setupFailed, "cannot empty \(directory) for another start: \(error)")
            }
        }
    }

    static func logTail(_ layout: Layout, lines: Int) -> String {
        // Before a daemon opens its log (a bad configuration line), it writes to its stderr only (the .out).
        var files = [layout.mungeOutput]
        for (log, output) in [(layout.controllerLog, layout.controllerOutput)]
            + layout.nodeNames.map({ (layout.nodeLog($0), layout.nodeOutput($0)) })
        {
            files.append(access(log, F_OK) == 0 ? log : output)
        }
        return files.map { DaemonProcess.tail($0, lines: lines) }.joined(separator: "\n")
    }
}
