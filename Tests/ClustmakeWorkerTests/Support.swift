import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A redis-server with a graph pushed into namespace "ns", a temporary directory, and the means to run the built
/// `compmake` against them. Both go away with the fixture.
final class WorkerFixture {
    let server: RedisServer
    let store: JobStore
    let namespace: String
    let directory: String

    init(_ jobs: [Job], namespace: String = "ns", options: RedisServer.Options = RedisServer.Options()) throws {
        server = try RedisServer(options)
        store = try JobStore(connection: try server.connect(), namespace: namespace)
        self.namespace = namespace
        directory = try makeTemporaryDirectory()
        if !jobs.isEmpty { try store.push(try JobGraph(jobs: jobs), pushedBy: "test") }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `--redis_host` for this server.
    var redisHost: String { "127.0.0.1:\(server.port)" }

    /// Starts `compmake … --slave NS make_single [more=…] [wait=…] JOBS`.
    func start(
        _ jobs: [String], more: Bool = false, wait: Double? = nil, options: [String] = [],
        environment: [String: String] = [:], standardInput: String? = nil, hostname: String = "nodeA",
        redisHost: String? = nil, stdoutPipe: Bool = false
    ) throws -> WorkerProcess {
        var words = [
            "--hostname=\(hostname)", "--db=redis", "--redis_host=\(redisHost ?? self.redisHost)",
            "--save_progress=False", "--lease_ttl=3", "--kill_grace=1", "--redis_retry=5",
        ]
        words += options
        words += ["--slave", namespace, "make_single", more ? "more=True" : "more=False"]
        if let wait { words.append("wait=\(wait)") }
        words += jobs
        return try WorkerProcess(
            arguments: words, environment: environment, standardInput: standardInput, directory: directory,
            stdoutPipe: stdoutPipe)
    }

    /// Runs the worker to the end.
    func run(
        _ jobs: [String], more: Bool = false, wait: Double? = nil, options: [String] = [],
        environment: [String: String] = [:], standardInput: String? = nil, redisHost: String? = nil
    ) throws -> WorkerProcess.Finished {
        try start(
            jobs, more: more, wait: wait, options: options, environment: environment, standardInput: standardInput,
            redisHost: redisHost
        ).finish()
    }

    /// A file in this fixture's temporary directory.
    func path(_ name: String) -> String { directory + "/" + name }

    /// Whether a client of the server is blocked reading the event stream (`XREAD … BLOCK`), as a worker waiting
    /// for its dependencies is, its signal handling in place (`CLIENT LIST`: `flags=b`, `cmd=xread`).
    var workerWaitsForEvents: Bool {
        let clients = (try? server.connect().command("CLIENT", "LIST").string) ?? ""
        return clients.split(separator: "\n").contains { $0.contains(" flags=b ") && $0.contains(" cmd=xread ") }
    }

    /// The scripts redis ran since `CONFIG RESETSTAT` (`INFO commandstats`): EVALSHA and EVAL calls, less those it
    /// answered NOSCRIPT (not run; the source followed with EVAL).
    func scriptRuns() throws -> Int {
        guard let stats = try server.connect().command("INFO", "commandstats").string else { return -1 }
        var runs = 0
        for line in stats.split(separator: "\r\n") where line.hasPrefix("cmdstat_eval") {
            var fields: [String: Int] = [:]
            for part in line.split(separator: ":").last!.split(separator: ",") {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = Int(pair[1]) }
            }
            runs += (fields["calls"] ?? 0) - (fields["failed_calls"] ?? 0)
        }
        return runs
    }

    /// Polls `condition` every 10 ms for up to `timeout` seconds.
    func eventually(_ timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(10_000)
        }
        return try condition()
    }
}

/// The built `compmake`, run as a child of the test with its output in files.
final class WorkerProcess {
    struct Finished {
        var status: Int32
        var signal: Int32?
        var stdout: String
        var stderr: String
        /// The worker's own peak RSS (and that of children it waited for), in bytes.
        var maxRSS: Int
        var seconds: Double
    }

