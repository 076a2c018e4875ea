#if canImport(Glibc)
    import Glibc
#endif

/// A `shell` command line simple enough to run without the shell: words of plain characters, the first one a
/// program rather than something only a shell knows. GNU make takes the same shortcut for the same reason: the
/// shell costs every job a fork and an exec of its own (about 0.9 ms of CPU for `sleep 0` on the development VM;
/// docs/worker.md, "Run"; docs/run.md, "Lines without the shell").
///
/// For such a line the shell would do nothing but split it at blanks and run the first word, found in `PATH`, with
/// the others as its arguments: no expansion, quoting, redirection, assignment or builtin can apply, because every
/// character that could start one is refused here. Anything else (and every line this type does not accept) runs
/// under `/bin/sh -c` exactly as before.
struct SimpleCommand: Equatable {
    /// The words: the program, then its arguments.
    var words: [String]

    /// The characters a simple line may hold besides letters and digits: none of them means anything to a POSIX
    /// shell inside a word. Left out, among others: quotes and `\`, `$` and `` ` `` (expansions), `*?[]` (patterns),
    /// `~` (home directories), `#` (comments), `;&|<>(){}!^` (lists, pipes, redirections, groups, negation), `=`
    /// in the first word (an assignment), newlines and every byte outside ASCII.
    static let plainPunctuation: Set<UInt8> = Set("-_./,:+@%=".utf8)

    /// The first words that stay with the shell: its reserved words and builtins (dash's, and bash's for a system
    /// whose `/bin/sh` is bash), whose behaviour a program of the same name need not share (`echo -e`, `pwd` with
    /// a symbolic link, `test` and `[` with odd arguments, `kill` of a job number, `time` of a pipeline). `true`
    /// and `false` are here too, but run directly when they come alone. (A builtin left out would still reach the
    /// shell unless a program of its name is in `PATH`: no program is found, and the shell takes over.)
    static let shellWords: Set<String> = [
        ".", ":", "[", "alias", "bg", "break", "builtin", "caller", "case", "cd", "chdir", "command", "compgen",
        "complete", "compopt", "continue", "coproc", "declare", "dirs", "disown", "do", "done", "echo", "elif",
        "else", "enable", "esac", "eval", "exec", "exit", "export", "false", "fc", "fg", "fi", "for", "function",
        "getopts", "hash", "help", "history", "if", "in", "jobs", "kill", "let", "local", "logout", "mapfile",
        "popd", "printf", "pushd", "pwd", "read", "readarray", "readonly", "return", "select", "set", "shift",
        "shopt", "source", "suspend", "test", "then", "time", "times", "trap", "true", "type", "typeset", "ulimit",
        "umask", "unalias", "unset", "until", "wait", "while",
    ]

    /// The words of `line` when the shell would do no more than split it and run its first word; `nil` otherwise.
    init?(_ line: String) {
        var words: [String] = []
        var word: [UInt8] = []
        for byte in line.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                if !word.isEmpty { words.append(String(decoding: word, as: UTF8.self)) }
                word.removeAll(keepingCapacity: true)
                continue
            }
            let plain =
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || Self.plainPunctuation.contains(byte)
            guard plain else { return nil }
            word.append(byte)
        }
        if !word.isEmpty { words.append(String(decoding: word, as: UTF8.self)) }
        guard let first = words.first, !first.contains("=") else { return nil }
        if Self.shellWords.contains(first) && !((first == "true" || first == "false") && words.count == 1) {
            return nil
        }
        self.words = words
    }

    /// The environment the shell would give the program: variables whose names are not shell names left out (the
    /// shell drops them), and `PWD` set to the job's directory unless it already names that directory.
    /// - Parameters:
    ///   - environment: The job's environment, `NAME=value` entries.
    ///   - directory: The directory the program runs in (`nil`: the worker's).
    /// - Returns: The environment, or `nil` when the directory's path cannot be found (the shell is left to say
    ///   why).
    static func environment(_ environment: [String], directory: String?) -> [String]? {
        guard let physical = realPath(directory ?? ".") else { return nil }
        var kept: [String] = []
        kept.reserveCapacity(environment.count + 1)
        var pwd: String?
        for entry in environment {
            // Over the entry's bytes in place: this runs for every variable of every job of a streamed session.
            var name = entry
            let kind = name.withUTF8 { bytes in
                let end = bytes.firstIndex(of: UInt8(ascii: "=")) ?? bytes.endIndex
                let name = bytes[..<end]
                return !isShellName(name) ? Entry.dropped : name.elementsEqual("PWD".utf8) ? .pwd : .kept
            }
            switch kind {
            case .dropped: continue
            case .pwd: pwd = String(entry.dropFirst(4))
            case .kept: kept.append(entry)
            }
        }
        // The shell keeps an inherited PWD that is absolute and leads to the directory, else sets the physical path.
        if let pwd, pwd.hasPrefix("/"), sameFile(pwd, physical) {
            kept.append("PWD=" + pwd)
        } else {
            kept.append("PWD=" + physical)
        }
        return kept
    }

    /// Whether `name` is a shell variable name: a letter or `_`, then letters, digits and `_`.
    static func isShellName(_ name: some Collection<UInt8>) -> Bool {
        guard let first = name.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else {
            return false
        }
        return name.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
    }

    /// What ``environment(_:directory:)`` does with an entry.
    private enum Entry { case dropped, pwd, kept }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func sameFile(_ first: String, _ second: String) -> Bool {
        var a = stat()
        var b = stat()
        return stat(first, &a) == 0 && stat(second, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }
}
