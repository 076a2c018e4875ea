import ClustmakeJSON
import Foundation
import Testing

@Suite struct FileContentsTests {
    @Test("a device or a pipe without end is refused after the maximum, not read until memory runs out")
    func endlessInput() throws {
        let failure = try #require(throws: FileContents.Failure.self) {
            try FileContents.bytes(atPath: "/dev/zero", maximum: 1 << 20)
        }
        #expect(failure.step == .tooLarge && failure.path == "/dev/zero")
        #expect(failure.reason.contains("larger than 1.0 GiB"), "\(failure.reason)")
        // With a limit, a caller that wants only the start still gets it.
        #expect(try FileContents.bytes(atPath: "/dev/zero", limit: 10) == [UInt8](repeating: 0, count: 10))
    }

    @Test("a regular file larger than the maximum is refused before anything is read; one of exactly it is read")
    func largeFile() throws {
        let path = NSTemporaryDirectory() + "/clustmake-large-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 4096)))
        #expect(try FileContents.bytes(atPath: path, maximum: 4096).count == 4096)
        let failure = try #require(throws: FileContents.Failure.self) {
            try FileContents.bytes(atPath: path, maximum: 4095)
        }
        #expect(failure.step == .tooLarge)
        // The default maximum, on a sparse file: refused at once by its size.
        let sparse = FileHandle(forWritingAtPath: path)
        try sparse?.truncate(atOffset: UInt64(FileContents.maximumSize) + 1)
        try sparse?.close()
        let large = try #require(throws: FileContents.Failure.self) { try FileContents.bytes(atPath: path) }
        #expect(large.step == .tooLarge)
    }
}
