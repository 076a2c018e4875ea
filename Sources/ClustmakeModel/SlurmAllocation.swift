/// The SLURM allocation a command runs inside (`salloc`, `sbatch`): its job id, its nodes and the CPUs SLURM gave
/// it on each, read from the variables SLURM sets (`SLURM_JOB_ID`, `SLURM_JOB_NODELIST`,
/// `SLURM_JOB_CPUS_PER_NODE`).
///
/// The node list is a SLURM host list (`n[1-3,5]`, `a1,b[01-02]`, `rack[1-2]-n[01-02]`), expanded here by
/// ``expandHostList(_:)``; the CPUs are SLURM's compressed counts (`2(x3),1`), expanded by
/// ``expandCounts(_:)``. Every value comes from the environment, so each is checked before it is used.
public struct SlurmAllocation: Sendable, Hashable {
    /// The allocation's job id (`SLURM_JOB_ID`), digits only.
    public var jobID: String
    /// The nodes, in SLURM's order.
    public var nodes: [String]
    /// The CPUs of the allocation on each node, in the order of ``nodes``.
    public var cpus: [Int]

    /// At most this many nodes in a host list (a hostile range cannot make clustmake build millions of names).
    public static let maximumNodes = 100_000

    public init(jobID: String, nodes: [String], cpus: [Int]) {
        self.jobID = jobID
        self.nodes = nodes
        self.cpus = cpus
    }

    /// The allocation described by `environment`, or `nil` outside one (`SLURM_JOB_ID` unset or empty).
    /// - Parameter environment: The value of an environment variable, `nil` when it is not set.
    /// - Throws: ``InputError`` when `SLURM_JOB_ID` is set but a variable is missing or malformed.
    public init?(environment: (String) -> String?) throws(InputError) {
        guard let jobID = environment("SLURM_JOB_ID"), !jobID.isEmpty else { return nil }
        func variable(_ name: String) throws(InputError) -> String {
            guard let value = environment(name), !value.isEmpty else {
                throw InputError(
                    .missingKey, "SLURM_JOB_ID is set (\(jobID)) but \(name) is not.",
                    fix: "Run clustmake inside an allocation made by salloc or sbatch, or unset SLURM_JOB_ID.",
                    subject: name)
            }
            return value
        }
        guard Self.isDigits(Substring(jobID), atMost: 18) else {
            throw InputError(
                .invalidValue, "SLURM_JOB_ID '\(Self.shown(jobID))' is not a SLURM job id.",
                fix: "Run clustmake inside an allocation made by salloc or sbatch.", subject: "SLURM_JOB_ID")
        }
        let list = try variable("SLURM_JOB_NODELIST")
        let counts = try variable("SLURM_JOB_CPUS_PER_NODE")
        guard let nodes = Self.expandHostList(list) else {
            throw InputError(
                .invalidValue, "SLURM_JOB_NODELIST '\(Self.shown(list))' is not a SLURM host list.",
                fix: "Run clustmake inside an allocation made by salloc or sbatch.", subject: "SLURM_JOB_NODELIST")
        }
        guard let cpus = Self.expandCounts(counts), cpus.count == nodes.count else {
            throw InputError(
                .invalidValue,
                "SLURM_JOB_CPUS_PER_NODE '\(Self.shown(counts))' does not give the CPUs of the "
                    + "\(nodes.count) nodes of SLURM_JOB_NODELIST.",
                fix: "Run clustmake inside an allocation made by salloc or sbatch.",
                subject: "SLURM_JOB_CPUS_PER_NODE")
        }
        self.init(jobID: jobID, nodes: nodes, cpus: cpus)
    }

