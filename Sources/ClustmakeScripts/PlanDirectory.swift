import ClustmakeModel
import ClustmakePlanner
import Dispatch
import Synchronization

/// Writes a plan directory, all or nothing:
///
/// ```
/// plan/
///   hosts/<host>.sh   one script per host of the cluster (mode 0755)
///   run-all.sh        starts every host script and waits for them (mode 0755)
///   plan.json         the plan for programs
///   summary.txt       the plan for people
///   .clustmake-plan   marks the directory as one clustmake may replace
/// ```
///
/// Everything is written into a new temporary sibling directory (`.plan.tmp-XXXXXX`), every file and directory is
/// fsync'ed, and only then is the directory renamed into place. An existing plan directory is swapped out in the
/// same step (Linux `renameat2(RENAME_EXCHANGE)`, else two renames) and then removed. When anything fails the
/// temporary directory is removed and an existing directory is left as it was. A path that exists but is not a
/// plan directory (no `.clustmake-plan` inside, and not empty) is never replaced.
public struct PlanDirectory: Sendable {
    /// The directory written when none is given.
    public static let defaultPath = "plan"
    /// The name of the file that marks a plan directory.
    public static let markerName = ".clustmake-plan"

    /// The directory to write.
    public var path: String

    /// - Parameter path: The directory to write (`plan` by default); its parent must exist.
    public init(path: String = PlanDirectory.defaultPath) {
        self.path = path
    }

    /// What ``write(_:)`` wrote.
    public struct Written: Sendable, Hashable {
        /// The plan directory.
        public var path: String
        /// The files written, relative to ``path``, in the order written.
        public var files: [String]
        /// The total size of the files, in bytes.
        public var bytes: Int
        /// Whether an existing plan directory was replaced.
        public var replaced: Bool
        /// A previous plan directory that could not be removed after the swap (the new plan is in place); the
        /// caller may tell the user to delete it.
        public var leftover: String?
    }

    /// Renders every file of `writer`'s plan and puts the directory in place.
    /// - Parameter writer: The rendered plan.
    /// - Returns: What was written.
    /// - Throws: ``ScriptError``: ``ScriptError/Code/outputInUse`` when the path is a file, a symbolic link or a
    ///   directory that is not a plan directory; ``ScriptError/Code/io`` (naming the file and the system error)
    ///   when a file cannot be created, written, synced or renamed; a template error from rendering. In every
    ///   case nothing is left behind and an existing directory is untouched.
    public func write(_ writer: ScriptWriter) throws(ScriptError) -> Written {
        var target = path
        while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
        let (parent, name) = Self.split(target)
        guard !name.isEmpty, name != ".", name != "..", name != "/" else {
            throw ScriptError(
                .outputInUse, "'\(path)' cannot be a plan directory: it must name a new or plan directory.",
                fix: "Give a directory name such as 'plan' or 'runs/plan-1'.", file: path)
        }
        let existing = try checkTarget(target)
        let temporary: String
        do {
            temporary = try FileSystem.makeTemporarySibling(of: target, parent: parent, name: name)
        } catch {
            throw Self.ioError(error, fix: "Make sure the parent directory exists and is writable.")
        }
        var written = Written(path: target, files: [], bytes: 0, replaced: existing, leftover: nil)
        do {
            try fill(temporary, with: writer, recording: &written)
            try Self.sync(temporary)
            try Self.sync(temporary + "/hosts")
            try place(temporary, at: target, parent: parent, replacing: existing, recording: &written)
        } catch {
            try? FileSystem.removeTree(temporary)
            throw error
        }
        return written
    }

    /// Whether `target` is an existing plan directory (or empty directory) that may be replaced; throws when it
    /// is something else.
    private func checkTarget(_ target: String) throws(ScriptError) -> Bool {
        let fix = "Remove it or write the plan elsewhere (--out DIR)."
        let kind = try Self.perform(fix: "Check the path and its permissions.") { () throws(FileSystem.Failure) in
            try FileSystem.kind(of: target)
        }
        switch kind {
        case .missing: return false
        case .directory: break
        case .file:
            throw ScriptError(.outputInUse, "it exists and is a file, so it is not replaced.", fix: fix, file: target)
        case .symbolicLink:
            throw ScriptError(.outputInUse, "it is a symbolic link, so it is not replaced.", fix: fix, file: target)
        case .other:
            throw ScriptError(
                .outputInUse, "it exists and is not a directory, so it is not replaced.", fix: fix, file: target)
        }
        let entries = try Self.perform(fix: "Check the path and its permissions.") { () throws(FileSystem.Failure) in
            try FileSystem.entries(of: target)
        }
        guard entries.isEmpty || entries.contains(Self.markerName) else {
            throw ScriptError(
                .outputInUse,
                "it exists and is not a clustmake plan directory (it has no \(Self.markerName)), so it is not replaced.",
                fix: fix, file: target)
        }
        return true
    }

