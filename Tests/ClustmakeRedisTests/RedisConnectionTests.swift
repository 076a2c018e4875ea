import ClustmakeRedis
import ClustmakeTestSupport
import Foundation
import Glibc
import Testing

/// Connecting, logging in and selecting a database, against a real redis-server per test.
@Suite struct RedisConnectionTests {
    @Test("a TCP connection answers PING and stores and reads a value")
    func tcpConnection() throws {
        let server = try RedisServer()
        let redis = try RedisConnection(endpoint: server.endpoint)
        #expect(redis.isConnected)
        #expect(try redis.command("PING") == .status("PONG"))
        try redis.command("SET", "greeting", "hello").expectOK()
        #expect(try redis.command("GET", "greeting").expectString() == "hello")
    }

    @Test("a unix socket connection reaches the same server as TCP")
    func unixSocketConnection() throws {
        let server = try RedisServer(.init(unixSocket: true))
        let unixEndpoint = try #require(server.unixEndpoint)
        let viaSocket = try RedisConnection(endpoint: unixEndpoint)
        try viaSocket.command("SET", "k", "from-unix").expectOK()
        let viaTCP = try server.connect()
        #expect(try viaTCP.command("GET", "k").expectString() == "from-unix")
        let parsed = try RedisEndpoint(parsing: "unix://\(try #require(server.unixSocketPath))?db=2")
        let selected = try RedisConnection(endpoint: parsed)
        #expect(try selected.command("GET", "k").isNull)
    }