    /// A value from the environment as a message shows it: at most 80 characters, control characters as `?`.
    private static func shown(_ value: String) -> String {
        let scalars = value.unicodeScalars.prefix(80).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Expands a SLURM host list: names separated by commas, each with any number of bracketed groups of numbers
    /// and ranges (`n[1-3,5]` is n1 n2 n3 n5; `a1,b[01-02]` is a1 b01 b02; `r[1-2]-n[1-2]` is r1-n1 r1-n2 r2-n1
    /// r2-n2). A range keeps the width of its lower bound (`[08-10]` is 08 09 10), as SLURM prints it.
    /// - Returns: The names in order, or `nil` for text that is not a host list (empty names, unbalanced
    ///   brackets, a range going down, characters no host name has) or that names more than ``maximumNodes``.
    public static func expandHostList(_ text: String) -> [String]? {
        var names: [String] = []
        var entry = ""
        var depth = 0
        for character in text {
            switch character {
            case "[": depth += 1
            case "]": depth -= 1
            default: break
            }
            guard depth == 0 || depth == 1 else { return nil }
            if character == "," && depth == 0 {
                guard let expanded = expandEntry(entry, limit: maximumNodes - names.count) else { return nil }
                names += expanded
                entry = ""
            } else {
                entry.append(character)
            }
        }
        guard depth == 0, let last = expandEntry(entry, limit: maximumNodes - names.count) else { return nil }
        return names + last
    }

    /// One name of a host list, with its bracketed groups expanded (their product, left to right).
    private static func expandEntry(_ entry: String, limit: Int) -> [String]? {
        guard !entry.isEmpty else { return nil }
        var results = [""]
        var rest = Substring(entry)
        while !rest.isEmpty {
            if rest.first == "[" {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                guard let numbers = expandRanges(rest[rest.index(after: rest.startIndex)..<close], limit: limit),
                    results.count * numbers.count <= limit
                else { return nil }
                results = results.flatMap { prefix in numbers.map { prefix + $0 } }
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(of: "[") ?? rest.endIndex
                let literal = rest[..<end]
                guard literal.allSatisfy(isNameCharacter) else { return nil }
                results = results.map { $0 + literal }
                rest = rest[end...]
            }
        }
        return results
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-_.".contains(character))
    }

    /// `1-3,5` as `["1", "2", "3", "5"]`, `08-10` as `["08", "09", "10"]`.
    private static func expandRanges(_ text: Substring, limit: Int) -> [String]? {
        var numbers: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2, bounds.allSatisfy({ isDigits($0, atMost: 9) }),
                let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]), low <= high,
                high - low < limit - numbers.count
            else { return nil }
            let width = bounds[0].count
            for number in low...high {
                let digits = String(number)
                numbers.append(String(repeating: "0", count: max(0, width - digits.count)) + digits)
            }
        }
        return numbers
    }

    /// Whether `text` is 1 to `atMost` ASCII digits.
    private static func isDigits(_ text: Substring, atMost: Int) -> Bool {
        !text.isEmpty && text.utf8.count <= atMost && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// Expands SLURM's compressed counts (`SLURM_JOB_CPUS_PER_NODE`): `2(x3),1` is 2 2 2 1.
    /// - Returns: The counts, or `nil` for text in another form, a count of 0 or over 100,000, or more than
    ///   ``maximumNodes`` counts.
    public static func expandCounts(_ text: String) -> [Int]? {
        func number(_ part: Substring) -> Int? {
            guard isDigits(part, atMost: 6), let value = Int(part), value >= 1, value <= 100_000
            else { return nil }
            return value
        }
        var counts: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var count = part
            var repeats = 1
            if let open = part.firstIndex(of: "(") {
                guard part.hasSuffix(")"), part[part.index(after: open)...].hasPrefix("x"),
                    let times = number(part[part.index(open, offsetBy: 2)..<part.index(before: part.endIndex)])
                else { return nil }
                count = part[..<open]
                repeats = times
            }
            guard let value = number(count), repeats <= maximumNodes - counts.count else { return nil }
            counts += Array(repeating: value, count: repeats)
        }
        return counts
    }
}
