import ClustmakeJSON
import PropertyBased

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// Generators, comparisons and measurements shared by the suites.

/// Random JSON values with hostile strings and awkward numbers, and a shrinker that tries simpler
/// values (null, children, shorter containers and strings) first.
enum JSONGen {
    /// Any value nested up to `depth` levels.
    static func value(depth: Int = 4) -> Generator<JSONValue, [JSONValue]> {
        Generator(
            run: { rng in randomValue(depth: depth, using: &rng) },
            shrink: { shrinkCandidates($0) })
    }

    /// Values without reals, on which jansson's and JSONWriter's output agree byte for byte.
    static func valueWithoutReals(depth: Int = 4) -> Generator<JSONValue, [JSONValue]> {
        Generator(
            run: { rng in randomValue(depth: depth, reals: false, using: &rng) },
            shrink: { shrinkCandidates($0) })
    }

    /// Hostile strings: quotes, backslashes, every control character, U+2028/2029, emoji,
    /// combining marks, noncharacters, and NUL (unless `allowNUL` is false, as for keys).
    static func string(allowNUL: Bool = true) -> Generator<String, [String]> {
        Generator(
            run: { rng in randomString(allowNUL: allowNUL, using: &rng) },
            shrink: { string in
                string.isEmpty ? [] : ["", String(string.prefix(string.count / 2)), String(string.dropFirst())]
            })
    }

    /// Finite doubles: tricky constants and random bit patterns.
    static let double = Generator<Double, [Double]>(
        run: { rng in randomDouble(using: &rng) },
        shrink: { value in value == 0 ? [] : [0, value.rounded(.towardZero)].filter { $0 != value } })

    static let pieces: [String] = [
        "a", "Z", "job-1", " ", "\"", "\\", "/", "\\\"", "\"\\", "\n", "\r\n", "\t", "\u{7F}",
        "\u{2028}", "\u{2029}", "é", "e\u{301}", "ß", "日本", "🧪", "👩‍👩‍👧", "\u{FEFF}", "\u{FFFF}", "\u{10FFFF}",
        "\\u0000", "{", "}", "[", "]", ":", ",", "'", "${HOME}", "$(rm -rf /)",
    ]

    static func randomString(allowNUL: Bool, using rng: inout any SeededRandomNumberGenerator) -> String {
        var result = ""
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            if Bool.random(using: &rng) {
                result += pieces.randomElement(using: &rng)!
            } else {
                let scalar = UInt8.random(in: (allowNUL ? 0 : 1)...0x1F, using: &rng)
                result.unicodeScalars.append(Unicode.Scalar(scalar))
            }
        }
        return result
    }

    static let specialDoubles: [Double] = [
        0, -0.0, 1, -1, 0.1, 0.2, 0.3, 1.5, 1e16, 1e-7, 123456.789, .leastNonzeroMagnitude, .leastNormalMagnitude,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .ulpOfOne, 9007199254740994, 1e300, 4.35,
    ]

    static func randomDouble(using rng: inout any SeededRandomNumberGenerator) -> Double {
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return specialDoubles.randomElement(using: &rng)!
        case 1: return Double.random(in: -1e6...1e6, using: &rng)
        default:
            while true {
                let value = Double(bitPattern: UInt64.random(in: .min ... .max, using: &rng))
                if value.isFinite { return value }
            }
        }
    }

    static func randomValue(depth: Int, reals: Bool = true, using rng: inout any SeededRandomNumberGenerator)
        -> JSONValue
    {
        let kinds = depth > 0 ? 8 : 6
        switch Int.random(in: 0..<kinds, using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            let ints: [Int64] = [0, -1, .min, .max, 1 << 53]
            return .int(
                Bool.random(using: &rng)
                    ? ints.randomElement(using: &rng)! : Int64.random(in: .min ... .max, using: &rng))
        case 3: return reals ? .double(randomDouble(using: &rng)) : .int(Int64.random(in: -1000...1000, using: &rng))
        case 4, 5: return .string(randomString(allowNUL: true, using: &rng))
        case 6:
            return .array(
                (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                    randomValue(depth: depth - 1, reals: reals, using: &rng)
                })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                object[randomString(allowNUL: false, using: &rng)] = randomValue(
                    depth: depth - 1, reals: reals, using: &rng)
            }
            return .object(object)
        }
    }

    /// Strictly simpler values, simplest first.
    static func shrinkCandidates(_ value: JSONValue) -> [JSONValue] {
        switch value {
        case .null: return []
        case .bool, .int, .double: return [.null]
        case .string(let string):
            return string.isEmpty ? [.null] : [.null, .string(""), .string(String(string.dropFirst()))]
        case .array(let elements):
            return [.null] + elements + (elements.isEmpty ? [] : [.array(Array(elements.dropLast()))])
        case .object(let object):
            var smaller = object
            if let last = object.keys.last { smaller[last] = nil }
            return [.null] + object.values + (object.isEmpty ? [] : [.object(smaller)])
        }
    }
}

/// Whether `a` and `b` are the same down to member order and the bits of every real (so `-0.0`
/// and `0.0` differ), which `==` does not check.
func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.double(let x), .double(let y)): return x.bitPattern == y.bitPattern
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(identical)
    case (.object(let x), .object(let y)):
        return x.keys.elementsEqual(y.keys, by: { $0.utf8.elementsEqual($1.utf8) })
            && zip(x.values, y.values).allSatisfy(identical)
    default: return a == b
    }
}

/// Rebuilds a value through `JSONNode`'s public accessors only.
func rebuilt(_ node: JSONNode) -> JSONValue? {
    switch node.kind {
    case .null: return node.isNull ? .null : nil
    case .bool: return node.bool.map(JSONValue.bool)
    case .int: return node.int.map(JSONValue.int)
    case .double: return node.double.map(JSONValue.double)
    case .string: return node.string.map(JSONValue.string)
    case .array:
        var elements: [JSONValue] = []
        for element in node.elements {
            guard let value = rebuilt(element) else { return nil }
            elements.append(value)
        }
        return .array(elements)
    case .object:
        var object = JSONObject()
        for (key, member) in node.members {
            guard let value = rebuilt(member) else { return nil }
            object[key] = value
        }
        return .object(object)
    }
}

/// The resident set size of this process, in bytes, from /proc/self/status.
func residentSetSize() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmRSS:") {
            let digits = text.filter(\.isNumber)
            return (Int(digits) ?? 0) * 1024
        }
    }
    return 0
}

/// A scratch file path that does not exist yet.
func temporaryPath(_ name: String) -> String {
    "/tmp/clustmake-json-tests-\(getpid())-\(UInt32.random(in: 0 ... .max))-\(name)"
}

/// Writes `bytes` to a new file at `path`.
func writeFile(_ path: String, _ bytes: [UInt8]) {
    guard let file = fopen(path, "wb") else { return }
    defer { fclose(file) }
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
}

/// Deletes the file at `path`, if any.
func removeFile(_ path: String) {
    unlink(path)
}
