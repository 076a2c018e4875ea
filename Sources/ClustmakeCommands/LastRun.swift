import ClustmakeCollector
import ClustmakeHosts
import ClustmakeJSON
import ClustmakeModel
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The namespace of the last run started in this directory, remembered in `.clustmake/last-run` by `run` (as it
/// starts) and `push`, so that `status`, `stats`, `results`, `logs`, `report` and `cancel` need no `--namespace`
/// (docs/collector.md, "Which run").
///
/// The file holds the namespace and a newline, nothing else. What it holds is untrusted: anything but a regular
/// file of a valid namespace is ignored with a note on standard error, never followed as a path.
struct LastRun {
    /// The file, relative to the working directory.
    let path: String

    /// The file in `stateDirectory` (`.clustmake` by default, the embedded redis's state directory).
    init(stateDirectory: String = LocalRedis.defaultStateDirectory) {
        path = stateDirectory + "/last-run"
    }

    /// The longest file read: a namespace is far shorter.
    static let maximumBytes = 1024

    /// The remembered namespace, or `nil` when none is (no file) or the file cannot be used (said on standard
    /// error).
    func namespace() -> String? {
        switch content() {
        case .none: return nil
        case .namespace(let namespace): return namespace
        case .ignored(let why):
            CommandLineTool.writeError(
                "clustmake: note: ignoring \(path) (\(why)); it is rewritten by the next `clustmake run` or "
                    + "`clustmake push` here")
            return nil
        }
    }

    /// What the file holds.
    enum Content: Equatable {
        case none
        case namespace(String)
        case ignored(String)
    }

    /// What the file holds, without saying anything.
    func content() -> Content {
        do {
            switch try FileSystem.kind(of: path) {
            case .missing: return .none
            case .file: break
            case .directory: return .ignored("it is a directory")
            case .symbolicLink: return .ignored("it is a symbolic link, which clustmake does not follow")
            case .other: return .ignored("it is not a regular file")
            }
        } catch {
            return .ignored(error.cause)
        }
        let bytes: [UInt8]
        do {
            bytes = try FileContents.bytes(atPath: path, limit: Self.maximumBytes + 1)
        } catch {
            return .ignored(error.cause)
        }
        guard bytes.count <= Self.maximumBytes else { return .ignored("it is longer than a namespace") }
        var content = bytes
        if content.last == UInt8(ascii: "\n") { content.removeLast() }
        guard let text = String(validating: content, as: UTF8.self) else { return .ignored("it is not UTF-8 text") }
        if let problem = JobID.problem(with: text) {
            return .ignored("'\(Format.printable(text, limit: 60))' is not a namespace: \(problem)")
        }
        return .namespace(text)
    }

    /// Remembers `namespace`: a new file renamed over the old one, so a reader sees one or the other, whole. A
    /// failure is said on standard error and changes nothing else (the other commands then need --namespace).
    func write(_ namespace: String) {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        let temporary = "\(path).tmp-\(getpid())"
        do {
            if !directory.isEmpty, try FileSystem.kind(of: directory) == .missing {
                try FileSystem.makeDirectory(directory, mode: 0o700)
            }
            unlink(temporary)
            try FileSystem.writeFile(Array((namespace + "\n").utf8), to: temporary, mode: 0o644)
            try FileSystem.rename(temporary, to: path)
        } catch {
            unlink(temporary)
            CommandLineTool.writeError(
                "clustmake: note: cannot remember the namespace in \(path) (\(error)); the other commands will need "
                    + "--namespace \(namespace)")
        }
    }
}