    /// Writes every file of the plan into `directory`: the scripts and plan.json side by side (two threads, so
    /// that rendering, JSON and the disk overlap), then the summary and the marker.
    private func fill(_ directory: String, with writer: ScriptWriter, recording written: inout Written)
        throws(ScriptError)
    {
        try Self.perform { () throws(FileSystem.Failure) in try FileSystem.makeDirectory(directory + "/hosts") }
        let results = Mutex<[Result<[(String, Int)], ScriptError>?]>([nil, nil])
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let result: Result<[(String, Int)], ScriptError>
            do throws(ScriptError) {
                result = .success(
                    part == 0
                        ? try Self.writeScripts(writer, in: directory) : try Self.writePlanJSON(writer, in: directory))
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[part] = result }
        }
        var files: [(String, Int)] = []
        for result in results.withLock({ $0 }) {
            switch result {
            case .success(let part): files += part
            case .failure(let error): throw error
            case nil: throw ScriptError(.io, "a part of the plan directory was not written.", file: directory)
            }
        }
        let summary = Array(PlanSummary(plan: writer.plan, namespace: writer.settings.namespace).text.utf8)
        try Self.add("summary.txt", summary, mode: 0o644, in: directory)
        files.append(("summary.txt", summary.count))
        let marker = Array("\(PlanJSON.format)\n".utf8)
        try Self.add(Self.markerName, marker, mode: 0o644, in: directory)
        files.append((Self.markerName, marker.count))
        written.files = files.map(\.0)
        written.bytes = files.reduce(0) { $0 + $1.1 }
    }

    /// Writes `hosts/*.sh` and `run-all.sh`.
    private static func writeScripts(_ writer: ScriptWriter, in directory: String) throws(ScriptError) -> [(
        String, Int
    )] {
        var files: [(String, Int)] = []
        for host in writer.plan.cluster.hosts.indices {
            let name = "hosts/" + writer.hostScriptName(host)
            let bytes = try writer.hostScript(host)
            try add(name, bytes, mode: 0o755, in: directory)
            files.append((name, bytes.count))
        }
        let runAll = writer.runAllScript()
        try add("run-all.sh", runAll, mode: 0o755, in: directory)
        files.append(("run-all.sh", runAll.count))
        return files
    }

    /// Streams `plan.json` to its file.
    private static func writePlanJSON(_ writer: ScriptWriter, in directory: String) throws(ScriptError) -> [(
        String, Int
    )] {
        let output = try perform { () throws(FileSystem.Failure) in
            try FileSystem.Output(creating: directory + "/plan.json", mode: 0o644)
        }
        var size = 0
        try PlanJSON.write(writer) { (chunk) throws(ScriptError) in
            size += chunk.count
            return try perform { () throws(FileSystem.Failure) in try output.append(chunk) }
        }
        try perform { () throws(FileSystem.Failure) in try output.finish() }
        return [("plan.json", size)]
    }

    private static func add(_ name: String, _ bytes: [UInt8], mode: UInt32, in directory: String) throws(ScriptError) {
        try perform { () throws(FileSystem.Failure) in
            try FileSystem.writeFile(bytes, to: directory + "/" + name, mode: .init(mode))
        }
    }

    /// Moves the finished `temporary` directory to `target`, swapping out an existing one.
    private func place(
        _ temporary: String, at target: String, parent: String, replacing existing: Bool,
        recording written: inout Written
    ) throws(ScriptError) {
        let fix = "Make sure the parent directory is writable."
        guard existing else {
            try Self.perform(fix: fix) { () throws(FileSystem.Failure) in try FileSystem.rename(temporary, to: target) }
            try Self.sync(parent)
            return
        }
        let swapped = try Self.perform(fix: fix) { () throws(FileSystem.Failure) in
            try FileSystem.exchange(temporary, target)
        }
        if !swapped {
            // No atomic swap here: move the old directory aside, put the new one in, and move the old one back if
            // that fails.
            let aside = temporary + ".old"
            try Self.perform(fix: fix) { () throws(FileSystem.Failure) in try FileSystem.rename(target, to: aside) }
            do {
                try FileSystem.rename(temporary, to: target)
            } catch {
                try? FileSystem.rename(aside, to: target)
                throw Self.ioError(error, fix: fix)
            }
            try? FileSystem.rename(aside, to: temporary)
        }
        // From here on the new plan is in place: a failure to clean up is reported, not thrown.
        try? FileSystem.syncDirectory(parent)
        do {
            try FileSystem.removeTree(temporary)
        } catch {
            written.leftover = temporary
        }
    }

    private static func sync(_ directory: String) throws(ScriptError) {
        try perform { () throws(FileSystem.Failure) in try FileSystem.syncDirectory(directory) }
    }

    private static func perform<T>(fix: String? = nil, _ body: () throws(FileSystem.Failure) -> T) throws(ScriptError)
        -> T
    {
        do {
            return try body()
        } catch {
            throw ioError(error, fix: fix)
        }
    }

    private static func ioError(_ failure: FileSystem.Failure, fix: String?) -> ScriptError {
        ScriptError(
            .io, "cannot \(failure.operation) it.",
            fix: fix ?? "Check the free space and permissions of the directory.",
            file: failure.path, cause: failure.cause)
    }

    /// `("dir", "name")` for `dir/name`, `(".", "name")` for `name`, `("/", "name")` for `/name`.
    private static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let parent = String(path[..<slash])
        return (parent.isEmpty ? "/" : parent, String(path[path.index(after: slash)...]))
    }
}
