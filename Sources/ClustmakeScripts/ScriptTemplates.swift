import ClustmakeModel
internal import Mustache

/// The mustache templates the scripts are rendered from: the built-in ones, optionally overridden by file name
/// from a user directory (`--templates DIR`).
///
/// | file                  | renders                                                                    |
/// |-----------------------|----------------------------------------------------------------------------|
/// | `host.sh.mustache`    | `hosts/<host>.sh`: the header, one function per slot, start and wait      |
/// | `job.sh.mustache`     | one job line inside a slot function (`{{{command}}}`, `{{{job}}}`)         |
/// | `run-all.sh.mustache` | `run-all.sh`                                                               |
/// | `run.sbatch.mustache` | `slurm/run.sbatch` of a SLURM plan                                         |
/// | `submit.sh.mustache`  | `slurm/submit.sh` of a SLURM plan                                          |
/// | `job.sbatch.mustache` | `slurm/jobs/NNNN-ID.sbatch` of a per-job SLURM plan: one job's batch script |
/// | `submit-jobs.sh.mustache` | `slurm/submit.sh` of a per-job SLURM plan                              |
/// | `open-tunnel.sh.mustache` | partial of host.sh and job.sbatch: a SLURM node's tunnel to redis      |
/// | `stop-hosts.sh.mustache`, `wait-hosts.sh.mustache` | partials of run-all.sh and run.sbatch: stop and wait for the host scripts |
///
/// Any other `*.mustache` file of the directory is available as a partial (`{{>name}}`). Every string value that
/// comes from the graph, the cluster or the options (nicknames, `destination`, `worker`, `namespace`, `redis`, the
/// password file, the job line, the id) reaches the templates already quoted as one shell word; the others are
/// numbers, booleans, hashes and counts the writer makes (`3 jobs`, `1m05s`). Nothing is HTML-escaped (`{{x}}`
/// and `{{{x}}}` render alike).
/// The variables are documented in docs/plan-directory.md.
public struct ScriptTemplates: Sendable {
    /// The file names of the templates the writer uses.
    public static let requiredFileNames = [
        hostFile, jobFile, runAllFile, runSbatchFile, submitFile, jobSbatchFile, submitJobsFile,
        "stop-hosts.sh.mustache", "wait-hosts.sh.mustache", "open-tunnel.sh.mustache",
    ]
    static let hostFile = "host.sh.mustache"
    static let jobFile = "job.sh.mustache"
    static let runAllFile = "run-all.sh.mustache"
    static let runSbatchFile = "run.sbatch.mustache"
    static let submitFile = "submit.sh.mustache"
    static let jobSbatchFile = "job.sbatch.mustache"
    static let submitJobsFile = "submit-jobs.sh.mustache"
    /// The ending of a template file name.
    public static let fileExtension = ".mustache"

    /// Where each template came from, by file name: `built-in` or the path of the user's file.
    public private(set) var origins: [String: String]
    /// The parsed templates, by file name without `.mustache` (the partial name).
    private(set) var library: MustacheLibrary

    /// The built-in templates (a copy of the repository's `templates/` directory, embedded in the binary).
    public static let builtIn: ScriptTemplates = {
        do {
            return try ScriptTemplates(texts: DefaultTemplates.files, origin: { _ in "built-in" })
        } catch {
            preconditionFailure("the built-in templates do not parse: \(error)")
        }
    }()

    /// The built-in templates with the given template files added or put in place of the built-in ones of the same
    /// name (the last component of each path). Reading them is an edge's work: `init(overridingWith:)`
    /// (ClustmakeInput) reads a directory's `*.mustache` files and passes them here.
    /// - Parameter files: The bytes of each template file, by its path (which errors and ``origins`` show).
    /// - Throws: ``ScriptError`` naming the file (and line and column) that is not UTF-8 or not valid mustache.
    public init(templateFiles files: [String: [UInt8]]) throws(ScriptError) {
        var texts = DefaultTemplates.files
        var paths: [String: String] = [:]
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ScriptError(
                    .templateUnreadable, "the template is not UTF-8 text.", fix: "Save it as UTF-8.", file: path)
            }
            texts[name] = text
            paths[name] = path
        }
        try self.init(texts: texts, origin: { paths[$0] ?? "built-in" })
    }

    /// Parses templates given as text, by file name (`host.sh.mustache`, …); missing ones are built-in.
    /// - Parameters:
    ///   - texts: Template text by file name.
    ///   - origin: How to name each file in errors and ``origins``.
    /// - Throws: ``ScriptError`` with code ``ScriptError/Code/templateSyntax`` naming the file, line and column.
    init(texts: [String: String], origin: (String) -> String) throws(ScriptError) {
        var library = MustacheLibrary()
        var origins: [String: String] = [:]
        var texts = texts
        for (name, text) in DefaultTemplates.files where texts[name] == nil { texts[name] = text }
        for (name, text) in texts.sorted(by: { $0.key < $1.key }) {
            let file = origin(name)
            // Plain text, not HTML: values are shell words and must reach the script byte for byte. The pragma
            // is a line of its own, so every line of the user's file keeps its number plus one.
            do {
                library.register(
                    try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}\n" + text),
                    named: String(name.dropLast(Self.fileExtension.count)))
            } catch let error as MustacheTemplate.ParserError {
                throw ScriptError(
                    .templateSyntax, "the template is not valid mustache: \(Self.describe(error.error))",
                    fix: "Correct the template"
                        + (file == "built-in" ? "." : ", or remove it to use the built-in one."),
                    file: file, line: max(1, error.context.lineNumber - 1), column: error.context.columnNumber,
                    cause: "in the line '\(error.context.line)'")
            } catch {
                throw ScriptError(.templateSyntax, "the template cannot be parsed.", file: file, cause: "\(error)")
            }
            origins[name] = file
        }
        self.library = library
        self.origins = origins
    }

    /// The text of a built-in template, to start a custom one from.
    /// - Parameter fileName: A file name such as `host.sh.mustache`.
    /// - Returns: The template's text, or `nil` for a name that is not built in.
    public static func builtInText(_ fileName: String) -> String? {
        DefaultTemplates.files[fileName]
    }

    /// Renders template `file` (a file name) with `context`.
    func render(_ file: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: String(file.dropLast(Self.fileExtension.count))) ?? ""
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? MustacheTemplate.Error else { return "\(error)." }
        switch error {
        case .sectionCloseNameIncorrect: return "a section is closed with another name than it was opened with."
        case .unfinishedName: return "a tag is not finished (a '}}' is missing or the name has a bad character)."
        case .expectedSectionEnd: return "a section is never closed (its {{/name}} is missing)."
        case .invalidSetDelimiter: return "a set-delimiter tag is malformed."
        case .transformAppliedToInheritanceSection: return "a transform is applied to an inheritance section."
        case .illegalTokenInsideInheritSection: return "an inheritance section holds a tag it cannot hold."
        case .textInsideInheritSection: return "an inheritance section holds text."
        case .invalidConfigVariableSyntax: return "a {{% … }} pragma is malformed."
        case .unrecognisedConfigVariable: return "a {{% … }} pragma is not known."
        }
    }
}
