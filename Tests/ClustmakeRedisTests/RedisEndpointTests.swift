import ClustmakeRedis
import Testing

@Suite struct RedisEndpointTests {
    static let goodForms: [(String, RedisEndpoint)] = [
        ("redis://localhost", RedisEndpoint(host: "localhost")),
        ("redis://127.0.0.1:6380", RedisEndpoint(host: "127.0.0.1", port: 6380)),
        ("redis://db.example.org:6380/2", RedisEndpoint(host: "db.example.org", port: 6380, database: 2)),
        ("redis://host/", RedisEndpoint(host: "host")),
        ("REDIS://host:1/15", RedisEndpoint(host: "host", port: 1, database: 15)),
        ("redis://:s3cret@host", RedisEndpoint(host: "host", password: "s3cret")),
        (
            "redis://alice:pw@host:7000/1",
            RedisEndpoint(host: "host", port: 7000, database: 1, username: "alice", password: "pw")
        ),
        ("redis://alice:@host", RedisEndpoint(host: "host", username: "alice")),
        ("redis://alice@host:6380/3", RedisEndpoint(host: "host", port: 6380, database: 3, username: "alice")),
        ("unix://bob@/tmp/r.sock?db=2", RedisEndpoint(unixSocket: "/tmp/r.sock", database: 2, username: "bob")),
        (
            "redis://alice:p%40ss%3Aw%2Fo%25rd@host",
            RedisEndpoint(host: "host", username: "alice", password: "p@ss:w/o%rd")
        ),
        ("redis://:p@ss@host", RedisEndpoint(host: "host", password: "p@ss")),
        ("redis://[::1]:6390/3", RedisEndpoint(host: "::1", port: 6390, database: 3)),
        ("redis://[fe80::1%eth0]", RedisEndpoint(host: "fe80::1%eth0")),
        ("unix:///run/redis/redis.sock", RedisEndpoint(unixSocket: "/run/redis/redis.sock")),
        ("unix:///tmp/r.sock?db=4", RedisEndpoint(unixSocket: "/tmp/r.sock", database: 4)),
        (
            "unix://bob:pw@/tmp/r.sock?db=1",
            RedisEndpoint(unixSocket: "/tmp/r.sock", database: 1, username: "bob", password: "pw")
        ),
        ("host:6381", RedisEndpoint(host: "host", port: 6381)),
        ("my-host.internal", RedisEndpoint(host: "my-host.internal")),
        ("10.1.2.3", RedisEndpoint(host: "10.1.2.3")),
        ("[::1]:6379", RedisEndpoint(host: "::1")),
        ("[::1]", RedisEndpoint(host: "::1")),
        ("/var/run/redis.sock", RedisEndpoint(unixSocket: "/var/run/redis.sock")),
        ("  localhost:6379\n", RedisEndpoint(host: "localhost")),
    ]

    @Test("accepted URL and bare forms parse to the expected endpoint", arguments: goodForms)
    func parsesGoodForms(input: String, expected: RedisEndpoint) throws {
        let parsed = try RedisEndpoint(parsing: input)
        #expect(parsed == expected)
        #expect(parsed.password == expected.password)
    }

