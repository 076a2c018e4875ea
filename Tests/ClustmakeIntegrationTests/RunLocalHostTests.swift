import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

/// `clustmake run` checks `local: true` hosts before it starts, as it checks remote ones, and runs the worker that
/// `clustmake hosts install` put there.
@Suite struct RunLocalHostTests {
    @Test(
        "a local host without a worker is left out before the run; after hosts install the run uses the installed one")
    func localHostWithoutWorker() async throws {
        let redis = try RedisServer()
        let directory = try Clustmake.temporaryDirectory(prefix: "clustmake-local-host")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // hosts install copies into $XDG_DATA_HOME/clustmake/VERSION: a directory of this test's own.
        let environment = ["XDG_DATA_HOME": directory + "/data"]
        let cluster = directory + "/cluster.yaml"
        try """
        hosts:
          here: {host: localhost, local: true, processors: 2, worker: \(directory)/missing/compmake}
        """.write(toFile: cluster, atomically: true, encoding: .utf8)
        try #"{"jobs": [{"id": "a", "command": "true"}, {"id": "b", "command": "echo b", "deps": ["a"]}]}"#.write(
            toFile: directory + "/jobs.json", atomically: true, encoding: .utf8)
        let namespace = "local-host-\(getpid())"
        let arguments = [
            "run", "jobs.json", "--cluster", cluster, "--redis", "127.0.0.1:\(redis.port)", "--namespace", namespace,
        ]

        let refused = try await Clustmake.run(arguments, in: directory, environment: environment)
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(
            refused.stderr.contains("host here left out of the run: worker: no worker of version"), "\(refused.stderr)")
        #expect(refused.stderr.contains("Fix: Run clustmake hosts install"), "\(refused.stderr)")
        #expect(refused.stderr.contains("no host passed the check"), "\(refused.stderr)")
        // Nothing was dispatched to the host that cannot run a worker.
        #expect(!refused.stderr.contains("status 127"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("answers again"), "\(refused.stderr)")

        let install = try await Clustmake.run(
            ["hosts", "install", "--cluster", cluster, "--worker-binary", HostsFixture.worker], in: directory,
            environment: environment)
        #expect(install.status == 0, "\(install.stdout)\(install.stderr)")
        let installed = directory + "/data/clustmake/\(ClustmakeVersion.current)/compmake"
        #expect(FileManager.default.isExecutableFile(atPath: installed))

        let run = try await Clustmake.run(arguments, in: directory, environment: environment)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stderr.contains("left out"), "\(run.stderr)")
        let store = try JobStore(connection: try redis.connect(), namespace: namespace)
        #expect(try store.states() == ["a": .done, "b": .done])
        #expect(try store.attempts(of: "b").map(\.host) == ["here"])
    }
}
