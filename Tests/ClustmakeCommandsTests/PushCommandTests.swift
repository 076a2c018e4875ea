import ArgumentParser
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

@testable import ClustmakeCommands

/// `clustmake push` against a real redis-server, run in-process.
@Suite struct PushCommandTests {
    static func graphFile(_ directory: URL, _ jobs: String) throws -> String {
        let path = directory.appendingPathComponent("jobs.json").path
        try "{\"namespace\": \"demo\", \"jobs\": [\(jobs)]}".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clustmake-push-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("push loads the graph, a second push changes nothing, a changed push is written")
    func push() async throws {
        let server = try RedisServer()
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "redis://127.0.0.1:\(server.port)/0"
        let file = try Self.graphFile(
            directory, #"{"id": "a", "command": "true"}, {"id": "b", "command": "true", "deps": ["a"]}"#)
        #expect(await CommandLineTool.run(PushCommand.self, arguments: [file, "--redis", url], name: "clustmake") == 0)
        let store = try JobStore(connection: try server.connect(), namespace: "demo")
        #expect(try store.jobIDs() == ["a", "b"])
        #expect(await CommandLineTool.run(PushCommand.self, arguments: [file, "--redis", url], name: "clustmake") == 0)
        #expect(try store.metadata().pushes == 1)
        _ = try Self.graphFile(
            directory, #"{"id": "a", "command": "echo changed"}, {"id": "b", "command": "true", "deps": ["a"]}"#)
        #expect(
            await CommandLineTool.run(
                PushCommand.self, arguments: [file, "--redis", url, "--dry-run"], name: "clustmake") == 0)
        #expect(try store.job("a").job.command == .shell("true"))
        #expect(await CommandLineTool.run(PushCommand.self, arguments: [file, "--redis", url], name: "clustmake") == 0)
        #expect(try store.job("a").job.command == .shell("echo changed"))
        #expect(try store.metadata().pushes == 2)
    }

    @Test("a push that would change a running job fails unless --force")
    func refused() async throws {
        let server = try RedisServer()
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "redis://127.0.0.1:\(server.port)/0"
        let file = try Self.graphFile(directory, #"{"id": "a", "command": "true"}"#)
        #expect(await CommandLineTool.run(PushCommand.self, arguments: [file, "--redis", url], name: "clustmake") == 0)
        let store = try JobStore(connection: try server.connect(), namespace: "demo")
        _ = try store.acquire(
            "a", more: false,
            request: LeaseRequest(
                token: "t", ttl: .seconds(30), host: "h", nodename: "n", workerPID: 1, workerVersion: "v"))
        _ = try Self.graphFile(directory, #"{"id": "a", "command": "false"}"#)
        #expect(await CommandLineTool.run(PushCommand.self, arguments: [file, "--redis", url], name: "clustmake") == 1)
        #expect(try store.job("a").job.command == .shell("true"))
        #expect(
            await CommandLineTool.run(
                PushCommand.self, arguments: [file, "--redis", url, "--force"], name: "clustmake") == 0)
        #expect(try store.job("a").job.command == .shell("false"))
    }

    @Test("the password comes from a private file or REDISCLI_AUTH; a file others can read is bad input")
    func password() async throws {
        let server = try RedisServer(RedisServer.Options(password: "s3cret-pw"))
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = "redis://127.0.0.1:\(server.port)/0"
        let file = try Self.graphFile(directory, #"{"id": "a", "command": "true"}"#)
        let passwordFile = directory.appendingPathComponent("pw").path
        try "s3cret-pw\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile, 0o644)
        let loose = await CommandLineTool.run(
            PushCommand.self, arguments: [file, "--redis", url, "--redis-password-file", passwordFile],
            name: "clustmake")
        #expect(loose == CommandLineTool.badInputStatus)
        chmod(passwordFile, 0o600)
        let ok = await CommandLineTool.run(
            PushCommand.self, arguments: [file, "--redis", url, "--redis-password-file", passwordFile],
            name: "clustmake")
        #expect(ok == 0)
        let options = try RedisOptions.parse(["--redis", url, "--redis-password-file", passwordFile])
        #expect(try options.endpoint(default: nil).password == "s3cret-pw")
        let conflicting = try RedisOptions.parse(["--redis", "redis://:x@h:1", "--redis-password-file", passwordFile])
        #expect(throws: InputError.self) { try conflicting.endpoint(default: nil) }
        // REDISCLI_AUTH, from an environment of the test's own (setenv would reach the other tests of this process).
        let environment = { (name: String) in name == RedisOptions.passwordVariable ? "from-env" : nil }
        #expect(
            try RedisOptions.parse([]).endpoint(default: "redis://db:6380/0", environment: environment).password
                == "from-env")
        #expect(
            try RedisOptions.parse([]).endpoint(default: "redis://:inline@db:6380/0", environment: environment)
                .password == "inline")
    }
}

@Suite struct HostsCommandFormatTests {
    @Test("check durations of a second and more keep their seconds (2.35 s is 2350 ms, shown 2.35 s)")
    func durations() {
        #expect(Duration.milliseconds(2350).inSeconds == 2.35)
        #expect(Duration.milliseconds(26).inSeconds == 0.026)
        #expect(Format.seconds(Duration.milliseconds(2350)) == "2.35 s")
        #expect(Format.seconds(Duration.milliseconds(350)) == "0.35 s")
    }
}
