import ClustmakeModel
import ClustmakeStore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ValueTests {
    @Test(
        "UTC times print as ISO 8601 with milliseconds and parse back",
        arguments: [0.0, 1_700_000_000.125, 951_782_400.999])
    func utcRoundTrip(seconds: Double) throws {
        let time = UTCTime(secondsSince1970: seconds)
        let parsed = try #require(UTCTime(iso8601: time.iso8601))
        #expect(abs(parsed.secondsSince1970 - seconds) < 0.0005)
        #expect(UTCTime(secondsSince1970: 1_700_000_000.125).iso8601 == "2023-11-14T22:13:20.125Z")
        #expect(UTCTime(iso8601: "2023-11-14T22:13:20Z")?.secondsSince1970 == 1_700_000_000)
        #expect(UTCTime(iso8601: "yesterday") == nil)
    }

    @Test("a password file must be private to its owner")
    func passwordFile() throws {
        let path = "/tmp/clustmake-password-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = "s3cret\r\nignored\n".withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
        chmod(path, 0o600)
        #expect(try RedisPasswordFile.read(path) == "s3cret")
        chmod(path, 0o644)
        let problem = try #require(throws: RedisPasswordFile.Problem.self) { try RedisPasswordFile.read(path) }
        #expect(problem.message.contains("chmod 600") && !problem.message.contains("s3cret"))
        #expect(throws: RedisPasswordFile.Problem.self) { try RedisPasswordFile.read(path + ".missing") }
    }
}
