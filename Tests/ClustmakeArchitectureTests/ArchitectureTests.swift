import Foundation
import Testing

/// Keeps the code, the manifest and docs/architecture.md in step: the layer table of the doc is the map, the
/// import lines of Sources/ are the territory, and Package.swift must say exactly what the code imports.
@Suite struct ArchitectureTests {
    /// The package's root directory (this file is Tests/ClustmakeArchitectureTests/ArchitectureTests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// What the pure core (model and core layers) must not import.
    static let impure: Set<String> = [
        "Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Darwin", "Musl", "Dispatch",
        "ClustmakeRedis", "CHiredis", "CJansson", "Subprocess", "SystemPackage",
    ]
    /// Each C bridge and the one wrapper that may import it.
    static let bridges = ["CHiredis": "ClustmakeRedis", "CJansson": "ClustmakeJSON"]

    @Test("every module imports only its own layer or lower ones, and the pure core imports no I/O, redis or C")
    func layers() throws {
        let map = try LayerMap.read(Self.root + "/docs/architecture.md")
        let imports = try SourceImports.read(Self.root + "/Sources")
        #expect(
            Set(map.layers.keys) == Set(imports.modules.keys), "docs/architecture.md lists every module of Sources/")
        for (module, lines) in imports.modules.sorted(by: { $0.key < $1.key }) {
            guard let rank = map.layers[module] else { continue }
            for line in lines {
                if let bridgeOwner = Self.bridges[line.module] {
                    #expect(module == bridgeOwner, "\(line): only \(bridgeOwner) may import \(line.module)")
                    #expect(line.access == "internal", "\(line): a C bridge is imported with `internal import`")
                }
                if map.isPure(module) {
                    #expect(!Self.impure.contains(line.module), "\(line): the pure core imports no \(line.module)")
                }
                guard line.module.hasPrefix("Clustmake") || line.module.hasPrefix("C") && map.layers[line.module] != nil
                else { continue }
                let imported = try #require(map.layers[line.module], "\(line): \(line.module) is not in the table")
                #expect(imported <= rank, "\(line): \(module) (rank \(rank)) imports a higher layer (rank \(imported))")
            }
        }
    }

    @Test("Package.swift declares exactly the modules each target's files import")
    func manifest() throws {
        let targets = try Manifest.read(Self.root + "/Package.swift")
        let sources = try SourceImports.read(Self.root + "/Sources")
        let tests = try SourceImports.read(Self.root + "/Tests")
        let projectModules = Set(targets.keys)
        let products = Set(targets.values.flatMap(\.products))
        for (name, target) in targets.sorted(by: { $0.key < $1.key }) where !target.isSystemLibrary {
            let lines = sources.modules[name] ?? tests.modules[name] ?? []
            let imported = Set(lines.map(\.module)).filter { projectModules.contains($0) || products.contains($0) }
            let declared = Set(target.targets + target.products)
            for unused in declared.subtracting(imported).sorted() {
                Issue.record("Package.swift: \(name) declares \(unused), which none of its files imports")
            }
            for undeclared in imported.subtracting(declared).sorted() {
                Issue.record("Package.swift: \(name) imports \(undeclared) without declaring it")
            }
        }
    }
}

/// One `import` line of a source file.
struct ImportLine: CustomStringConvertible {
    var file: String
    var line: Int
    var access: String?
    var module: String

    var description: String { "\(file):\(line)" }
}

/// The import lines of every module under a directory (`Sources/` or `Tests/`), by module (directory) name.
struct SourceImports {
    var modules: [String: [ImportLine]] = [:]

