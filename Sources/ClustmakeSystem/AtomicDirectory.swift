public import ClustmakeModel
import Dispatch
import Synchronization

/// Writes a directory all or nothing, and replaces an earlier one of its kind in one step.
///
/// Everything is written into a new temporary sibling directory (`.NAME.tmp-XXXXXX`), every file and directory is
/// fsync'ed, and only then is the directory renamed into place. An existing directory is swapped out in the same
/// step (Linux `renameat2(RENAME_EXCHANGE)`, else two renames) and then removed. When anything fails the
/// temporary directory is removed and an existing directory is left as it was. A path that exists but is not a
/// directory of this kind (no ``markerName`` file inside, and not empty) is never replaced.
///
/// The plan directory (`PlanDirectory.write` in ClustmakeCommands) is written this way; so can anything else that
/// goes into such a directory.
public struct AtomicDirectory: Sendable {
    /// The directory to write; its parent must exist.
    public var path: String
    /// The name of the file that marks a directory this writer may replace. The writer does not create it: it is
    /// one of the files given to ``write(_:concurrently:)``.
    public var markerName: String

    /// - Parameters:
    ///   - path: The directory to write; trailing slashes are ignored.
    ///   - markerName: The file that marks a directory as replaceable.
    public init(path: String, markerName: String) {
        self.path = path
        self.markerName = markerName
    }

    /// What ``write(_:concurrently:)`` wrote.
    public typealias Written = WrittenDirectory

    /// Why nothing was written.
    public enum Failure: Error {
        /// The path names no directory that can be written (empty, `.`, `..`, `/`).
        case invalidName
        /// A file's relative path is empty, absolute, or has an empty, `.` or `..` component, so it could land
        /// outside the directory.
        case invalidFilePath(String)
        /// The path exists and is not a directory of this kind (``FileSystem/Kind/directory`` without the marker
        /// and not empty), so it is not replaced.
        case inUse(FileSystem.Kind)
        /// A system call failed, with the file and the errno.
        case system(FileSystem.Failure, fix: String?)
        /// A file's contents could not be rendered; the error its ``ClustmakeModel/DirectoryFile/contents`` threw.
        case contents(any Error)
    }

