import ClustmakeModel
import Yams

/// A Yams node seen through ``DocumentNode``.
struct YAMLNode: DocumentNode {
    let node: Node
    /// Worked out once: it takes up to four scalar conversions, and every typed read asks for it.
    let kind: NodeKind

    init(node: Node) {
        self.node = node
        self.kind = Self.kind(of: node)
    }

    /// Parses YAML text, resolving merge keys (`<<: *base`, see ``MergeResolver``).
    /// - Parameter mergeBudget: How many merged keys may be copied in all.
    /// - Throws: ``InputError`` with the line and column of the first syntax error, of a repeated key, or of a
    ///   merge key that names no mapping.
    static func parse(_ text: String, file: String, mergeBudget: Int = mergeBudget) throws(InputError) -> YAMLNode {
        do {
            // The parser keeps the document's anchors alive, by which merging knows the nodes that aliases share.
            let parser = try Parser(yaml: text)
            guard let node = try parser.singleRoot() else {
                throw InputError(.syntax, "the file is empty.", fix: "Write the document into it.", file: file)
            }
            // Only a file that holds "<<" can hold a merge key: the others are not walked.
            guard text.contains("<<") else { return YAMLNode(node: node) }
            var merges = MergeResolver(file: file, budget: mergeBudget)
            let resolved = try merges.resolve(node)
            withExtendedLifetime(parser) {}
            return YAMLNode(node: resolved)
        } catch let error as InputError {
            throw error
        } catch let error as YamlError {
            throw Self.inputError(error, file: file)
        } catch {
            throw InputError(.syntax, "cannot read YAML: \(error).", file: file)
        }
    }

    private static func inputError(_ error: YamlError, file: String) -> InputError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return InputError(
                .syntax, "invalid YAML: \(detail).", fix: "Correct the YAML syntax at this place.", file: file,
                line: mark.line, column: mark.column)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return InputError(
                .syntax, "the key \(names) appears twice in one mapping.", fix: "Keep one of them.", file: file,
                line: context.mark.line, column: context.mark.column)
        case .reader(let problem, _, _, _):
            return InputError(.encoding, "cannot read YAML: \(problem).", fix: "Save the file as UTF-8.", file: file)
        default:
            return InputError(.syntax, "invalid YAML: \(error).", file: file)
        }
    }

    private static func kind(of node: Node) -> NodeKind {
        switch node {
        case .mapping: return .object
        case .sequence: return .array
        case .alias: return .null
        case .scalar(let scalar):
            if scalar.style != .plain { return .string }
            if node.null != nil { return .null }
            if node.bool != nil { return .bool }
            if node.int != nil || node.float != nil { return .number }
            return .string
        }
    }

    var location: (line: Int, column: Int)? {
        node.mark.map { ($0.line, $0.column) }
    }

    func keyLocation(_ key: String) -> (line: Int, column: Int)? {
        node.mapping?.first { Self.name(of: $0.key) == key }?.key.mark.map { ($0.line, $0.column) }
    }

    func member(_ key: String) -> YAMLNode? {
        guard let mapping = node.mapping else { return nil }
        for (name, value) in mapping where Self.name(of: name) == key { return YAMLNode(node: value) }
        return nil
    }

    var keys: [String] {
        node.mapping?.map { Self.name(of: $0.key) } ?? []
    }

    /// A key's name: its text, or for a key that is no scalar (`? {nice: 10} : …`, YAML's complex keys) what it
    /// is, `<a mapping>`, the same for ``keys``, ``member(_:)`` and ``keyLocation(_:)``, so that every key listed
    /// can be looked up (and is then refused as an unknown key or a bad name, never a crash).
    private static func name(of key: Node) -> String {
        switch key {
        case .scalar(let scalar): scalar.string
        case .mapping: "<a mapping>"
        case .sequence: "<a sequence>"
        case .alias: "<an alias>"
        }
    }

    var elements: [YAMLNode] {
        node.sequence?.map { YAMLNode(node: $0) } ?? []
    }

    /// Any scalar but null reads as its text, so that `command: true` or `id: 42` mean what they say.
    var string: String? {
        guard case .scalar(let scalar) = node, kind != .null else { return nil }
        return scalar.string
    }
    var double: Double? { kind == .number ? node.float ?? node.int.map(Double.init) : nil }
    var integer: Int? { kind == .number ? node.int : nil }
    var bool: Bool? { kind == .bool ? node.bool : nil }
}
