public import ArgumentParser
import ClustmakeModel
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a root command the way clustmake's executables do: bad input of any kind, from argument parsing to a
/// broken job graph, ends with one message on stderr and exit status 2; other failures with status 1.
public enum CommandLineTool {
    /// The exit status for bad input.
    public static let badInputStatus: Int32 = 2

    /// Parses the process arguments, runs the command and exits.
    public static func main<Root: ParsableCommand>(_ root: Root.Type, name: String) async -> Never {
        signal(SIGPIPE, SIG_IGN)
        LoggingSystem.bootstrap(ClustmakeLogHandler.init(label:))
        let arguments = Array(CommandLine.arguments.dropFirst())
        let status = await run(root, arguments: arguments, name: name)
        exit(status)
    }

    /// Parses `arguments`, runs the command and returns the exit status (for tests and `main`).
    ///
    /// Help (`--help`, `-h`, `help SUBCOMMAND`) and `--version` go to standard output with status 0. A bad option
    /// or argument is one line on standard error, `NAME: error: WHAT. See 'NAME SUBCOMMAND --help'.`, with status
    /// 2; ArgumentParser's usage block is left out.
    public static func run<Root: ParsableCommand>(_ root: Root.Type, arguments: [String], name: String) async -> Int32 {
        var command: any ParsableCommand
        do {
            command = try root.parseAsRoot(arguments)
        } catch {
            return report(error, root: root, name: name)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as InputError {
            writeError("\(name): error: \(error)")
            return error.code == .io ? 1 : badInputStatus
        } catch let error as ExitCode {
            return error.rawValue
        } catch let error as CommandFailure {
            writeError("\(name): error: \(error.message)")
            return error.status
        } catch {
            return report(error, root: root, name: name)
        }
    }

    /// Reports an error of ArgumentParser's (or help it was asked for) and returns the exit status: help and the
    /// version on standard output with 0; a bad option or value as one line on standard error with 2; anything
    /// else as one line with 1.
    static func report<Root: ParsableCommand>(_ error: any Error, root: Root.Type, name: String) -> Int32 {
        let code = root.exitCode(for: error)
        if code == .success {
            let text = root.fullMessage(for: error)
            if !text.isEmpty { print(text.hasSuffix("\n") ? String(text.dropLast()) : text) }
            return 0
        }
        let message = root.message(for: error)
        if code == .validationFailure {
            let line = usageError(message, fullMessage: root.fullMessage(for: error), name: name)
            writeError(line)
            return badInputStatus
        }
        if message.isEmpty { return code.rawValue }
        writeError("\(name): error: \(sentence(message))")
        return code.rawValue
    }

    /// `NAME: error: unknown option '--out'; did you mean '--output'? See 'NAME plan --help'.`: ArgumentParser's
    /// message as one line, with the help command its usage block names.
    static func usageError(_ message: String, fullMessage: String, name: String) -> String {
        var text = sentence(message)
        if let range = text.firstRange(of: ". Did you mean") {
            text.replaceSubrange(range, with: "; did you mean")
        }
        if !text.hasSuffix(".") && !text.hasSuffix("?") { text += "." }
        var line = "\(name): error: \(text)"
        if let help = helpCommand(in: fullMessage) { line += " See '\(help)'." }
        return line
    }

    /// The `NAME SUBCOMMAND --help` of ArgumentParser's "See '…' for more information." line.
    static func helpCommand(in fullMessage: String) -> String? {
        guard let start = fullMessage.firstRange(of: "See '"),
            let end = fullMessage[start.upperBound...].firstRange(of: "' for more information")
        else { return nil }
        return String(fullMessage[start.upperBound..<end.lowerBound])
    }

    /// `message` on one line, its first letter lower-case unless it starts a word in capitals (`URL`).
    static func sentence(_ message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).map { $0.split(separator: " ").joined(separator: " ") }
            .filter { !$0.isEmpty }.joined(separator: " ")
        guard let first = line.first, first.isUppercase else { return line }
        let second = line.dropFirst().first
        if let second, second.isUppercase { return line }
        return first.lowercased() + line.dropFirst()
    }

    /// Writes a line to standard error.
    static func writeError(_ message: String) {
        var text = message
        if !text.hasSuffix("\n") { text += "\n" }
        _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }
}

/// A failure a command reports with its own exit status and message.
public struct CommandFailure: Error, Sendable {
    public var status: Int32
    public var message: String
    public init(status: Int32, _ message: String) {
        self.status = status
        self.message = message
    }
}
