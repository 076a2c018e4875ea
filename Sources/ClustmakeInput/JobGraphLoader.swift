import ClustmakeJSON
public import ClustmakeModel

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
        try load(bytes: InputFile.read(path), file: path).graph
    }

    /// Loads and validates a graph from the bytes of a file named `file` (used for messages and to pick the
    /// format by extension).
    public func load(bytes: [UInt8], file: String) throws(InputError) -> (graph: JobGraph, format: Format) {
        let decoded: (namespace: String?, jobs: [Job])
        let format: Format
        if Self.isJSON(bytes, file: file) {
            (decoded, format) = try decodeJSON(bytes, file: file)
        } else {
            let root = try YAMLNode.parse(InputFile.text(bytes, file: file), file: file)
            if WfCommonsDecoder<YAMLNode>.looksLikeWfCommons(root) {
                format = .wfcommons
                decoded = try WfCommonsDecoder(file: file, timeScale: timeScale).decode(root)
            } else {
                format = .nativeYAML
                decoded = try NativeGraphDecoder(file: file).decode(root)
            }
        }
        if timeScale != nil, format != .wfcommons {
            throw InputError(
                .invalidValue, "--time-scale applies to WfCommons workflow instances only.",
                fix: "Drop --time-scale, or give a WfCommons instance.", file: file)
        }
        do {
            return (try JobGraph(namespace: decoded.namespace, jobs: decoded.jobs), format)
        } catch {
            throw error.inFile(file)
        }
    }

    /// Decodes a JSON graph. The `jobs` array of a native graph is streamed, one job at a time, so a graph of a
    /// million jobs never exists as a whole JSON tree (that would take over a gigabyte).
    private func decodeJSON(
        _ bytes: [UInt8], file: String
    ) throws(InputError) -> (decoded: (namespace: String?, jobs: [Job]), format: Format) {
        let decoder = NativeGraphDecoder<JSONInputNode>(file: file)
        var jobs = [Job]()
        let rest: JSONValue
        do {
            rest = try JSONStream.read(bytes, source: file, streamingArray: "jobs") { element in
                jobs.append(try decoder.decodeJob(JSONInputNode(node: element), position: jobs.count))
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
            return (try WfCommonsDecoder(file: file, timeScale: timeScale).decode(root), .wfcommons)
        }
        if jobs.isEmpty {
            // Nothing was streamed: the checks on the whole document say what is missing or wrong.
            return (try NativeGraphDecoder<JSONValueNode>(file: file).decode(root), .nativeJSON)
        }
        let (namespace, _) = try NativeGraphDecoder<JSONValueNode>(file: file).decodeTop(root)
        return ((namespace, jobs), .nativeJSON)
    }

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
