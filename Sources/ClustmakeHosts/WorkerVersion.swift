import ClustmakeScripts

/// What `compmake --version` prints, and reading a version back from it.
///
/// clustmake's worker prints `compmake (clustmake worker) 0.1.0, redis schema 1` (docs/worker.md). Anything else,
/// upstream compmake's Python `compmake --version` included, is not a clustmake worker.
public enum WorkerVersion {
    /// The start of the first line of a clustmake worker's `--version`.
    public static let prefix = "compmake (clustmake worker) "

    /// A shell `case` pattern that matches `compmake --version`'s line for `version`: `compmake (clustmake worker)
    /// V` alone, or followed by `, redis schema N`.
    static func casePattern(_ version: String) -> String {
        ShellQuote.quote(prefix + version) + "|" + ShellQuote.quote(prefix + version + ",") + "*"
    }

    /// The version in a worker's `--version` output, or `nil` when it is not a clustmake worker's.
    /// - Parameter output: What `compmake --version` printed (only its first line counts).
    public static func parse(_ output: String) -> String? {
        let line = output.split(maxSplits: 1, omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? ""
        guard line.hasPrefix(prefix) else { return nil }
        let rest = line.dropFirst(prefix.count)
        let version = rest.prefix { $0 != "," && $0 != " " }
        return version.isEmpty ? nil : String(version)
    }
}