    static let badForms: [(input: String, reason: String)] = [
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("rediss://host:6380", "TLS (rediss://) is not supported"),
        ("http://host:6379", "unknown scheme \"http://\""),
        ("redis://", "the host is missing"),
        ("redis://:6379", "the host is missing"),
        ("redis://host:", "the port is missing"),
        ("redis://host:0", "the port \"0\" is not a number from 1 to 65535"),
        ("redis://host:65536", "the port \"65536\" is not a number from 1 to 65535"),
        ("redis://host:63a9", "the port \"63a9\" is not a number"),
        ("redis://host:6379/x", "the database \"x\" is not a non-negative integer"),
        ("redis://host:6379/-1", "the database \"-1\" is not a non-negative integer"),
        ("redis://host:6379/1/2", "the database \"1/2\""),
        ("redis://host:6379?db=2", "take no query"),
        ("redis://ho st", "the host \"ho st\" contains \" \""),
        ("redis://[::1", "missing \"]\""),
        ("redis://[::1]6379", "expected \":port\" after \"]\""),
        ("redis://[host]:1", "is not an IPv6 address"),
        ("::1", "IPv6 addresses need brackets"),
        ("host:port:6379", "IPv6 addresses need brackets"),
        ("host:6379/2", "a database index needs the redis:// scheme"),
        ("user:pw@host", "credentials need the redis:// scheme"),
        ("redis://:%zz@host", "bad percent-escape"),
        ("unix://relative/path.sock", "the socket path must be absolute"),
        ("unix://", "the socket path must be absolute"),
        ("unix:///", "the socket path is missing"),
        ("unix:///tmp/r.sock?database=1", "unknown query parameter \"database\""),
        ("unix:///tmp/r.sock?db=one", "the database \"one\""),
        ("/tmp/r.sock?db=1", "a bare socket path takes no query"),
    ]

    @Test("malformed endpoints are rejected with the reason and the accepted forms", arguments: badForms)
    func rejectsBadForms(input: String, reason: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisEndpoint(parsing: input) }
        #expect(error.code == .invalidURL)
        #expect(error.message.contains(reason), "\(error.message)")
        #expect(error.message.contains(RedisEndpoint.acceptedForms))
    }

    @Test(
        "a password in a malformed URL is not echoed in the error",
        arguments: [
            "redis://alice:Hunter2Secret@host:notaport", "redis://:Hunter2Secret@host:6379/x",
            "redis://Hunter2Secret@host:notaport", "rediss://:Hunter2Secret@host", "user:Hunter2Secret@host",
            "unix://bob:Hunter2Secret@/tmp/s.sock?x=1",
        ])
    func parseErrorsRedactPasswords(input: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisEndpoint(parsing: input) }
        #expect(!error.description.contains("Hunter2Secret"))
        #expect(!String(reflecting: error).contains("Hunter2Secret"))
        #expect(error.message.contains("***"))
    }

    @Test("description, debugDescription, dump and interpolation show the password as ***")
    func descriptionsRedactThePassword() throws {
        let tcp = try RedisEndpoint(parsing: "redis://alice:Hunter2Secret@db.example:6380/2")
        #expect(tcp.description == "redis://alice:***@db.example:6380/2")
        let unix = RedisEndpoint(unixSocket: "/tmp/r.sock", database: 1, password: "Hunter2Secret")
        #expect(unix.description == "unix://:***@/tmp/r.sock?db=1")
        for endpoint in [tcp, unix] {
            var dumped = ""
            dump(endpoint, to: &dumped)
            let renderings = [
                endpoint.description, endpoint.debugDescription, "\(endpoint)", String(reflecting: endpoint), dumped,
                "\([endpoint])", "\(Optional(endpoint) as Any)",
            ]
            for text in renderings {
                #expect(!text.contains("Hunter2Secret"), "\(text)")
            }
        }
    }

    @Test("withPassword replaces the password and url(revealingPassword:) parses back to the same endpoint")
    func passwordFromElsewhereRoundTrips() throws {
        let fromURL = try RedisEndpoint(parsing: "redis://alice:@10.0.0.5:6380/3")
        #expect(fromURL.password == nil)
        let withSecret = fromURL.withPassword("p@ss word:/%")
        #expect(withSecret.password == "p@ss word:/%")
        #expect(withSecret.username == "alice")
        #expect(withSecret.withPassword(nil).password == nil)

        let samples = [
            withSecret, RedisEndpoint(host: "::1", port: 7000, database: 9),
            RedisEndpoint(unixSocket: "/tmp/x.sock", database: 2, username: "u", password: "ü€"),
            RedisEndpoint(host: "h", password: "only-password"),
        ]
        for endpoint in samples {
            let url = endpoint.url(revealingPassword: true)
            #expect(try RedisEndpoint(parsing: url) == endpoint, "\(url)")
        }
        #expect(!withSecret.url().contains("p@ss"))
    }
}