    /// Writes `files` into a new directory and puts it in place.
    /// - Parameters:
    ///   - files: The files, relative to ``path``; parent directories are created as needed.
    ///   - concurrently: Whether two threads write files at once (one from the front of the list, one from the
    ///     back), so that rendering a large file at the end overlaps the small ones at the front.
    /// - Returns: What was written.
    /// - Throws: ``Failure``; in every case nothing is left behind and an existing directory is untouched.
    public func write(_ files: [DirectoryFile], concurrently: Bool = false) throws(Failure) -> Written {
        var target = path
        while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
        let (parent, name) = Self.split(target)
        guard !name.isEmpty, name != ".", name != "..", name != "/" else { throw .invalidName }
        for file in files {
            let components = file.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !file.path.isEmpty, !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
                throw .invalidFilePath(file.path)
            }
        }
        let existing = try checkTarget(target)
        let temporary: String
        do {
            temporary = try FileSystem.makeTemporarySibling(parent: parent, name: name)
        } catch {
            throw .system(error, fix: "Make sure the parent directory exists and is writable.")
        }
        var written = Written(path: target, files: files.map(\.path), bytes: 0, replaced: existing, leftover: nil)
        do throws(Failure) {
            let directories = try Self.makeDirectories(for: files, in: temporary)
            written.bytes = try Self.fill(temporary, with: files, concurrently: concurrently)
            for directory in directories.reversed() {
                try Self.system { () throws(FileSystem.Failure) in
                    try FileSystem.syncDirectory(directory)
                }
            }
            try Self.system { () throws(FileSystem.Failure) in try FileSystem.syncDirectory(temporary) }
            try place(temporary, at: target, parent: parent, replacing: existing, recording: &written)
        } catch {
            try? FileSystem.removeTree(temporary)
            throw error
        }
        return written
    }

    /// Whether `target` is an existing directory of this kind (or an empty directory) that may be replaced;
    /// throws when it is something else.
    private func checkTarget(_ target: String) throws(Failure) -> Bool {
        let fix = "Check the path and its permissions."
        let kind = try Self.system(fix: fix) { () throws(FileSystem.Failure) in try FileSystem.kind(of: target) }
        switch kind {
        case .missing: return false
        case .directory: break
        case .file, .symbolicLink, .other: throw .inUse(kind)
        }
        let entries = try Self.system(fix: fix) { () throws(FileSystem.Failure) in
            try FileSystem.entries(of: target)
        }
        guard entries.isEmpty || entries.contains(markerName) else { throw .inUse(.directory) }
        return true
    }

    /// Creates the parent directories of `files` inside `root`, parents first; returns them.
    private static func makeDirectories(for files: [DirectoryFile], in root: String) throws(Failure) -> [String] {
        var made: Set<String> = []
        var directories: [String] = []
        for file in files {
            var components = file.path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
            var relative = ""
            while let component = components.first {
                components.removeFirst()
                relative += (relative.isEmpty ? "" : "/") + component
                guard made.insert(relative).inserted else { continue }
                let directory = root + "/" + relative
                try system { () throws(FileSystem.Failure) in try FileSystem.makeDirectory(directory) }
                directories.append(directory)
            }
        }
        return directories
    }

    /// Writes every file (each fsync'ed); returns their total size.
    private static func fill(_ root: String, with files: [DirectoryFile], concurrently: Bool) throws(Failure) -> Int {
        guard concurrently, files.count > 1 else {
            var total = 0
            for file in files { total += try writeFile(file, in: root) }
            return total
        }
        // Two threads take files from either end of the list until they meet.
        struct Progress {
            var front = 0
            var back: Int
            var bytes = 0
            var failure: Failure?
        }
        let progress = Mutex(Progress(back: files.count))
        DispatchQueue.concurrentPerform(iterations: 2) { side in
            while true {
                let next: Int? = progress.withLock { state in
                    guard state.failure == nil, state.front < state.back else { return nil }
                    if side == 0 {
                        state.front += 1
                        return state.front - 1
                    }
                    state.back -= 1
                    return state.back
                }
                guard let index = next else { return }
                do throws(Failure) {
                    let size = try writeFile(files[index], in: root)
                    progress.withLock { $0.bytes += size }
                } catch {
                    progress.withLock { state in if state.failure == nil { state.failure = error } }
                    return
                }
            }
        }
        let result = progress.withLock { ($0.bytes, $0.failure) }
        if let failure = result.1 { throw failure }
        return result.0
    }

    /// Creates one file, streams its contents into it and fsyncs it; returns its size.
    private static func writeFile(_ file: DirectoryFile, in root: String) throws(Failure) -> Int {
        let output = try system { () throws(FileSystem.Failure) in
            try FileSystem.Output(creating: root + "/" + file.path, mode: file.mode)
        }
        var size = 0
        do {
            try file.contents { chunk in
                size += chunk.count
                try output.append(chunk)
            }
        } catch let failure as FileSystem.Failure {
            throw .system(failure, fix: nil)
        } catch {
            throw .contents(error)
        }
        try system { () throws(FileSystem.Failure) in try output.finish() }
        return size
    }

    /// Moves the finished `temporary` directory to `target`, swapping out an existing one.
    private func place(
        _ temporary: String, at target: String, parent: String, replacing existing: Bool,
        recording written: inout Written
    ) throws(Failure) {
        let fix = "Make sure the parent directory is writable."
        guard existing else {
            try Self.system(fix: fix) { () throws(FileSystem.Failure) in try FileSystem.rename(temporary, to: target) }
            try Self.system { () throws(FileSystem.Failure) in try FileSystem.syncDirectory(parent) }
            return
        }
        let swapped = try Self.system(fix: fix) { () throws(FileSystem.Failure) in
            try FileSystem.exchange(temporary, target)
        }
        if !swapped {
            // No atomic swap here: move the old directory aside, put the new one in, and move the old one back if
            // that fails.
            let aside = temporary + ".old"
            try Self.system(fix: fix) { () throws(FileSystem.Failure) in try FileSystem.rename(target, to: aside) }
            do {
                try FileSystem.rename(temporary, to: target)
            } catch {
                try? FileSystem.rename(aside, to: target)
                throw .system(error, fix: fix)
            }
            try? FileSystem.rename(aside, to: temporary)
        }
        // From here on the new directory is in place: a failure to clean up is reported, not thrown.
        try? FileSystem.syncDirectory(parent)
        do {
            try FileSystem.removeTree(temporary)
        } catch {
            written.leftover = temporary
        }
    }

    private static func system<T>(fix: String? = nil, _ body: () throws(FileSystem.Failure) -> T) throws(Failure) -> T {
        do {
            return try body()
        } catch {
            throw .system(error, fix: fix)
        }
    }

    /// `("dir", "name")` for `dir/name`, `(".", "name")` for `name`, `("/", "name")` for `/name`.
    private static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let parent = String(path[..<slash])
        return (parent.isEmpty ? "/" : parent, String(path[path.index(after: slash)...]))
    }
}
