import Foundation
import Glibc
import Testing

@testable import ClustmakeHosts

/// The embedded redis directory's lock, as a start takes it (making the directory) and as the idle watcher takes it
/// (never making it: a directory removed under its server must stay removed).
@Suite struct LocalRedisLockTests {
    @Test("the watcher's lock is nil for a removed directory, which stays removed; a start's lock makes it again")
    func lockIfPresent() throws {
        let state = try TemporaryDirectory()
        let local = try LocalRedis(stateDirectory: state.path + "/.clustmake")
        let made = try local.lock()
        close(made)
        #expect(access(local.directory, F_OK) == 0)
        let held = try #require(try local.lockIfPresent(), "the directory is there")
        close(held)

        try FileManager.default.removeItem(atPath: state.path + "/.clustmake")
        #expect(try local.lockIfPresent() == nil)
        #expect(access(state.path + "/.clustmake", F_OK) != 0, "the watcher's lock made nothing")
        let again = try local.lock()
        close(again)
        #expect(access(local.directory, F_OK) == 0, "a start makes the directory")
    }
}
