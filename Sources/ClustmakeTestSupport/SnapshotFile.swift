import Foundation
public import Testing

/// Snapshot files for tests: compares a text with the file at a path, or (re)writes the file when the environment
/// variable `CLUSTMAKE_RECORD_SNAPSHOTS` is `1`.
public enum SnapshotFile {
    /// Whether this run records snapshots instead of comparing.
    public static var recording: Bool { ProcessInfo.processInfo.environment["CLUSTMAKE_RECORD_SNAPSHOTS"] == "1" }

    /// Compares `actual` with the snapshot at `path`, or records it; a difference is reported at its first line.
    public static func check(_ actual: String, path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let name = (path as NSString).lastPathComponent
        if recording {
            do {
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try actual.write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                Issue.record("cannot record snapshot \(path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record(
                "no snapshot \(path); run the tests with CLUSTMAKE_RECORD_SNAPSHOTS=1 to record it.",
                sourceLocation: sourceLocation)
            return
        }
        if actual != expected {
            let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let line =
                zip(actualLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(actualLines.count, expectedLines.count)
            Issue.record(
                """
                \(name) differs from its snapshot at line \(line + 1):
                  expected: \(line < expectedLines.count ? String(expectedLines[line]) : "<end>")
                  actual:   \(line < actualLines.count ? String(actualLines[line]) : "<end>")
                Re-record with CLUSTMAKE_RECORD_SNAPSHOTS=1 if the change is intended.
                """, sourceLocation: sourceLocation)
        }
    }
}
