import ClustmakeModel
import ClustmakeScripts
import Testing

@Suite struct RedisAddressTests {
    @Test(
        "redis URLs and bare addresses give the address the job lines use",
        arguments: [
            ("redis://redisdb:6379/0", "redisdb:6379", "redisdb:6379", "localhost:13000"),
            ("redis://redisdb", "redisdb:6379", "redisdb:6379", "localhost:13000"),
            ("redis://:s3cret@db.lab:6380", "db.lab:6380", "db.lab:6380", "localhost:13000"),
            ("redis://alice:p@ss@db.lab:6380/", "db.lab:6380", "db.lab:6380", "localhost:13000"),
            ("redis://alice@db.lab:6380/3", "redis://db.lab:6380/3", "db.lab:6380", "redis://localhost:13000/3"),
            ("redis://:s3cret@db:6379/2", "redis://db:6379/2", "db:6379", "redis://localhost:13000/2"),
            ("unix:///run/redis/redis.sock", "unix:/run/redis/redis.sock", "/run/redis/redis.sock", "localhost:13000"),
            ("unix://alice:pw@/run/redis.sock?db=0", "unix:/run/redis.sock", "/run/redis.sock", "localhost:13000"),
            ("unix:///run/r.sock?db=3", "unix:/run/r.sock?db=3", "/run/r.sock", "redis://localhost:13000/3"),
            ("unix:/tmp/r.sock", "unix:/tmp/r.sock", "/tmp/r.sock", "localhost:13000"),
            ("/tmp/r.sock", "unix:/tmp/r.sock", "/tmp/r.sock", "localhost:13000"),
            ("localhost:7000", "localhost:7000", "localhost:7000", "localhost:13000"),
            ("  10.0.0.5 ", "10.0.0.5:6379", "10.0.0.5:6379", "localhost:13000"),
            ("[::1]:6379", "[::1]:6379", "[::1]:6379", "localhost:13000"),
            ("redis://[::1]:6379/7", "redis://[::1]:6379/7", "[::1]:6379", "redis://localhost:13000/7"),
        ])
    func parses(text: String, description: String, tunnel: String, remoteRedisHost: String) throws {
        let address = try RedisAddress(parsing: text)
        #expect(address.description == description)
        let line = JobLine(
            jobID: "j", nice: 0, host: .init(name: "h"), instance: 0,
            settings: WorkerSettings(namespace: "ns", redis: address))
        #expect(line.argv.contains("13000:\(tunnel)"))
        #expect(line.command.contains("--redis_host=\(remoteRedisHost)"), "\(line.command)")
        // A local worker reaches redis directly, database included, and reads the address back the same way.
        var local = Host(name: "h")
        local.isLocal = true
        let localLine = JobLine(
            jobID: "j", nice: 0, host: local, instance: 0, settings: WorkerSettings(namespace: "ns", redis: address))
        #expect(localLine.command.contains("--redis_host=\(description)"))
        #expect(try RedisAddress(parsing: description) == address)
        #expect(
            try RedisLocation(parsing: line.command[6].dropFirst("--redis_host=".count).description).database
                == address.database)
    }

    @Test(
        "addresses the job line cannot carry are refused without showing a password",
        arguments: [
            "rediss://:s3cret@db:6379", "redis://db:99999",
            "s3cret@db:6379", "redis://db:6379:7", "unix://relative/path", "redis://a b", "unix:///a:b.sock",
        ])
    func refuses(text: String) {
        #expect {
            try RedisAddress(parsing: text)
        } throws: { error in
            guard let error = error as? ScriptError else { return false }
            return error.code == .invalidRedis && !error.description.contains("s3cret")
        }
    }
}