    let pid: pid_t
    let stdoutFile: String
    let stderrFile: String
    /// The read end of the worker's stdout when it is a pipe.
    var stdoutRead: Int32 = -1
    private let started = Date()

    /// The `compmake` next to the test bundle.
    static let executable: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = bundle.appendingPathComponent("compmake").path
        if !FileManager.default.isExecutableFile(atPath: candidate) {
            // swift test runs the bundle from …/debug/X.xctest on some setups.
            candidate = bundle.deletingLastPathComponent().appendingPathComponent("compmake").path
        }
        return candidate
    }()

    init(
        arguments: [String], environment: [String: String], standardInput: String?, directory: String,
        stdoutPipe: Bool
    ) throws {
        let tag = "\(UInt32.random(in: 0...UInt32.max))"
        stdoutFile = "\(directory)/worker-\(tag).out"
        stderrFile = "\(directory)/worker-\(tag).err"
        var inputPipe: [Int32] = [-1, -1]
        var outputPipe: [Int32] = [-1, -1]
        if standardInput != nil {
            guard pipe(&inputPipe) == 0 else { throw POSIXError(.EMFILE) }
        }
        if stdoutPipe {
            guard pipe(&outputPipe) == 0 else { throw POSIXError(.EMFILE) }
        }
        // HOME here: no stray ~/.config/clustmake/redis-password; the test's own variables win.
        let settings = ["HOME": directory].merging(environment) { $1 }
        let spawned = Spawn.process(
            [Self.executable] + arguments,
            standardInput: standardInput == nil ? .null : .descriptor(inputPipe[0]),
            standardOutput: stdoutPipe ? .descriptor(outputPipe[1]) : .file(stdoutFile, append: false),
            standardError: .file(stderrFile, append: false),
            environment: Spawn.environment(setting: settings, removing: ["REDISCLI_AUTH", "XDG_CONFIG_HOME"]))
        let pid: pid_t
        switch spawned {
        case .success(let child): pid = child
        case .failure(let error): throw POSIXError(POSIXErrorCode(rawValue: error.code) ?? .ENOENT)
        }
        self.pid = pid
        if let standardInput {
            close(inputPipe[0])
            _ = standardInput.withCString { write(inputPipe[1], $0, strlen($0)) }
            close(inputPipe[1])
        }
        if stdoutPipe {
            close(outputPipe[1])
            stdoutRead = outputPipe[0]
        }
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// What the worker wrote to stderr so far.
    var stderrSoFar: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    /// Waits for the worker to exit (killing it after `timeout` seconds, which fails the test).
    func finish(timeout: Double = 30, sourceLocation: SourceLocation = #_sourceLocation) -> Finished {
        var status: Int32 = 0
        var usage = rusage()
        let deadline = Date().addingTimeInterval(timeout)
        while wait4(pid, &status, WNOHANG, &usage) == 0 {
            if Date() > deadline {
                Issue.record("the worker did not exit within \(timeout) s; killing it", sourceLocation: sourceLocation)
                kill(pid, SIGKILL)
                wait4(pid, &status, 0, &usage)
                break
            }
            usleep(2_000)
        }
        if stdoutRead >= 0 { close(stdoutRead) }
        let exited = status & 0x7f == 0
        return Finished(
            status: exited ? (status >> 8) & 0xff : -1, signal: exited ? nil : status & 0x7f,
            stdout: (try? String(contentsOfFile: stdoutFile, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "",
            maxRSS: usage.ru_maxrss * 1024, seconds: Date().timeIntervalSince(started))
    }
}

func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/clustmake-worker-test.XXXXXX".utf8CString)
    guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw POSIXError(.EACCES)
    }
    return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func shell(
    _ id: String, _ command: String, deps: [String] = [], timeout: Double? = nil, cwd: String? = nil,
    env: [String: String] = [:], nice: Int? = nil
) -> Job {
    Job(
        id: id, command: .shell(command), deps: deps, cwd: cwd,
        env: env.sorted { $0.key < $1.key }.map { Job.EnvironmentVariable(name: $0.key, value: $0.value) }, nice: nice,
        timeout: timeout)
}

/// Writes `text` to `path` with `mode`.
func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    chmod(path, mode)
}
