import Foundation

/// Runs the built `clustmake` and `compmake` executables the way users do.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The directory holding the built executables: the test bundle's own directory.
    static let productsDirectory: URL = {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `executable` with `arguments` in `directory`, with standard input from /dev/null.
    static func run(_ arguments: [String], executable: String = "clustmake", in directory: URL? = nil) throws -> Result
    {
        // Tool.run, without its usual minute: some commands here plan large graphs.
        try Tool.run(built(executable), arguments, directory: directory, timeout: 600)
    }

    /// The path of the built `executable`, or an error saying to build it.
    static func built(_ executable: String) throws -> String {
        let path = productsDirectory.appendingPathComponent(executable).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw CLIError("\(path) is not built; run 'swift build --build-tests' before 'swift test'")
        }
        return path
    }

    /// A new empty directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("clustmake-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