    static func read(_ directory: String) throws -> SourceImports {
        var result = SourceImports()
        let manager = FileManager.default
        for module in try manager.contentsOfDirectory(atPath: directory).sorted() {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: directory + "/" + module, isDirectory: &isDirectory), isDirectory.boolValue
            else { continue }
            var lines: [ImportLine] = []
            let enumerator = manager.enumerator(atPath: directory + "/" + module)
            while let relative = enumerator?.nextObject() as? String {
                guard relative.hasSuffix(".swift") || relative.hasSuffix(".modulemap") else { continue }
                let path = directory + "/" + module + "/" + relative
                let text = try String(contentsOfFile: path, encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    if let parsed = parse(line) {
                        lines.append(
                            ImportLine(
                                file: "\(directory.split(separator: "/").last!)/\(module)/\(relative)",
                                line: number + 1, access: parsed.access, module: parsed.module))
                    }
                }
            }
            result.modules[module] = lines
        }
        return result
    }

    /// `[@attr] [access] import [kind] Module[.Sub]`, indented or not (imports inside `#if` count too).
    static func parse(_ line: Substring) -> (access: String?, module: String)? {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })[...]
        while let first = words.first, first.hasPrefix("@") { words = words.dropFirst() }
        var access: String?
        if let first = words.first, ["public", "internal", "package", "private", "fileprivate"].contains(first) {
            access = String(first)
            words = words.dropFirst()
        }
        guard words.first == "import", words.count >= 2 else { return nil }
        words = words.dropFirst()
        if ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"].contains(words.first!),
            words.count >= 2
        {
            words = words.dropFirst()
        }
        let module = words.first!.split(separator: ".").first.map(String.init) ?? ""
        guard module.first?.isLetter == true || module.first == "_" else { return nil }
        return (access, module)
    }
}

/// The module table of docs/architecture.md: each module's layer and that layer's rank.
struct LayerMap {
    var layers: [String: Int] = [:]
    var layerNames: [String: String] = [:]

    func isPure(_ module: String) -> Bool { ["model", "core"].contains(layerNames[module]) }

    static func read(_ path: String) throws -> LayerMap {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var ranks: [String: Int] = [:]
        var map = LayerMap()
        for line in text.split(separator: "\n") where line.hasPrefix("|") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 3 else { continue }
            if let rank = Int(cells[0]) {
                ranks[cells[1]] = rank
            } else if cells[0].hasPrefix("`"), cells[0].hasSuffix("`") {
                let module = String(cells[0].dropFirst().dropLast())
                map.layerNames[module] = cells[1]
            }
        }
        for (module, layer) in map.layerNames {
            guard let rank = ranks[layer] else {
                Issue.record("docs/architecture.md: \(module)'s layer '\(layer)' is not in the table of layers")
                continue
            }
            map.layers[module] = rank
        }
        return map
    }
}

/// The targets of Package.swift: each one's target and product dependencies.
struct Manifest {
    struct Target {
        var isSystemLibrary: Bool
        var targets: [String]
        var products: [String]
    }

    static func read(_ path: String) throws -> [String: Target] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: Target] = [:]
        let kinds = [".systemLibrary(", ".target(", ".executableTarget(", ".testTarget("]
        var index = text.startIndex
        while let start = kinds.compactMap({ text.range(of: $0, range: index..<text.endIndex) })
            .min(by: { $0.lowerBound < $1.lowerBound })
        {
            // The call's text: up to the parenthesis that closes it.
            var depth = 1
            var end = start.upperBound
            while end < text.endIndex && depth > 0 {
                if text[end] == "(" { depth += 1 } else if text[end] == ")" { depth -= 1 }
                end = text.index(after: end)
            }
            let call = String(text[start.lowerBound..<end])
            index = end
            guard let name = firstString(after: "name:", in: call) else { continue }
            var target = Target(isSystemLibrary: call.hasPrefix(".systemLibrary("), targets: [], products: [])
            if let dependencies = call.range(of: "dependencies:") {
                var rest = call[dependencies.upperBound...]
                guard let open = rest.firstIndex(of: "[") else { continue }
                rest = rest[rest.index(after: open)...]
                var level = 1
                var list = ""
                for character in rest {
                    if character == "[" { level += 1 } else if character == "]" { level -= 1 }
                    if level == 0 { break }
                    list.append(character)
                }
                // `.product(name: "P", package: "p")` names a product; a bare string names a target.
                var remaining = list[...]
                while let product = remaining.range(of: ".product(") {
                    let close = remaining[product.upperBound...].firstIndex(of: ")")!
                    let inside = String(remaining[product.upperBound..<close])
                    if let productName = firstString(after: "name:", in: inside) { target.products.append(productName) }
                    remaining = remaining[..<product.lowerBound] + remaining[remaining.index(after: close)...]
                }
                target.targets = strings(in: String(remaining))
            }
            result[name] = target
        }
        return result
    }

    private static func firstString(after label: String, in text: String) -> String? {
        guard let range = text.range(of: label) else { return nil }
        return strings(in: String(text[range.upperBound...])).first
    }

    private static func strings(in text: String) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { String($0.element) }
    }
}
