import ClustmakeModel
import ClustmakeSystem
import Foundation
import Testing

@Suite struct AtomicDirectoryTests {
    private func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "clustmake-atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    private func entries(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    @Test("files land at their relative paths with their modes, sub-directories made, in one step")
    func writes() throws {
        let root = try scratch()
        defer { try? FileSystem.removeTree(root) }
        let files = [
            DirectoryFile(path: "a/b/deep.txt", mode: 0o600, bytes: Array("deep\n".utf8)),
            DirectoryFile(path: "chunks.txt", mode: 0o755) { emit in
                for part in ["one ", "two ", "three"] { try emit(Array(part.utf8)) }
            },
            DirectoryFile(path: ".marker", mode: 0o644, bytes: []),
        ]
        for concurrently in [false, true] {
            let written = try AtomicDirectory(path: root + "/out/", markerName: ".marker").write(
                files, concurrently: concurrently)
            #expect(written.path == root + "/out")
            #expect(written.files == ["a/b/deep.txt", "chunks.txt", ".marker"])
            #expect(written.bytes == 5 + 13)
            #expect(written.replaced == concurrently, "the second write replaces the first")
            #expect(try String(contentsOfFile: root + "/out/chunks.txt", encoding: .utf8) == "one two three")
            let mode = try FileManager.default.attributesOfItem(atPath: root + "/out/a/b/deep.txt")[.posixPermissions]
            #expect(mode as? Int == 0o600)
            #expect(try entries(root) == ["out"], "no temporary directory is left")
        }
    }

    @Test("a failing file leaves nothing behind; the error it threw comes out as it was")
    func contentsFailure() throws {
        struct Broken: Error {}
        let root = try scratch()
        defer { try? FileSystem.removeTree(root) }
        let files = [
            DirectoryFile(path: "ok.txt", mode: 0o644, bytes: [1]),
            DirectoryFile(path: "bad.txt", mode: 0o644) { _ in throw Broken() },
        ]
        #expect {
            try AtomicDirectory(path: root + "/out", markerName: ".marker").write(files)
        } throws: { error in
            guard case .contents(let cause) = error as? AtomicDirectory.Failure else { return false }
            return cause is Broken
        }
        #expect(try entries(root) == [])
    }

    @Test("paths that would leave the directory, and directories without the marker, are refused")
    func refusals() throws {
        let root = try scratch()
        defer { try? FileSystem.removeTree(root) }
        let directory = AtomicDirectory(path: root + "/out", markerName: ".marker")
        for bad in ["", "/etc/passwd", "../escape", "a/../../escape", "a//b", "./a"] {
            #expect(throws: AtomicDirectory.Failure.self, "\(bad)") {
                try directory.write([DirectoryFile(path: bad, mode: 0o644, bytes: [])])
            }
        }
        try FileManager.default.createDirectory(atPath: root + "/out", withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: root + "/out/notes.txt"))
        #expect {
            try directory.write([DirectoryFile(path: "x", mode: 0o644, bytes: [])])
        } throws: { error in
            guard case .inUse(.directory) = error as? AtomicDirectory.Failure else { return false }
            return true
        }
        #expect(try entries(root + "/out") == ["notes.txt"])
    }

    @Test("removeTree removes a tree without following links, and names what it cannot remove with its errno")
    func removeTree() throws {
        let root = try scratch()
        defer { try? FileSystem.removeTree(root) }
        let outside = try scratch()
        defer { try? FileSystem.removeTree(outside) }
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside + "/keep.txt"))
        try FileManager.default.createDirectory(atPath: root + "/t/a/b", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/t/a/b/file"))
        try FileManager.default.createSymbolicLink(atPath: root + "/t/link", withDestinationPath: outside)
        try FileSystem.removeTree(root + "/t")
        #expect(try entries(root) == [])
        #expect(try entries(outside) == ["keep.txt"], "the link's target is untouched")
        try FileSystem.removeTree(root + "/missing")

        let failure = try #require(throws: FileSystem.Failure.self) {
            try FileSystem.removeTree(outside + "/keep.txt/x")
        }
        #expect(failure.path == outside + "/keep.txt/x")
        #expect(failure.errno == ENOTDIR)
        #expect(failure.cause.contains("Not a directory (errno \(ENOTDIR))"))
    }
}
