import ClustmakeModel
import ClustmakeStore
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The `compmake` executable: runs jobs of a clustmake plan on this host (docs/worker.md).
public enum WorkerMain {
    /// The worker's version, recorded in every attempt and host record.
    public static let version = ClustmakeVersion.current

    /// Parses the process arguments, runs the jobs and exits with a ``WorkerExitStatus``.
    public static func main() -> Never {
        // Descriptors 0, 1 and 2 must be open, or the pipes made later could take their numbers.
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 {
            _ = open("/dev/null", O_RDWR)
        }
        SignalPipe.install(
            exitStatus: WorkerExitStatus.interrupted,
            exitMessage: "compmake: interrupted while no job was running; nothing was run\n")
        let status = run(arguments: Array(CommandLine.arguments.dropFirst()))
        exit(status)
    }

    /// Runs a command line (without the program name) and returns the exit status.
    static func run(arguments: [String]) -> Int32 {
        let parsed: WorkerArguments
        do {
            parsed = try WorkerArguments(parsing: arguments)
        } catch {
            StandardError.write("compmake: error: \(error.message)\nRun 'compmake --help' for the usage.")
            return WorkerExitStatus.badArguments
        }
        if parsed.help {
            print(WorkerArguments.usage)
            return WorkerExitStatus.success
        }
        if parsed.version {
            print("compmake (clustmake worker) \(version), redis schema \(StoreSchema.version)")
            return WorkerExitStatus.success
        }
        do {
            return try Worker(arguments: parsed).run()
        } catch {
            StandardError.write("compmake: error: \(error.message)")
            return error.status
        }
    }
}
