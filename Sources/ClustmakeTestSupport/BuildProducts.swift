import Foundation

/// Where `swift build --build-tests` put the project's executables (`clustmake`, `compmake`): next to the test
/// bundle, or one directory up when the bundle runs from `…/debug/X.xctest`.
public enum BuildProducts {
    /// The directory of the built executables.
    public static let directory: String = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("clustmake").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.path
    }()

    /// The built `clustmake`.
    public static var clustmake: String { directory + "/clustmake" }
    /// The built worker, `compmake`.
    public static var compmake: String { directory + "/compmake" }
}
