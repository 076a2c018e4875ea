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
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .trace
            return handler
        }
        let arguments = Array(CommandLine.arguments.dropFirst())
        let status = await run(root, arguments: arguments, name: name)
        exit(status)
    }

    /// Parses `arguments`, runs the command and returns the exit status (for tests and `main`).
    public static func run<Root: ParsableCommand>(_ root: Root.Type, arguments: [String], name: String) async -> Int32 {
        var command: any ParsableCommand
        do {
            command = try root.parseAsRoot(arguments)
        } catch {
            let code = root.exitCode(for: error)
            let message = root.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                return 0
            }
            writeError(message)
            return code == .validationFailure ? badInputStatus : code.rawValue
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
            let code = root.exitCode(for: error)
            writeError(root.fullMessage(for: error))
            return code == .validationFailure ? badInputStatus : (code == .success ? 1 : code.rawValue)
        }
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
