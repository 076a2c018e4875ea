import ClustmakeModel
import ClustmakePlanner
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

/// Plans built by hand for the tests (the real planner is written elsewhere): a list scheduler that puts each job,
/// in topological order, on the slot where it can finish first.
enum Plans {
    /// Plans `graph` on `cluster` greedily.
    static func greedy(_ graph: JobGraph, on cluster: Cluster) -> Plan {
        let slots = cluster.slots
        var free = [Double](repeating: 0, count: slots.count)
        var sequences = [[Int32]](repeating: [], count: slots.count)
        var placements = [Plan.Placement](
            repeating: .init(slot: 0, order: 0, start: 0, end: 0), count: graph.count)
        let costs = graph.jobs.map(\.cost)
        for job in graph.topologicalOrder.map(Int.init) {
            let ready = graph.predecessors[job].map { placements[Int($0)].end }.max() ?? 0
            var best = 0
            var bestEnd = Double.infinity
            for (index, slot) in slots.enumerated() {
                let end = max(ready, free[index]) + costs[job] / cluster.hosts[slot.host].speed
                if end < bestEnd {
                    best = index
                    bestEnd = end
                }
            }
            let start = max(ready, free[best])
            placements[job] = .init(slot: Int32(best), order: Int32(sequences[best].count), start: start, end: bestEnd)
            sequences[best].append(Int32(job))
            free[best] = bestEnd
        }
        // The critical path: the chain of dependencies with the largest total cost.
        var longest = [Double](repeating: 0, count: graph.count)
        var previous = [Int](repeating: -1, count: graph.count)
        for job in graph.topologicalOrder.map(Int.init) {
            longest[job] = costs[job]
            for dep in graph.predecessors[job].map(Int.init) where longest[dep] + costs[job] > longest[job] {
                longest[job] = longest[dep] + costs[job]
                previous[job] = dep
            }
        }
        var path: [Int32] = []
        var cursor = longest.indices.max { longest[$0] < longest[$1] } ?? -1
        while cursor >= 0 {
            path.append(Int32(cursor))
            cursor = previous[cursor]
        }
        let fastest = cluster.hosts.map(\.speed).max() ?? 1
        let capacity = slots.reduce(0.0) { $0 + cluster.hosts[$1.host].speed }
        let bound = max((longest.max() ?? 0) / fastest, costs.reduce(0, +) / capacity)
        return Plan(
            graph: graph, cluster: cluster, slots: slots, costs: costs, placements: placements, sequences: sequences,
            makespan: free.max() ?? 0, lowerBound: bound, criticalPath: path.reversed())
    }

    /// Jobs with the given ids and dependencies (`"b": ["a"]`), in the order given.
    static func graph(_ jobs: KeyValuePairs<String, [String]>, namespace: String? = "demo", cost: Double = 1) throws
        -> JobGraph
    {
        try JobGraph(
            namespace: namespace,
            jobs: jobs.map { Job(id: $0.key, command: .shell("run \($0.key)"), deps: $0.value, cost: cost) })
    }

    /// A small plan on two remote hosts and an idle one: the snapshot plan.
    static func small() throws -> Plan {
        let graph = try JobGraph(
            namespace: "demo",
            jobs: [
                Job(id: "prepare", command: .shell("make prepare"), cost: 2),
                Job(id: "fit-1", command: .shell("fit 1"), deps: ["prepare"], cost: 5),
                Job(id: "fit-2", command: .shell("fit 2"), deps: ["prepare"], cost: 4, nice: 19),
                Job(id: "fit-3", command: .shell("fit 3"), deps: ["prepare"], cost: 3),
                Job(id: "report", command: .shell("report"), deps: ["fit-1", "fit-2", "fit-3"], cost: 1),
            ])
        let cluster = Cluster(
            hosts: [
                Host(name: "nessa", address: "nessa.cds.caltech.edu", processors: 2, worker: "compmake"),
                Host(name: "lab2", address: "10.0.0.2", username: "alice", processors: 1, port: 2222),
                Host(name: "spare", processors: 1),
            ],
            redis: .init(url: "redis://redisdb:6379/0"))
        return greedy(graph, on: cluster)
    }
}

