import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The one log handler of clustmake's executables: each message as one readable line on standard error,
/// `clustmake: [plan] read the job graph in 0.02 s (graph.format=clustmake YAML, graph.jobs=6)`.
///
/// The label's first part names the program and the rest the command (`clustmake.plan`); metadata follows the
/// message in parentheses, sorted by key; warnings and errors say so. ``CommandLineTool/main(_:name:)``
/// bootstraps it once; commands choose the level (``LoggingOptions``).
struct ClustmakeLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    init(label: String) {
        self.label = label
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line = Self.line(
            label: label, level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" })
        CommandLineTool.writeError(line)
    }

    /// The line for one message, with its newline.
    static func line(label: String, level: Logger.Level, message: String, metadata: [String: String]) -> String {
        let parts = label.split(separator: ".", maxSplits: 1)
        var text = "\(parts.first ?? "clustmake"): "
        if parts.count == 2 { text += "[\(parts[1])] " }
        switch level {
        case .warning: text += "warning: "
        case .error, .critical: text += "error: "
        case .trace, .debug, .info, .notice: break
        }
        text += message
        if !metadata.isEmpty {
            text += " (" + metadata.keys.sorted().map { "\($0)=\(metadata[$0]!)" }.joined(separator: ", ") + ")"
        }
        return text + "\n"
    }
}
