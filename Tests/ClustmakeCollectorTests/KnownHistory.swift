import ClustmakeModel
import ClustmakeStore

/// A small run with every outcome, recorded with fixed times through the worker's API (``HistoryWriter``):
///
/// ```
/// n1: fetch [0, 2]          test [6.2, 9.2]   flaky [9.5, 10] interrupted
/// n1:   build#1 [2.5, 3.5] failed (exit 3)
/// n2: slow [0, 5] timed out     build#2 [4, 6]   lostjob [6.5, …] lost at 8
/// report: blocked by slow; never: not started
/// ```
enum KnownHistory {
    static let namespace = "known"

    static func graph() throws -> JobGraph {
        try JobGraph(
            namespace: namespace,
            jobs: [
                Job(id: "fetch", command: .shell("curl -o data.bin https://example.org/data"), cost: 2, tags: ["io"]),
                Job(id: "build", command: .argv(["make", "-C", "src dir"]), deps: ["fetch"], cost: 2, tags: ["cpu"]),
                Job(id: "test", command: .shell("make test"), deps: ["build"], cost: 3, tags: ["cpu"]),
                Job(id: "slow", command: .shell("sleep 100"), cost: 4, timeout: 5),
                Job(id: "flaky", command: .shell("./flaky.sh"), cost: 1),
                Job(id: "lostjob", command: .shell("./long.sh"), cost: 2),
                Job(id: "report", command: .shell("./report.sh"), deps: ["slow"], cost: 1),
                Job(id: "never", command: .shell("true"), deps: ["report"], cost: 1),
            ])
    }

    static func record(with writer: HistoryWriter) throws {
        try writer.run("fetch", on: "n1", at: 0, for: 2, stdout: "fetched 1024 bytes\n", cpu: 0.5, rss: 8_388_608)
        try writer.run(
            "slow", on: "n2", at: 0, for: 5, .failed, signal: 15, timedOut: true,
            reason: "timed out after 5 s; the worker stopped it (killed by signal 15 (SIGTERM))",
            stdout: "sleeping\n", cpu: 0.01)
        try writer.run(
            "build", on: "n1", at: 2.5, for: 1, .failed, exit: 3, stdout: "cc -c main.c\n",
            stderr: "main.c:1: error: missing header\nmake: *** [main.o] Error 1\n")
        try writer.run("build", on: "n2", at: 4, for: 2, stdout: "cc -c main.c\nld -o app\n", rss: 50_331_648)
        try writer.run("test", on: "n1", at: 6.2, for: 3, stdout: "12 tests passed\n")
        try writer.run(
            "flaky", on: "n1", at: 9.5, for: 0.5, .interrupted, signal: 2,
            reason: "the worker was interrupted (SIGINT) and stopped the job")
        try writer.lose("lostjob", on: "n2", at: 6.5, lostAt: 8)
        try writer.block("report", on: "n2")
    }
}
