import ClustmakeModel

/// The machinery that keeps job lines out of the template engine: templates are rendered once with marker
/// values, and the job lines are then copied into the marked places.
///
/// Markers are `\u{1}` + letter + `\u{1}` (slots add their number): no value that reaches a script may hold a
/// control character, so a marker cannot be forged by a host setting.
enum JobPattern {
    /// One piece of the job template, rendered for one slot.
    enum Piece: Equatable {
        case text([UInt8])
        /// The job line (``JobLine/shellLine``).
        case command
        /// The job id as a shell word.
        case job
        /// The job's position in its slot, from 0.
        case order
    }

    static let separator: UInt8 = 1
    private static let commandMarker = "\u{1}C\u{1}"
    private static let jobMarker = "\u{1}J\u{1}"
    private static let orderMarker = "\u{1}O\u{1}"

    /// What the host template renders in place of the job lines of slot `instance`.
    static func slotMarker(_ instance: Int) -> String { "\u{1}S\(instance)\u{1}" }

    /// The variables of the job template.
    static func context(host: Host, slot: Int) -> [String: Any] {
        [
            "command": commandMarker, "job": jobMarker, "order": orderMarker, "slot": slot, "host": host.name,
            "hostWord": ShellQuote.quote(host.name),
        ]
    }

    /// Splits a rendered job template into pieces; one final newline is dropped (lines are joined by newlines).
    /// - Throws: ``ScriptError`` when `{{{command}}}` is missing or repeated.
    static func pieces(_ rendered: String, file: String) throws(ScriptError) -> [Piece] {
        var bytes = Array(rendered.utf8)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        var pieces: [Piece] = []
        var text: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == separator, index + 2 < bytes.count, bytes[index + 2] == separator {
                let piece: Piece? =
                    switch bytes[index + 1] {
                    case UInt8(ascii: "C"): .command
                    case UInt8(ascii: "J"): .job
                    case UInt8(ascii: "O"): .order
                    default: nil
                    }
                if let piece {
                    if !text.isEmpty { pieces.append(.text(text)) }
                    text = []
                    pieces.append(piece)
                    index += 3
                    continue
                }
            }
            text.append(bytes[index])
            index += 1
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        let commands = pieces.count { $0 == .command }
        guard commands == 1, !bytes.contains(UInt8(ascii: "\n")) else {
            throw ScriptError(
                .templateIncomplete,
                "the job template must render one line with {{{command}}} exactly once; it renders "
                    + (commands == 1 ? "more than one line." : "{{{command}}} \(commands) times."),
                fix: "Write one line such as '    {{{command}}} & wait $! || failed {{{job}}} $?'.", file: file)
        }
        return pieces
    }

    /// Copies `rendered` into `output`, calling `fill` in place of each slot marker with the slot's instance.
    static func splice(_ rendered: String, into output: inout [UInt8], fill: (Int, inout [UInt8]) -> Void) {
        var rendered = rendered
        rendered.withUTF8 { bytes in
            var start = 0
            var index = 0
            while index < bytes.count {
                guard bytes[index] == separator, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "S") else {
                    index += 1
                    continue
                }
                var end = index + 2
                var instance = 0
                while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9"),
                    instance < 1_000_000_000
                {
                    instance = instance * 10 + Int(bytes[end] - UInt8(ascii: "0"))
                    end += 1
                }
                guard end > index + 2, end < bytes.count, bytes[end] == separator else {
                    index += 1
                    continue
                }
                output.append(contentsOf: bytes[start..<index])
                fill(instance, &output)
                index = end + 1
                start = index
            }
            output.append(contentsOf: bytes[start..<bytes.count])
        }
    }

    /// The job line of a job on `host`'s slot `instance` at nice level `nice`, up to and including the space
    /// before the job id: built by ``JobLine`` itself, so that the line has one definition.
    /// A line whose redis password is in a file on this machine (``WorkerSettings/passwordFile``), local or remote,
    /// tells the worker to read it from standard input, as `clustmake run` does, and
    /// ``commandSuffix(settings:)`` feeds it the file.
    static func commandPrefix(nice: Int, host: Host, instance: Int, settings: WorkerSettings) -> [UInt8] {
        let line = JobLine(
            jobIDs: ["-"], nice: nice, host: host, instance: instance, settings: settings,
            passwordOnStdin: settings.passwordFile != nil)
        var bytes: [UInt8] = []
        for word in line.argv.dropLast() {
            ShellQuote.append(word, to: &bytes)
            bytes.append(UInt8(ascii: " "))
        }
        return bytes
    }

    /// What follows the job id on a line when the redis password is in a file on this machine: ` <FILE`, the line's
    /// standard input, which a local worker reads and ssh carries to a remote one inside the encrypted session (the
    /// script names the file, never the password); otherwise nothing.
    static func commandSuffix(settings: WorkerSettings) -> [UInt8] {
        guard let file = settings.passwordFile else { return [] }
        return Array(" <\(ShellQuote.quote(file))".utf8)
    }
}
