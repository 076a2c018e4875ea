import ClustmakeJSON
public import ClustmakeModel
import ClustmakeSystem

/// Reads a job graph file: clustmake's native format in JSON or YAML (docs/job-graph.md), or a WfCommons
/// workflow instance, told apart by content.
public struct JobGraphLoader: Sendable {
    /// Replace every WfCommons command by a `sleep` of the task's runtime times this factor.
    public var timeScale: Double?

    public init(timeScale: Double? = nil) {
        self.timeScale = timeScale
    }

    /// The formats a graph file can be in.
    public enum Format: String, Sendable {
        case nativeJSON = "json"
        case nativeYAML = "yaml"
        case wfcommons
    }

    /// Loads and validates the graph at `path` ("-" reads standard input).
    /// - Throws: ``InputError`` naming the file and the line and column or the job of the first problem.
    public func load(path: String) throws(InputError) -> JobGraph {
        try loadDescribed(path: path).graph
    }

    /// Loads and validates the graph at `path` ("-" reads standard input), and says how the file was read:
    /// "clustmake YAML", or a WfCommons instance's WfFormat version and shape ("WfCommons instance, WfFormat 1.4
    /// (workflow.tasks, parents by name)"), for `-v`.
    /// - Throws: ``InputError`` naming the file and the line and column or the job of the first problem.
    public func loadDescribed(path: String) throws(InputError) -> (graph: JobGraph, source: String) {
        let loaded = try loadDetailed(bytes: InputFile.read(path), file: path)
        return (loaded.graph, loaded.source)
    }

    /// Loads and validates a graph from the bytes of a file named `file` (used for messages and to pick the
    /// format by extension).
    public func load(bytes: [UInt8], file: String) throws(InputError) -> (graph: JobGraph, format: Format) {
        let loaded = try loadDetailed(bytes: bytes, file: file)
        return (loaded.graph, loaded.format)
    }

    /// Loads a graph and says how it was read (see ``loadDescribed(path:)``).
    func loadDetailed(
        bytes: [UInt8], file: String
    ) throws(InputError) -> (graph: JobGraph, format: Format, source: String) {
        let decoded: Decoded
        if Self.isJSON(bytes, file: file) {
            decoded = try decodeJSON(bytes, file: file)
        } else {
            let root = try YAMLNode.parse(InputFile.text(bytes, file: file), file: file)
            if WfCommonsDecoder<YAMLNode>.looksLikeWfCommons(root) {
                let instance = try WfCommonsDecoder(file: file, timeScale: timeScale).decode(root)
                decoded = Decoded(jobs: instance.jobs, format: .wfcommons, version: instance.version)
            } else {
                let native = try NativeGraphDecoder(file: file).decode(root)
                decoded = Decoded(namespace: native.namespace, jobs: native.jobs, format: .nativeYAML)
            }
        }
        if timeScale != nil, decoded.format != .wfcommons {
            throw InputError(
                .invalidValue, "--time-scale applies to WfCommons workflow instances only.",
                fix: "Drop --time-scale, or give a WfCommons instance.", file: file)
        }
        do {
            let graph = try JobGraph(namespace: decoded.namespace, jobs: decoded.jobs)
            return (graph, decoded.format, decoded.source)
        } catch {
            // The document is read again only now, to place the error: a graph that loads keeps no YAML tree.
            guard decoded.format == .nativeYAML,
                let root = try? YAMLNode.parse(InputFile.text(bytes, file: file), file: file)
            else { throw error.inFile(file) }
            throw Self.placed(error, root: root, namespace: decoded.namespace, jobs: decoded.jobs).inFile(file)
        }
    }

