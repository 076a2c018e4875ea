import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `tunnel: unix` (docs/cluster.md, docs/security.md): a host's master forwards one unix socket, in a directory only
/// the user can enter, to redis for the whole run; the workers connect to it.
@Suite struct UnixTunnelTests {
    /// The socket of namespace `namespace` on `host`: `~/.cache/clustmake` (`HOME` of a test host's sessions is its
    /// work directory), unless the test user has a runtime directory on this machine.
    static func socket(_ fixture: RunFixture, host: String, namespace: String) -> String {
        var directory = fixture.cluster.workDirectory(of: host) + "/.cache/clustmake"
        if let entry = getpwnam(fixture.cluster.user) {
            let runtime = "/run/user/\(entry.pointee.pw_uid)"
            if FileManager.default.fileExists(atPath: runtime) { directory = runtime + "/clustmake" }
        }
        return "\(directory)/\(namespace)-\(host).sock"
    }

    /// Both places the job line's socket can be: in the user's runtime directory when it exists at the line's
    /// start, else in the work directory's cache.
    static func socketCandidates(_ fixture: RunFixture, host: String, namespace: String) -> [String] {
        var directories = [fixture.cluster.workDirectory(of: host) + "/.cache/clustmake"]
        if let entry = getpwnam(fixture.cluster.user) {
            directories.append("/run/user/\(entry.pointee.pw_uid)/clustmake")
        }
        return directories.map { "\($0)/\(namespace)-\(host).sock" }
    }

