import ClustmakeJSON
import ClustmakeModel

/// Reading input files (through the one reader, ``ClustmakeJSON/FileContents``), with messages that say what went
/// wrong.
enum InputFile {
    /// The whole file at `path`, or standard input for "-".
    static func read(_ path: String) throws(InputError) -> [UInt8] {
        do {
            return path == "-" ? try FileContents.standardInput() : try FileContents.bytes(atPath: path)
        } catch {
            switch error.step {
            case .open:
                throw InputError(
                    .unreadable, "cannot open the file: \(error.reason).", fix: "Check the path.", file: path)
            case .read where error.isDirectory:
                throw InputError(
                    .unreadable, "this is a directory, not a file.", fix: "Name the file itself.", file: path)
            case .read:
                throw InputError(.unreadable, "cannot read the file: \(error.reason).", file: path)
            case .tooLarge:
                throw InputError(
                    .unreadable, "will not read the file: \(error.reason).",
                    fix: "Name the graph or cluster file itself; standard input must end (a file or a finite pipe).",
                    file: path)
            }
        }
    }

    /// The bytes as text, or an error at the line and column of the first byte that is not UTF-8.
    static func text(_ bytes: [UInt8], file: String) throws(InputError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let (line, column) = firstInvalidUTF8(bytes)
        throw InputError(
            .encoding, "the file is not UTF-8 text (an invalid byte is here).",
            fix: "Save the file as UTF-8; if it is binary, name the right file.", file: file, line: line,
            column: column)
    }

    /// The 1-based line and column of the first byte that breaks UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (Int, Int) {
        var line = 1
        var lineStart = 0
        var index = 0
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var offsetBeforeScalar = 0
        loop: while true {
            offsetBeforeScalar = index
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                index += UTF8.width(scalar)
                if scalar == "\n" {
                    line += 1
                    lineStart = index
                }
            case .emptyInput: break loop
            case .error: break loop
            }
        }
        let column = String(decoding: bytes[lineStart..<offsetBeforeScalar], as: UTF8.self).unicodeScalars.count + 1
        return (line, column)
    }
}