extension Plan {
    /// The same plan on another version of its cluster (same hosts and slots, other settings).
    func with(cluster: Cluster) -> Plan {
        Plan(
            graph: graph, cluster: cluster, slots: slots, costs: costs, placements: placements, sequences: sequences,
            makespan: makespan, lowerBound: lowerBound, criticalPath: criticalPath)
    }

    /// The same plan with its cluster changed by `change`.
    func changingCluster(_ change: (inout Cluster) -> Void) -> Plan {
        var cluster = cluster
        change(&cluster)
        return with(cluster: cluster)
    }
}

/// Runs programs for the tests, with output collected in files (no pipes that could fill up).
///
/// Spawned with posix_spawn, an empty signal mask and default signal actions: the test runner blocks most signals
/// in its threads, and a shell that inherits a blocked SIGCHLD waits forever (Foundation's `Process` passes the
/// mask on).
enum Shell {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A started process.
    final class Child {
        let processIdentifier: pid_t
        private var status: Int32?

        init(_ pid: pid_t) { processIdentifier = pid }

        /// Kills whatever is left of the process group: nothing outlives its test.
        deinit {
            kill(-processIdentifier, SIGKILL)
            if status == nil { waitUntilExit() }
        }

        /// Whether the process is still running (reaps it when it has ended).
        var isRunning: Bool {
            if status != nil { return false }
            var raw: Int32 = 0
            let result = waitpid(processIdentifier, &raw, WNOHANG)
            if result == processIdentifier { status = Self.decode(raw) }
            return status == nil && result == 0
        }

        /// The exit status, or 128 + the signal number for a process killed by a signal.
        var terminationStatus: Int32 { status ?? -1 }

        func waitUntilExit() {
            guard status == nil else { return }
            var raw: Int32 = 0
            while waitpid(processIdentifier, &raw, 0) < 0 && errno == EINTR {}
            status = Self.decode(raw)
        }

        private static func decode(_ raw: Int32) -> Int32 {
            raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        }
    }

    /// Runs `argv` (the program found on PATH unless absolute) and waits for it.
    static func run(
        _ argv: [String], environment: [String: String] = [:], directory: String? = nil
    ) throws -> Result {
        let scratch = try TemporaryDirectory()
        let child = try start(argv, environment: environment, directory: directory, outputIn: scratch.path)
        child.waitUntilExit()
        return Result(
            status: child.terminationStatus,
            stdout: (try? String(contentsOfFile: scratch.path + "/stdout", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: scratch.path + "/stderr", encoding: .utf8)) ?? "")
    }

    /// Starts `argv` with stdin from /dev/null, stdout and stderr going to `output/stdout` and `output/stderr`.
    static func start(
        _ argv: [String], environment: [String: String] = [:], directory: String? = nil, outputIn output: String
    ) throws -> Child {
        var arguments = ["/usr/bin/env"]
        if let directory { arguments += ["-C", directory] }
        arguments += argv
        // Its own process group, so that a test that fails half-way can still stop everything it started.
        switch Spawn.process(
            arguments, standardOutput: .file(output + "/stdout", append: false),
            standardError: .file(output + "/stderr", append: false),
            environment: Spawn.environment(setting: environment), newProcessGroup: true)
        {
        case .success(let pid): return Child(pid)
        case .failure(let error): throw POSIXError(POSIXErrorCode(rawValue: error.code) ?? .EIO)
        }
    }
}

/// A directory that is removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "clustmake-scripts-tests") throws {
        var template = Array("\(NSTemporaryDirectory())/\(label).XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` to `name` inside the directory (creating subdirectories) and returns the file's path.
    @discardableResult
    func write(_ text: String, to name: String, mode: Int = 0o644) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path + "/" + name, encoding: .utf8)
    }
}

/// Snapshot files in `Snapshots/` next to this file; `CLUSTMAKE_RECORD_SNAPSHOTS=1` re-records them.
enum Snapshot {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots"
    ).path

    /// Compares `actual` with the snapshot `name`, or records it.
    static func check(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        SnapshotFile.check(actual, path: directory + "/" + name, sourceLocation: sourceLocation)
    }
}

/// The repository's `templates/` directory.
let repositoryTemplates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("templates").path
