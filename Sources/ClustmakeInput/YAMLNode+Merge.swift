import ClustmakeModel
import Yams

/// YAML 1.1 merge keys (`<<: *base`, `<<: [*a, *b]`), as https://yaml.org/type/merge.html defines them.
///
/// Yams composes `<<` as a key tagged `tag:yaml.org,2002:merge` and leaves it in the mapping; the readers would see
/// an unknown key `<<`. Each mapping is rewritten into the one it stands for: its own keys first (they win), then
/// the keys of the merged mappings that it does not set, in list order (an earlier mapping wins over a later one).
/// Merged values keep the positions where they are written, so a bad value inherited through `<<` is reported at
/// its own line and column.
extension YAMLNode {
    /// How many merged keys may be copied in all. Each anchored node is resolved once, however many aliases name
    /// it (so nested aliases, the "billion laughs", cost what their text costs); but a chain of mappings that each
    /// merge the one before copies more keys at each step, and past this the file is refused.
    static let mergeBudget = 10_000_000

    /// The resolution of one document: what each anchored node became, and the merged keys left to copy.
    struct MergeResolver {
        let file: String
        var budget: Int
        /// Resolved anchored nodes, by the identity of their anchor (the parser keeps the anchors alive).
        var resolved: [ObjectIdentifier: Node] = [:]

        /// `node` with every merge key resolved.
        /// - Throws: ``InputError`` at the value of a `<<` that is not a mapping or a list of mappings, or when more
        ///   than the budget of merged keys would be copied.
        mutating func resolve(_ node: Node) throws(InputError) -> Node {
            let anchor = Self.anchor(of: node).map(ObjectIdentifier.init)
            if let anchor, let done = resolved[anchor] { return done }
            let result: Node
            switch node {
            case .scalar, .alias:
                return node
            case .sequence(var sequence):
                for index in sequence.indices {
                    sequence[index] = try resolve(sequence[index])
                }
                result = .sequence(sequence)
            case .mapping(let mapping):
                result = .mapping(try resolve(mapping))
            }
            if let anchor { resolved[anchor] = result }
            return result
        }

        private mutating func resolve(_ mapping: Node.Mapping) throws(InputError) -> Node.Mapping {
            var own: [(Node, Node)] = []
            var merged: [Node.Mapping] = []
            for (key, value) in mapping {
                guard key.tag.rawValue == Tag.Name.merge.rawValue else {
                    own.append((key, try resolve(value)))
                    continue
                }
                for source in try Self.mergeSources(value, file: file) {
                    if case .mapping(let resolvedSource) = try resolve(source) { merged.append(resolvedSource) }
                }
            }
            if !merged.isEmpty {
                var seen = Set(own.map(\.0))
                for source in merged {
                    budget -= source.count
                    guard budget >= 0 else {
                        throw InputError(
                            .invalidValue,
                            "the merge keys ('<<') copy more than \(YAMLNode.mergeBudget) keys in all.",
                            fix: "Merge fewer mappings into each other, or write the settings out.", file: file,
                            line: mapping.mark?.line, column: mapping.mark?.column)
                    }
                    for (key, value) in source where seen.insert(key).inserted {
                        own.append((key, value))
                    }
                }
            }
            return Node.Mapping(own, mapping.tag, mapping.style, mapping.mark)
        }

        /// The mappings a `<<` value names: one mapping, or a list of them in order.
        private static func mergeSources(_ value: Node, file: String) throws(InputError) -> [Node] {
            func refuse(_ node: Node) -> InputError {
                InputError(
                    .wrongType,
                    "the merge key '<<' takes a mapping or a list of mappings, not \(YAMLNode(node: node).kind.phrase).",
                    fix: "Write <<: *name after an anchored mapping (name: &name {…}), or <<: [*a, *b].", file: file,
                    line: node.mark?.line, column: node.mark?.column)
            }
            switch value {
            case .mapping:
                return [value]
            case .sequence(let sequence):
                for element in sequence {
                    guard case .mapping = element else { throw refuse(element) }
                }
                return Array(sequence)
            default:
                throw refuse(value)
            }
        }

        private static func anchor(of node: Node) -> Anchor? {
            switch node {
            case .scalar(let scalar): scalar.anchor
            case .mapping(let mapping): mapping.anchor
            case .sequence(let sequence): sequence.anchor
            case .alias: nil
            }
        }
    }
}
