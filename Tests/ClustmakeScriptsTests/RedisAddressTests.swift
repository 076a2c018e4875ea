import ClustmakeModel
import ClustmakeScripts
import Testing

@Suite struct RedisAddressTests {
    @Test(
        "redis URLs and bare addresses give the address the job lines use",
        arguments: [
            ("redis://redisdb:6379/0", "redisdb:6379", "redisdb:6379"),
            ("redis://redisdb", "redisdb:6379", "redisdb:6379"),
            ("redis://:s3cret@db.lab:6380", "db.lab:6380", "db.lab:6380"),
            ("redis://alice:p@ss@db.lab:6380/", "db.lab:6380", "db.lab:6380"),
            ("unix:///run/redis/redis.sock", "unix:/run/redis/redis.sock", "/run/redis/redis.sock"),
            ("unix://alice:pw@/run/redis.sock?db=0", "unix:/run/redis.sock", "/run/redis.sock"),
            ("unix:/tmp/r.sock", "unix:/tmp/r.sock", "/tmp/r.sock"),
            ("/tmp/r.sock", "unix:/tmp/r.sock", "/tmp/r.sock"),
            ("localhost:7000", "localhost:7000", "localhost:7000"),
            ("  10.0.0.5 ", "10.0.0.5:6379", "10.0.0.5:6379"),
            ("[::1]:6379", "[::1]:6379", "[::1]:6379"),
        ])
    func parses(text: String, description: String, tunnel: String) throws {
        let address = try RedisAddress(parsing: text)
        #expect(address.description == description)
        let line = JobLine(
            jobID: "j", nice: 0, host: .init(name: "h"), instance: 0,
            settings: WorkerSettings(namespace: "ns", redis: address))
        #expect(line.argv.contains("13000:\(tunnel)"))
    }

    @Test(
        "addresses the job line cannot carry are refused without showing a password",
        arguments: [
            "redis://:s3cret@db:6379/2", "rediss://:s3cret@db:6379", "unix:///run/r.sock?db=3", "redis://db:99999",
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
