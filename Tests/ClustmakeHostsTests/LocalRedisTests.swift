import ClustmakeHosts
import ClustmakeRedis
import Foundation
import Glibc
import Testing

/// The embedded redis: a real `redis-server` per test, in a temporary state directory.
@Suite struct LocalRedisTests {
    @Test("ensureRunning starts a server on a unix socket with a password from a 0600 file, and reuses it")
    func startAndReuse() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path + "/.clustmake")
        try await stopping(local) {
            let first = try await local.ensureRunning()
            #expect(first.started)
            #expect(first.endpoint.address == .unix(path: state.path + "/.clustmake/redis/redis.sock"))
            let password = try #require(first.endpoint.password)
            #expect(password.count == 32)
            #expect(try mode(of: local.passwordFile) == 0o600)
            #expect(try mode(of: local.configFile) == 0o600)
            #expect(try mode(of: local.directory) == 0o700)
            #expect(try String(contentsOfFile: local.passwordFile, encoding: .utf8) == password + "\n")

            // No TCP port, and the password is required.
            let info = try withRedisConnection(to: first.endpoint) { try $0.command("CONFIG", "GET", "port").array }
            #expect(info?.last?.string == "0")
            #expect(throws: RedisError.self) {
                try withRedisConnection(to: first.endpoint.withPassword(nil)) { try $0.command("GET", "x") }
            }

            let second = try await local.ensureRunning()
            #expect(!second.started)
            #expect(second.pid == first.pid)
            #expect(second.endpoint == first.endpoint)
            #expect(try local.endpoint() == first.endpoint)
        }
    }

    @Test("data survives stop and start (append-only file); status tells running from stopped")
    func persistence() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path)
        try await stopping(local) {
            #expect(await local.status().running == false)
            #expect(try await local.stop() == false)
            let running = try await local.ensureRunning()
            _ = try withRedisConnection(to: running.endpoint) { try $0.command("SET", "clustmake:test", "kept") }
            let status = await local.status()
            #expect(status.running)
            #expect(status.pid == running.pid)
            #expect(status.keys == 1)
            #expect(status.version?.isEmpty == false)
            #expect(status.socketPath == local.socketPath)

            #expect(try await local.stop() == true)
            #expect(!isRunning(running.pid))
            #expect(await local.status().running == false)
            #expect(access(local.socketPath, F_OK) != 0)

            let again = try await local.ensureRunning()
            #expect(again.started)
            #expect(again.endpoint.password == running.endpoint.password)
            let value = try withRedisConnection(to: again.endpoint) { try $0.command("GET", "clustmake:test").string }
            #expect(value == "kept")
        }
    }

    @Test("two commands starting it at once get one server")
    func concurrentStarts() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path)
        try await stopping(local) {
            async let first = local.ensureRunning()
            async let second = local.ensureRunning()
            let (a, b) = try await (first, second)
            #expect(a.pid == b.pid)
            #expect(a.started != b.started)
        }
    }

    @Test("a state directory too deep for a socket path gets its socket under /tmp, the same one every time")
    func longPath() async throws {
        let state = try TemporaryDirectory()
        let deep = state.path + "/" + String(repeating: "d", count: 100)
        let local = try LocalRedis(stateDirectory: deep)
        try await stopping(local) {
            #expect(local.socketPath.hasPrefix("/tmp/clustmake-redis-\(getuid())/"))
            #expect(local.socketPath == (try LocalRedis(stateDirectory: deep)).socketPath)
            #expect(local.socketPath != (try LocalRedis(stateDirectory: state.path)).socketPath)
            let running = try await local.ensureRunning()
            #expect(try withRedisConnection(to: running.endpoint) { try $0.command("PING") } == .status("PONG"))
        }
    }

    @Test("a server loading its data set for longer than the timeout is waited for while it answers LOADING")
    func slowLoading() async throws {
        let state = try TemporaryDirectory()
        // The real redis-server, made to load each key 100 µs slowly (and to answer between keys): 20,000 keys
        // take it 2 s and more to read back, ten times the timeout below.
        let server = state.path + "/slow-redis-server"
        try """
        #!/bin/sh
        exec redis-server "$@" --key-load-delay 100 --loading-process-events-interval-bytes 1024

        """.write(toFile: server, atomically: true, encoding: .utf8)
        chmod(server, 0o755)
        let local = try LocalRedis(stateDirectory: state.path + "/.clustmake", redisServer: server)
        let keys = 20_000
        try await stopping(local) {
            let first = try await local.ensureRunning()
            try withRedisConnection(to: first.endpoint) { connection in
                for start in stride(from: 0, to: keys, by: 1000) {
                    _ = try connection.pipeline((start..<start + 1000).map { ["SET", RedisArgument("k\($0)"), "v"] })
                }
                // Compacted into the append-only file's base, the form redis reads back key by key.
                _ = try connection.command("BGREWRITEAOF")
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(120)
                while clock.now < deadline {
                    let info = try connection.command("INFO", "persistence").string ?? ""
                    if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0")
                        && info.contains("aof_last_bgrewrite_status:ok")
                    {
                        break
                    }
                    usleep(20_000)
                }
            }
            #expect(try await local.stop())

            let clock = ContinuousClock()
            let started = clock.now
            let again = try await local.ensureRunning(timeout: .milliseconds(200))
            let waited = clock.now - started
            #expect(again.started)
            #expect(waited > .seconds(1), "the load took \(waited): too quick to show the wait")
            #expect(try withRedisConnection(to: again.endpoint) { try $0.command("DBSIZE") } == .integer(Int64(keys)))
        }
    }

    @Test("a missing redis-server is an error naming the Debian package")
    func missingServer() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path, redisServer: "/nonexistent/redis-server")
        let error = await #expect(throws: HostsError.self) { try await local.ensureRunning() }
        #expect(error?.code == .redisServerMissing)
        #expect(error?.description.contains("Install the Debian package redis-server") == true)
    }

    @Test("a password file others may read is refused")
    func unsafePasswordFile() async throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path)
        try await stopping(local) {
            _ = try await local.ensureRunning()
            chmod(local.passwordFile, 0o644)
            let error = #expect(throws: HostsError.self) { try local.endpoint() }
            #expect(error?.description.contains("chmod 600 \(local.passwordFile)") == true)
            chmod(local.passwordFile, 0o600)
        }
    }
}

/// Runs `body`, then stops `local`'s server however `body` ended, so no test leaves a server behind.
func stopping(_ local: LocalRedis, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        _ = try? await local.stop()
        throw error
    }
    _ = try await local.stop()
}

/// Whether `pid` is a live process (not gone, not a zombie waiting for init to reap it).
func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    return !stat[close...].hasPrefix(") Z") && !stat[close...].hasPrefix(") X")
}

/// The permission bits of `path`.
func mode(of path: String) throws -> mode_t {
    var info = stat()
    try #require(stat(path, &info) == 0, "stat \(path)")
    return info.st_mode & 0o777
}

/// A fresh directory under /tmp, removed with its contents when the value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/clustmake-hosts-test.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        try #require(made != nil, "mkdtemp")
        path = String(cString: made!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
