/// A file a job reads or writes, as a workflow instance declares it.
///
/// clustmake moves no data and takes no dependency from files: they are kept so that a person reviewing a plan
/// sees what each job reads and writes (plan.json, `plan -v`).
public struct JobFile: Sendable, Hashable {
    /// Whether the job reads the file or writes it.
    public enum Link: String, Sendable, Hashable {
        case input
        case output
    }

    /// The file's name or path, as the instance gives it.
    public var name: String
    /// Whether the job reads or writes it.
    public var link: Link
    /// Its size in bytes, when known.
    public var size: UInt64?

    public init(name: String, link: Link, size: UInt64? = nil) {
        self.name = name
        self.link = link
        self.size = size
    }
}

extension Collection where Element == JobFile {
    /// "3 files (2 inputs, 1 output; 4.1 MiB)": how many files, of which kind, and their known total size.
    public var summary: String {
        let inputs = filter { $0.link == .input }.count
        var size: UInt64 = 0
        var sized = false
        for file in self {
            guard let bytes = file.size else { continue }
            sized = true
            size = size.addingReportingOverflow(bytes).overflow ? .max : size + bytes
        }
        var text =
            "\(Format.count(count, "file")) (\(Format.count(inputs, "input")), "
            + "\(Format.count(count - inputs, "output"))"
        if sized { text += "; \(Format.bytes(size))" }
        return text + ")"
    }
}
