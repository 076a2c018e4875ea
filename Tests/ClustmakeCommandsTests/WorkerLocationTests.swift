import Foundation
import Testing

@testable import ClustmakeCommands

/// Which worker runs jobs on this machine when no cluster file names one.
@Suite struct WorkerLocationTests {
    /// An executable file at `directory/name` last modified at `date`.
    func worker(_ directory: URL, _ name: String, modified date: Date) throws -> String {
        let path = directory.appendingPathComponent(name).path
        #expect(FileManager.default.createFile(atPath: path, contents: Data("#!/bin/sh\n".utf8)))
        try FileManager.default.setAttributes([.posixPermissions: 0o755, .modificationDate: date], ofItemAtPath: path)
        return path
    }

    @Test("the self-contained worker runs local jobs unless it is older than the compmake next to clustmake")
    func newerSelfContained() throws {
        let directory = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = Date()
        let sibling = try worker(directory, "compmake", modified: now)
        let newer = try worker(directory, "static-newer", modified: now.addingTimeInterval(60))
        let older = try worker(directory, "static-older", modified: now.addingTimeInterval(-60))
        #expect(WorkerLocation.local(sibling: sibling, selfContained: newer) == newer)
        #expect(WorkerLocation.local(sibling: sibling, selfContained: older) == sibling)
        #expect(WorkerLocation.local(sibling: sibling, selfContained: nil) == sibling)
        let gone = directory.appendingPathComponent("missing").path
        #expect(WorkerLocation.local(sibling: sibling, selfContained: gone) == sibling)
        // No compmake next to clustmake (an installed layout): the self-contained one, whatever its age.
        #expect(WorkerLocation.local(sibling: "compmake", selfContained: older) == older)
    }
}
