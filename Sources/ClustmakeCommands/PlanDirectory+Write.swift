public import ClustmakeModel
public import ClustmakeScripts
import ClustmakeSystem

extension PlanDirectory {
    /// Renders every file of `writer`'s plan (``PlanDirectory/files(of:)``) and puts the directory in place, all
    /// or nothing, with ClustmakeSystem's `AtomicDirectory` (the scripts and `plan.json` written side by side).
    /// - Parameter writer: The rendered plan.
    /// - Returns: What was written.
    /// - Throws: ``ScriptError``: ``ScriptError/Code/outputInUse`` when the path is a file, a symbolic link or a
    ///   directory that is not a plan directory; ``ScriptError/Code/io`` (naming the file and the system error)
    ///   when a file cannot be created, written, synced or renamed; ``InputError/Code/invalidValue`` when the
    ///   directory that would hold it does not exist (the user's input); a template error from rendering. In every
    ///   case nothing is left behind and an existing directory is untouched.
    public func write(_ writer: ScriptWriter) throws(ScriptError) -> Written {
        let directory = AtomicDirectory(path: path, markerName: Self.markerName)
        let fix = "Remove it or write the plan elsewhere (-o/--output DIR)."
        do {
            // Two threads: plan.json renders while the host scripts are written. Measured with
            // bench/plan-scale.py (1,000,000 jobs, 2 cores): 6.6-6.8 s against 7.7-7.8 s one file at a time.
            return try directory.write(Self.files(of: writer), concurrently: true)
        } catch {
            switch error {
            case .invalidName:
                throw ScriptError(
                    .outputInUse, "'\(path)' cannot be a plan directory: it must name a new or plan directory.",
                    fix: "Give a directory name such as 'plan' or 'runs/plan-1'.", file: path)
            case .inUse(let kind):
                let message =
                    switch kind {
                    case .file: "it exists and is a file, so it is not replaced."
                    case .symbolicLink: "it is a symbolic link, so it is not replaced."
                    case .directory:
                        "it exists and is not a clustmake plan directory (it has no \(Self.markerName)), so it is "
                            + "not replaced."
                    case .missing, .other: "it exists and is not a directory, so it is not replaced."
                    }
                throw ScriptError(.outputInUse, message, fix: fix, file: Self.trimmed(path))
            case .system(let failure, let fix):
                try checkParent()
                throw ScriptError(
                    .io, "cannot \(failure.operation) it.",
                    fix: fix ?? "Check the free space and permissions of the directory.", file: failure.path,
                    cause: failure.cause)
            case .invalidFilePath(let file):
                throw ScriptError(
                    .invalidPlan, "the plan directory would hold a file outside it: '\(file)'.", file: path)
            case .contents(let cause as ScriptError):
                throw cause
            case .contents(let cause):
                throw ScriptError(
                    .io, "a file of the plan directory cannot be rendered.", file: path, cause: "\(cause)")
            }
        }
    }

    /// The directory holding `path` (`.` for a bare name).
    /// Throws when the directory that would hold the plan directory does not exist: the user's input, checked
    /// before anything else happens (`clustmake plan` calls it before it starts or writes to redis), and again
    /// when writing fails.
    /// - Throws: ``ScriptError`` (``ScriptError/Code/invalidValue``) naming the directory and the `mkdir -p` fix.
    public func checkParent() throws(ScriptError) {
        let parent = Self.parent(of: Self.trimmed(path))
        guard (try? FileSystem.kind(of: parent)) == .missing else { return }
        throw ScriptError(
            .invalidValue,
            "the directory '\(parent)' that would hold the plan directory does not exist, so nothing was written.",
            fix: "Create it first (mkdir -p \(ShellQuote.quote(parent))), or give -o/--output a path in an existing "
                + "directory.", file: Self.trimmed(path))
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `path` without trailing slashes (as the writer names the directory).
    private static func trimmed(_ path: String) -> String {
        var target = path
        while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
        return target
    }
}
