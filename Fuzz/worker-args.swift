// The worker's command line: the input is its words, separated by NUL bytes (as in /proc/PID/cmdline). The same
// input is also a job's shell line, which the worker runs without the shell when it is simple (`SimpleCommand`),
// and a job's environment: a line from redis is untrusted.
@testable import ClustmakeWorker

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkerArguments(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    fuzzOne(start, count) { bytes in
        let words = bytes.isEmpty ? [] : fuzzWords(bytes, separator: 0)
        checkSimpleCommand(String(decoding: bytes, as: UTF8.self))
        checkEnvironment(words)
        _ = try WorkerArguments(parsing: words)
    }
}

/// A line taken as simple holds only its words: plain bytes, none empty, the first neither an assignment nor a
/// shell word (`true` and `false` alone aside), and nothing but blanks between them.
func checkSimpleCommand(_ line: String) {
    guard let simple = SimpleCommand(line) else { return }
    precondition(!simple.words.isEmpty, "a simple command without words")
    for word in simple.words {
        precondition(!word.isEmpty, "an empty word")
        precondition(
            word.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                    || SimpleCommand.plainPunctuation.contains(byte)
            }, "a word with a byte the shell treats specially: \(word)")
    }
    let first = simple.words[0]
    precondition(!first.contains("="), "an assignment taken as a program")
    precondition(
        !SimpleCommand.shellWords.contains(first) || ((first == "true" || first == "false") && simple.words.count == 1),
        "a shell word taken as a program: \(first)")
    let blanks = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    precondition(blanks == simple.words, "the words are not the line split at blanks")
}

/// The environment handed to a program run directly names only shell variables, and PWD once.
func checkEnvironment(_ entries: [String]) {
    guard let environment = SimpleCommand.environment(entries, directory: "/") else { return }
    precondition(environment.filter { $0.hasPrefix("PWD=") }.count == 1, "PWD not set once")
    for entry in environment {
        precondition(SimpleCommand.isShellName(entry.utf8.prefix { $0 != UInt8(ascii: "=") }), "a name the shell drops")
    }
}