    @Test("a port nothing listens on gives connectionRefused at once, with a hint to start redis-server")
    func refusedQuickly() throws {
        let port = try TestSockets.closedPort()
        let endpoint = RedisEndpoint(host: "127.0.0.1", port: port)
        var caught: RedisError?
        let took = elapsed {
            caught = #expect(throws: RedisError.self) {
                try RedisConnection(endpoint: endpoint, connectTimeout: .seconds(5))
            }
        }
        let error = try #require(caught)
        #expect(error.code == .connectionRefused)
        #expect(took < .seconds(1))
        #expect(error.message.contains("redis://127.0.0.1:\(port)/0"))
        #expect(error.message.contains("Is redis-server running?"))
        #expect(error.message.contains("redis-server --port \(port)"))
        #expect(error.systemErrno == ECONNREFUSED)
        #expect(error.endpoint == endpoint.description)
    }

    @Test("a missing unix socket file gives connectionRefused naming the socket")
    func missingSocketFile() throws {
        let endpoint = RedisEndpoint(unixSocket: "/tmp/clustmake-no-such-dir/redis.sock")
        let error = try #require(throws: RedisError.self) { try RedisConnection(endpoint: endpoint) }
        #expect(error.code == .connectionRefused)
        #expect(error.message.contains("--unixsocket /tmp/clustmake-no-such-dir/redis.sock"))
    }

    @Test("a server that never accepts gives a timeout within the connect timeout")
    func connectTimeout() throws {
        // backlog 0: the kernel queues one connection, then drops SYNs, so connect() hangs.
        let listener = try TestSockets.Listener(backlog: 0)
        let endpoint = RedisEndpoint(host: "127.0.0.1", port: listener.port)
        var queued: [RedisConnection] = []
        var failure: RedisError?
        var took = Duration.zero
        for _ in 0..<8 where failure == nil {
            let clock = ContinuousClock()
            let start = clock.now
            do {
                queued.append(try RedisConnection(endpoint: endpoint, connectTimeout: .milliseconds(300)))
            } catch {
                failure = error
                took = clock.now - start
            }
        }
        let error = try #require(failure, "the listener's queue never filled up (\(queued.count) connections)")
        #expect(error.code == .timeout)
        #expect(took >= .milliseconds(250) && took < .seconds(2), "took \(took)")
        #expect(error.message.contains("within 300 ms"))
    }

    @Test("a password set with requirepass is sent with AUTH; without it commands fail with NOAUTH")
    func authWithPassword() throws {
        let server = try RedisServer(.init(password: "Hunter2Secret"))
        let redis = try RedisConnection(endpoint: server.endpoint)
        #expect(try redis.command("ACL", "WHOAMI").string == "default")

        let anonymous = try RedisConnection(endpoint: server.endpoint.withPassword(nil))
        let error = try #require(throws: RedisError.self) { try anonymous.command("GET", "k") }
        #expect(error.code == .authentication)
        #expect(error.message.contains("requires a password"))
        #expect(anonymous.isConnected, "a server error reply leaves the connection usable")
    }

    @Test("a user created with ACL SETUSER logs in with AUTH user password")
    func authWithUserAndPassword() throws {
        let server = try RedisServer()
        let admin = try server.connect()
        try admin.command("ACL", "SETUSER", "worker", "on", ">Worker-Secret-1", "~jobs:*", "+@all").expectOK()

        let endpoint = try RedisEndpoint(parsing: "redis://worker:Worker-Secret-1@127.0.0.1:\(server.port)")
        let worker = try RedisConnection(endpoint: endpoint)
        #expect(try worker.command("ACL", "WHOAMI").string == "worker")
        try worker.command("SET", "jobs:1", "queued").expectOK()

        let denied = try #require(throws: RedisError.self) { try worker.command("SET", "other", "x") }
        #expect(denied.code == .server)
        #expect(denied.message.contains("no permission"))
    }

    @Test(
        "a wrong password gives an authentication error that never shows the password",
        arguments: [(String?.none, "Wrong-Password-1"), ("worker", "Wrong-Password-2")])
    func wrongPassword(username: String?, password: String) throws {
        let server = try RedisServer(
            .init(password: "Right-Password", users: [.init(name: "worker", password: "Worker-Password")]))
        let endpoint = RedisEndpoint(host: "127.0.0.1", port: server.port, username: username, password: password)
        let error = try #require(throws: RedisError.self) { try RedisConnection(endpoint: endpoint) }
        #expect(error.code == .authentication)
        #expect(error.message.contains("AUTH as"))
        #expect(error.message.contains(":***@127.0.0.1"))
        for text in [error.description, error.debugDescription, "\(error)", String(reflecting: error)] {
            #expect(!text.contains(password), "\(text)")
        }
    }

    @Test("a password given to a server without one is an authentication error that says so")
    func passwordForOpenServer() throws {
        let server = try RedisServer()
        let error = try #require(throws: RedisError.self) {
            try RedisConnection(endpoint: server.endpoint.withPassword("Unneeded-Secret"))
        }
        #expect(error.code == .authentication)
        #expect(error.message.contains("the server has no password set"))
        #expect(!error.description.contains("Unneeded-Secret"))
    }

    @Test("a user name without a password is refused before connecting, with the fix")
    func userWithoutPassword() throws {
        let server = try RedisServer()
        let endpoint = try RedisEndpoint(parsing: "redis://worker:@127.0.0.1:\(server.port)")
        let error = try #require(throws: RedisError.self) { try RedisConnection(endpoint: endpoint) }
        #expect(error.code == .authentication)
        #expect(error.message.contains("--redis-password-file FILE") && !error.message.contains("withPassword"))
    }

    @Test("the endpoint's database is selected and isolates keys; an out-of-range index is a server error")
    func selectDatabase() throws {
        let server = try RedisServer()
        let db3 = try server.connect(database: 3)
        try db3.command("SET", "k", "in-3").expectOK()
        let db0 = try server.connect()
        #expect(try db0.command("GET", "k").isNull)
        #expect(
            try RedisConnection(endpoint: try RedisEndpoint(parsing: "redis://127.0.0.1:\(server.port)/3"))
                .command("GET", "k").expectString() == "in-3")

        let error = try #require(throws: RedisError.self) { try server.connect(database: 99) }
        #expect(error.code == .server)
        #expect(error.message.contains("cannot select database 99"))
        #expect(error.serverMessage == "ERR DB index is out of range")
    }

    @Test("logging in with the first command: AUTH goes out with it, in the same read of redis")
    func loginWithFirstCommand() throws {
        let server = try RedisServer(.init(password: "Deferred-Secret-1"))
        try server.connect().command("SET", "k", "in-0").expectOK()
        let admin = try server.connect()
        func readsServed() throws -> Int {
            let info = try #require(try admin.command("INFO", "stats").expectString())
            let line = try #require(info.split(separator: "\r\n").first { $0.hasPrefix("total_reads_processed:") })
            return try #require(Int(line.dropFirst("total_reads_processed:".count)))
        }
        let before = try readsServed()
        let endpoint = server.endpoint
        let redis = try RedisConnection(endpoint: endpoint, handshake: .withFirstCommand)
        #expect(try readsServed() - before == 1, "nothing but this INFO reached redis before the first command")
        #expect(try redis.command("GET", "k").expectString() == "in-0")
        #expect(try redis.command("ACL", "WHOAMI").string == "default")
        let reads = try readsServed() - before
        // This INFO and the one before it, then the connection's two commands, and nothing else: AUTH went out in
        // the same read as the first GET.
        #expect(reads == 4, "\(reads) reads")

        // Reconnecting logs in the same way, again with the next command.
        try redis.reconnect()
        #expect(try redis.pipeline([["GET", "k"], ["PING"]]).map(\.string) == ["in-0", "PONG"])
        // Sending without reading settles the login first.
        let sender = try RedisConnection(endpoint: endpoint, handshake: .withFirstCommand)
        try sender.send([["GET", "k"]])
        #expect(try sender.sendReceivingEarlier([], earlier: 1).map(\.string) == ["in-0"])
        // A database other than 0 is selected before the initializer returns, in one round trip with AUTH.
        try server.connect(database: 2).command("SET", "k", "in-2").expectOK()
        let other = try RedisConnection(endpoint: endpoint.withDatabase(2), handshake: .withFirstCommand)
        #expect(try other.command("GET", "k").expectString() == "in-2")
        let refused = try #require(throws: RedisError.self) {
            try RedisConnection(endpoint: endpoint.withDatabase(99), handshake: .withFirstCommand)
        }
        #expect(refused.message.contains("cannot select database 99"))
    }

    @Test(
        "logging in with the first command: a wrong password fails that command as the initializer would, unrun",
        arguments: [String?.none, "worker"], [false, true])
    func loginWithFirstCommandRefused(username: String?, large: Bool) throws {
        let server = try RedisServer(
            .init(password: "Right-Password", users: [.init(name: "worker", password: "Worker-Password")]))
        try server.connect().command("SET", "k", "v").expectOK()
        let endpoint = RedisEndpoint(
            host: "127.0.0.1", port: server.port, username: username, password: "Wrong-Password-3")
        let expected = try #require(throws: RedisError.self) { try RedisConnection(endpoint: endpoint) }
        let redis = try RedisConnection(endpoint: endpoint, handshake: .withFirstCommand)
        // A large first command: redis closes the connection of a client that did not log in rather than answer it.
        let value = RedisArgument(String(repeating: "x", count: large ? 100_000 : 1))
        let error = try #require(throws: RedisError.self) { try redis.pipeline([["SET", "k", value], ["GET", "k"]]) }
        #expect(error.code == .authentication && expected.code == .authentication)
        #expect(error.message == expected.message)
        #expect(!error.description.contains("Wrong-Password-3"))
        #expect(!redis.isConnected)
        #expect(try #require(throws: RedisError.self) { try redis.command("PING") }.code == .connectionLost)
        #expect(try server.connect().command("GET", "k").expectString() == "v", "the refused command did not run")
    }

    @Test("logging in with the first command: a password a server without one does not need does not stop its work")
    func loginWithFirstCommandUnneeded() throws {
        let server = try RedisServer()
        let redis = try RedisConnection(
            endpoint: server.endpoint.withPassword("Unneeded-Secret"), handshake: .withFirstCommand)
        // The server ran the command behind the refused AUTH: its reply is the answer, not an error about AUTH.
        try redis.command("SET", "k", "v").expectOK()
        #expect(try redis.command("GET", "k").expectString() == "v")
    }

    @Test("a server error reply that echoes the password is redacted, thrown or in a pipeline")
    func echoedPasswordIsRedacted() throws {
        let secret = "Echo-Me-Secret-42"
        let server = try RedisServer(.init(password: secret))
        let redis = try RedisConnection(endpoint: server.endpoint)
        let error = try #require(throws: RedisError.self) { try redis.command("NOSUCHCOMMAND", secret, "x") }
        #expect(error.code == .server)
        #expect(error.serverMessage?.contains("with args beginning with: '***'") == true)
        for text in [error.description, error.message, String(reflecting: error), error.serverMessage ?? ""] {
            #expect(!text.contains(secret), "\(text)")
        }
        let replies = try redis.pipeline([["NOSUCHCOMMAND", RedisArgument(secret)], ["PING"]])
        #expect(!replies[0].description.contains(secret))
        #expect(replies[0].errorMessage?.contains("'***'") == true)
        #expect(!"\(redis.endpoint)".contains(secret))
    }

    @Test("withRedisConnection hands over an open connection and closes it afterwards")
    func scopedConnection() throws {
        let server = try RedisServer()
        var kept: RedisConnection?
        let pong = try withRedisConnection(to: server.endpoint) { redis in
            kept = redis
            return try redis.command("PING")
        }
        #expect(pong == .status("PONG"))
        #expect(kept?.isConnected == false)
    }

    @Test("a unix socket path longer than the system limit is rejected before connecting")
    func socketPathTooLong() throws {
        let endpoint = RedisEndpoint(unixSocket: "/tmp/" + String(repeating: "d", count: 120) + "/redis.sock")
        let error = try #require(throws: RedisError.self) { try RedisConnection(endpoint: endpoint) }
        #expect(error.code == .invalidArgument)
        #expect(error.message.contains("the system limit is 107"))
    }

    @Test("non-positive timeouts are rejected before connecting")
    func invalidTimeouts() throws {
        let endpoint = RedisEndpoint(host: "127.0.0.1", port: 1)
        let zero = try #require(throws: RedisError.self) {
            try RedisConnection(endpoint: endpoint, connectTimeout: .zero)
        }
        #expect(zero.code == .invalidArgument)
        let negative = try #require(throws: RedisError.self) {
            try RedisConnection(endpoint: endpoint, commandTimeout: .milliseconds(-1))
        }
        #expect(negative.code == .invalidArgument)
    }

    @Test("the connection's socket is closed on exec: a process started meanwhile does not keep it connected")
    func socketClosedOnExec() throws {
        let server = try RedisServer()
        let redis = try RedisConnection(endpoint: server.endpoint)
        #expect(try redis.command("PING") == .status("PONG"))
        // This process's end of the connection to the test's own server: the socket whose peer is the server's port.
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap { Int32($0) }
        let descriptor = try #require(
            descriptors.first { descriptor in
                var address = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let named = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) }
                }
                return named == 0 && address.sin_family == sa_family_t(AF_INET)
                    && UInt16(bigEndian: address.sin_port) == UInt16(server.port)
            })
        let flags = fcntl(descriptor, F_GETFD)
        #expect(flags >= 0 && flags & FD_CLOEXEC != 0)
    }
}