    /// A graph error about a native YAML file, with the line and column of what it is about: the namespace, the
    /// `id` of a job with an invalid or repeated id, or the entry of `deps` that names no job or the job itself.
    ///
    /// ``ClustmakeModel/JobGraph`` checks without positions; this finds the place it stopped at by asking the same
    /// questions in the same order (every id first, then each job's deps in order), only after it failed.
    static func placed(_ error: InputError, root: YAMLNode, namespace: String?, jobs: [Job]) -> InputError {
        var placed = error
        func place(_ node: YAMLNode?) -> InputError {
            if let location = node?.location {
                placed.line = location.line
                placed.column = location.column
            }
            return placed
        }
        if error.code == .invalidID, let namespace, JobID.problem(with: namespace) != nil {
            return place(root.member("namespace"))
        }
        let elements = root.member("jobs")?.elements ?? []
        guard elements.count == jobs.count else { return error }
        switch error.code {
        case .invalidID, .duplicateID:
            var seen = Set<String>()
            for (position, job) in jobs.enumerated() {
                let invalid = JobID.problem(with: job.id) != nil
                if invalid || !seen.insert(job.id).inserted {
                    guard (error.code == .invalidID) == invalid else { return error }
                    return place(elements[position].member("id"))
                }
            }
        case .unknownDependency, .cycle:
            let ids = Set(jobs.map(\.id))
            for (position, job) in jobs.enumerated() {
                // The decoder keeps deps as written, so the n-th dep is the n-th element of `deps`.
                for (offset, dep) in job.deps.enumerated() where !ids.contains(dep) || dep == job.id {
                    let entries = elements[position].member("deps")?.elements ?? []
                    return place(offset < entries.count ? entries[offset] : elements[position].member("deps"))
                }
            }
            // A cycle through several jobs: the first job of the path, at its id.
            if error.code == .cycle, let subject = error.subject,
                let position = jobs.firstIndex(where: { subject == "job '\($0.id)'" })
            {
                return place(elements[position].member("id"))
            }
        default:
            break
        }
        return error
    }

    /// What a decoder read from a file, before the graph's checks.
    private struct Decoded {
        var namespace: String?
        var jobs: [Job]
        var format: Format
        /// The WfFormat version of a WfCommons instance.
        var version: WfFormatVersion?

        /// How the file was read, for `-v`.
        var source: String {
            switch format {
            case .nativeJSON: "clustmake JSON"
            case .nativeYAML: "clustmake YAML"
            case .wfcommons: version?.summary ?? "WfCommons instance"
            }
        }
    }

    /// Decodes a JSON graph. The `jobs` array of a native graph is streamed, one job at a time, so a graph of a
    /// million jobs never exists as a whole JSON tree (that would take over a gigabyte).
    private func decodeJSON(_ bytes: [UInt8], file: String) throws(InputError) -> Decoded {
        let decoder = NativeGraphDecoder<JSONInputNode>(file: file)
        let jobs: [Job]
        let rest: JSONValue
        do {
            // The jobs are parsed on every core when there are many (a million jobs' 85 MB: 4.7 s on one core of
            // this 2-core machine); their order and the first error in the file are the same either way.
            let threads = bytes.count >= Self.parallelReadBytes ? ProcessInfoLite.activeProcessorCount : 1
            (rest, jobs) = try JSONStream.read(bytes, source: file, streamingArray: "jobs", threads: threads) {
                element, position in try decoder.decodeJob(JSONInputNode(node: element), position: position)
            }
        } catch let error as InputError {
            throw error
        } catch let error as JSONError {
            throw Self.inputError(error, file: file)
        } catch {
            throw InputError(.syntax, "cannot read JSON: \(error).", file: file)
        }
        let root = JSONValueNode(value: rest)
        if jobs.isEmpty, WfCommonsDecoder<JSONValueNode>.looksLikeWfCommons(root) {
            let instance = try WfCommonsDecoder(file: file, timeScale: timeScale).decode(root)
            return Decoded(jobs: instance.jobs, format: .wfcommons, version: instance.version)
        }
        if jobs.isEmpty {
            // Nothing was streamed: the checks on the whole document say what is missing or wrong.
            let native = try NativeGraphDecoder<JSONValueNode>(file: file).decode(root)
            return Decoded(namespace: native.namespace, jobs: native.jobs, format: .nativeJSON)
        }
        let (namespace, _) = try NativeGraphDecoder<JSONValueNode>(file: file).decodeTop(root)
        return Decoded(namespace: namespace, jobs: jobs, format: .nativeJSON)
    }

    /// From this size on, a JSON graph's jobs are parsed on several threads at once.
    static let parallelReadBytes = 1 << 20

    /// JSON by extension (.json), YAML by extension (.yaml, .yml), else JSON when the text starts with `{`.
    static func isJSON(_ bytes: [UInt8], file: String) -> Bool {
        let lower = file.lowercased()
        if lower.hasSuffix(".json") { return true }
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") { return false }
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return first == UInt8(ascii: "{") || first == UInt8(ascii: "[")
    }

    static func inputError(_ error: JSONError, file: String) -> InputError {
        let code: InputError.Code = error.code == .invalidUTF8 ? .encoding : .syntax
        // The JSON module's messages say what is wrong ("invalid JSON: …", "empty input: …") as they are.
        return InputError(
            code, error.message, fix: error.hint ?? "Correct the JSON syntax at this place.", file: file,
            line: error.line, column: error.column)
    }
}
