import ClustmakeModel
import Testing

/// The parser itself is specified in ClustmakeRedisTests/RedisEndpointTests (every form, every error, through
/// RedisEndpoint); these pin what the model's value adds: no redis library, InputError, the hidden password.
@Suite struct RedisLocationTests {
    @Test(
        "URLs and bare forms parse to their address, database and credentials",
        arguments: [
            ("redis://alice:p%40ss@db.example:6380/2", RedisLocation.Address.tcp(host: "db.example", port: 6380), 2),
            ("[::1]", .tcp(host: "::1", port: 6379), 0),
            ("unix:///tmp/r.sock?db=4", .unix(path: "/tmp/r.sock"), 4),
            ("unix:/tmp/r.sock", .unix(path: "/tmp/r.sock"), 0),
        ])
    func parses(text: String, address: RedisLocation.Address, database: Int) throws {
        let location = try RedisLocation(parsing: text)
        #expect(location.address == address)
        #expect(location.database == database)
        #expect(try RedisLocation(parsing: location.url(revealingPassword: true)) == location)
    }

    @Test("the password never prints, and a bad URL is an invalid-redis input error that does not echo it")
    func secrets() throws {
        let location = try RedisLocation(parsing: "redis://alice:s3cret@host:7000/1")
        #expect(location.username == "alice")
        #expect(location.password == "s3cret")
        #expect(location.description == "redis://alice:***@host:7000/1")
        #expect(!String(reflecting: location).contains("s3cret"))
        let error = try #require(throws: InputError.self) { try RedisLocation(parsing: "redis://:s3cret@host:0") }
        #expect(error.code == .invalidRedis)
        #expect(error.message.contains("the port \"0\" is not a number from 1 to 65535"))
        #expect(error.message.contains(RedisLocation.acceptedForms))
        #expect(!error.description.contains("s3cret"))
    }
}