    /// The mode bits and owner of `path` (not following a symbolic link), and whether it is a directory, a socket.
    static func inspect(_ path: String) -> (mode: mode_t, uid: uid_t, type: mode_t)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_mode & 0o7777, info.st_uid, info.st_mode & S_IFMT)
    }

    @Test("with tunnel: unix every job is done once, over two hosts of two slots, and the sockets are gone after")
    func runCompletes() throws {
        let fixture = try RunFixture(hosts: 2)
        let namespace = fixture.ns("unix")
        let jobs = (1...16).map { "  - {id: j\($0), command: \"echo \($0)\"}" }.joined(separator: "\n")
        let graph = try fixture.graphFile("jobs:\n" + jobs + "\n  - {id: last, command: \"true\", deps: [j1, j16]}\n")
        let cluster = try fixture.clusterFile(processors: 2, tunnel: "unix")
        let result = try fixture.run(
            ["run", graph, "--cluster", cluster, "--redis", fixture.redisURL, "--namespace", namespace])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: try fixture.store("unix"))
        record.expectEveryJobDoneOnce()
        #expect(record.graph.count == 17)
        for host in ["h1", "h2"] {
            // The user's runtime directory comes and goes with their login sessions (other tests start some), so
            // the run may have used either place: no socket is left in either, and the directory it made is 0700.
            let sockets = Self.socketCandidates(fixture, host: host, namespace: namespace)
            for socket in sockets { #expect(Self.inspect(socket) == nil, "\(socket) is left after the run") }
            let directories = sockets.map { Self.inspect(($0 as NSString).deletingLastPathComponent) }
            // A host that connected only after the other had run every job made no directory: on a loaded
            // machine 17 short jobs can all run on the first host up.
            if record.hostsUsed.contains(host) {
                #expect(directories.contains { $0 != nil }, "no tunnel directory in \(sockets)")
            }
            for directory in directories.compactMap({ $0 }) {
                #expect(directory.mode == 0o700 && directory.type == S_IFDIR, "\(directory)")
            }
        }
    }

    @Test("a tunnel directory of another mode, or a symbolic link, takes its host out of the run with the reason")
    func directoryChecks() throws {
        let fixture = try RunFixture(hosts: 3)
        let namespace = fixture.ns("checks")
        let user = try #require(getpwnam(fixture.cluster.user)).pointee
        func directory(_ host: String) throws -> String {
            let directory = (Self.socket(fixture, host: host, namespace: namespace) as NSString)
                .deletingLastPathComponent
            let parent = (directory as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            #expect(chown(parent, user.pw_uid, user.pw_gid) == 0 && chmod(parent, 0o700) == 0)
            return directory
        }
        // h1: the directory is open to everyone; h2: a symbolic link to a directory of the user's; h3: a file is
        // left where the socket goes (an earlier run's socket), which the run replaces.
        let open = try directory("h1")
        #expect(mkdir(open, 0o755) == 0 && chown(open, user.pw_uid, user.pw_gid) == 0 && chmod(open, 0o755) == 0)
        let linked = try directory("h2")
        let elsewhere = (linked as NSString).deletingLastPathComponent + "/elsewhere"
        #expect(mkdir(elsewhere, 0o700) == 0 && chown(elsewhere, user.pw_uid, user.pw_gid) == 0)
        #expect(symlink(elsewhere, linked) == 0)
        let good = try directory("h3")
        #expect(mkdir(good, 0o700) == 0 && chown(good, user.pw_uid, user.pw_gid) == 0)
        let stale = Self.socket(fixture, host: "h3", namespace: namespace)
        #expect(FileManager.default.createFile(atPath: stale, contents: Data("stale".utf8)))
        // j1 holds the run open until both refused hosts have been tried: h3 alone runs six short jobs faster than
        // the other two hosts' first connections on a quick machine.
        let gate = fixture.cluster.workDirectory(of: "h3") + "/go"
        let hold = "  - {id: j1, command: \"while [ ! -e \(gate) ]; do sleep 0.05; done\"}\n"
        let jobs = (2...6).map { "  - {id: j\($0), command: \"true\"}" }.joined(separator: "\n")
        let graph = try fixture.graphFile("jobs:\n" + hold + jobs + "\n")
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 2, tunnel: "unix"), "--redis",
                fixture.redisURL, "--namespace", namespace,
            ])
        let refusals = ["\(open) is not of mode 0700", "\(linked) is a symbolic link"]
        let tried = try fixture.waitUntil(.seconds(120)) {
            let said = run.outputSoFar
            return run.hasExited || refusals.allSatisfy { (said.stdout + said.stderr).contains($0) }
        }
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let result = try run.wait(timeout: .seconds(120))
        #expect(tried, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        let said = result.stdout + result.stderr
        for refusal in refusals { #expect(said.contains(refusal), "\(said)") }
        let record = try RunRecord(store: try fixture.store("checks"))
        record.expectEveryJobDoneOnce()
        #expect(record.hostsUsed == ["h3"])
        #expect(Self.inspect(stale) == nil, "the run's socket is removed at its end")
        #expect(Self.inspect(open)?.mode == 0o755, "clustmake changes no directory it refuses")
    }

    /// Runs one job on h1 that holds the run open until told to end; meanwhile checks h1's socket and its directory
    /// and lets `neighbour` try to read the store through the tunnel (`look`, given the socket's path). Returns
    /// what the neighbour got.
    static func neighbourLook(
        tunnel: String, neighbour: SSHTestCluster.Neighbour, look: (String) -> String
    ) async throws -> SSHTestCluster.CommandResult {
        // A redis without a password, which only --insecure-redis lets remote hosts reach: the weakest setup.
        let fixture = try RunFixture(hosts: 1, redis: RedisServer.Options())
        let (graph, started, gate) = try fixture.holdGraph()
        let namespace = fixture.ns("held-\(tunnel)")
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 1, tunnel: tunnel), "--redis",
                fixture.redisURL, "--namespace", namespace, "--insecure-redis",
            ])
        defer {
            _ = FileManager.default.createFile(atPath: gate, contents: nil)
            _ = try? run.wait(timeout: .seconds(60))
        }
        try await TestWait.forFile(started, timeout: .seconds(60))
        let socket = Self.socket(fixture, host: "h1", namespace: namespace)
        if tunnel == "unix" {
            let owner = getpwnam(fixture.cluster.user).map { $0.pointee.pw_uid }
            let directory = Self.inspect((socket as NSString).deletingLastPathComponent)
            #expect(directory?.type == S_IFDIR && directory?.mode == 0o700, "\(String(describing: directory))")
            #expect(directory?.uid == owner)
            #expect(Self.inspect(socket)?.type == S_IFSOCK, "\(socket) while a job runs")
        }
        let result = try neighbour.run(look(socket), on: "h1", of: fixture.cluster)
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        let ended = try run.wait(timeout: .seconds(60))
        #expect(ended.status == 0, "\(ended.stdout)\n\(ended.stderr.suffix(3000))")
        #expect(Self.inspect(socket) == nil, "\(socket) is left after the run")
        return result
    }

    @Test("another user of a host cannot open the unix socket, even to a redis without a password; over tcp it can")
    func anotherUserOfTheHost() async throws {
        let neighbour = try SSHTestCluster.Neighbour()
        let refused = try await Self.neighbourLook(tunnel: "unix", neighbour: neighbour) { socket in
            "redis-cli -s \(socket) --no-auth-warning DBSIZE; redis-cli -p 13000 --no-auth-warning DBSIZE"
        }
        let said = refused.stdout + refused.stderr
        #expect(said.contains("Permission denied"), "\(said)")
        // No TCP port either: the host's loopback has no tunnel.
        #expect(said.contains("Connection refused"), "\(said)")
        #expect(!said.split(separator: "\n").contains { Int($0) != nil }, "\(said)")
        // The same setup over tcp: the neighbour reads the store (so the checks above can fail).
        let open = try await Self.neighbourLook(tunnel: "tcp", neighbour: neighbour) { _ in
            "redis-cli -p 13000 --no-auth-warning DBSIZE"
        }
        #expect(open.stdout.split(separator: "\n").first.flatMap { Int($0) }.map { $0 > 0 } == true, "\(open)")
    }
}
