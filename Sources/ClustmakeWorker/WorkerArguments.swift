import ClustmakeModel

/// The worker's command line, in the forms compmake's cluster mode wrote it:
///
/// ```
/// compmake --hostname=NICK --db=redis --redis_host=localhost:13000 --save_progress=False \
///     --slave NS make_single more=False wait=86400 JOB [JOB …]
/// ```
///
/// Options take `--name=value` or `--name value`, anywhere before `make_single`'s arguments; booleans are
/// `True`/`False` as compmake wrote Python's (also `true`, `false`, `1`, `0`, `yes`, `no`). The first word that
/// is not an option is the namespace, the second the command (`make_single`); then come `more=BOOL`,
/// `wait=SECONDS` and the job ids (after `--`, every word is a job id). docs/worker.md describes every option.
public struct WorkerArguments: Sendable, Hashable {
    /// The host's nickname (`--hostname`); `uname -n` when not given.
    public var hostname: String?
    /// Where redis is (`--redis_host`): `HOST[:PORT]`, `[IPV6]:PORT`, `unix:/path`, `unix:///path`, `/path` or a
    /// `redis://host:port/db` URL without a password. compmake's default: `localhost`.
    public var redisHost = "localhost"
    /// The ACL user to log in as (`--redis_user`).
    public var redisUser: String?
    /// A file holding the redis password, mode 0600 (`--redis_password_file`).
    public var passwordFile: String?
    /// Read the redis password from the first line of standard input (`--redis_password_stdin`).
    public var passwordFromStdin = false
    /// The namespace (`--slave NS`).
    public var namespace = ""
    /// Run jobs even if they are done (`more=True`).
    public var more = false
    /// Wait up to this many seconds for dependencies (`wait=SECONDS`); `nil` fails at once.
    public var wait: Double?
    /// The jobs, in order.
    public var jobs: [String] = []
    /// Serve batches of job ids read from standard input, one line each, answering each on standard output
    /// (`stream=True`, docs/worker.md "Streamed sessions"); ``jobs`` is then empty.
    public var stream = false
    /// Keep all of every attempt's output in files under this directory (`--log_dir`).
    public var logDirectory: String?
    /// The lease's time to live in seconds (`--lease_ttl`); renewed every third of it.
    public var leaseTTL = 30.0
    /// Seconds between SIGTERM and SIGKILL when stopping a job (`--kill_grace`).
    public var killGrace = 10.0
    /// Seconds to keep retrying when redis is lost (`--redis_retry`).
    public var redisRetry = 60.0
    /// Print the usage and exit (`--help`).
    public var help = false
    /// Print the version and exit (`--version`).
    public var version = false

    public init() {}

    /// The usage text of `compmake --help`.
    public static let usage = """
        usage: compmake [OPTIONS] --slave NAMESPACE make_single [more=BOOL] [wait=SECONDS] JOB [JOB ...]
               compmake [OPTIONS] --slave NAMESPACE make_single [more=BOOL] [wait=SECONDS] stream=True

        Runs jobs of a clustmake plan on this host: reads each job's definition from redis, takes its lease,
        runs it, and records the attempt, its output and its statistics. See docs/worker.md.

        options (--name=value or --name value):
          --hostname=NICK             the host's nickname for statistics (default: uname -n)
          --db=redis                  the only database this worker knows
          --redis_host=ADDRESS        HOST[:PORT], unix:/path or redis://host:port/db (default: localhost)
          --redis_user=NAME           the redis ACL user
          --redis_password_file=FILE  read the redis password from FILE (mode 0600)
          --redis_password_stdin      read the redis password from the first line of standard input
          --slave NAMESPACE           run as a slave of NAMESPACE (required)
          --save_progress=BOOL        accepted for compmake's job lines; has no effect
          --redis_events              accepted for compmake's job lines; events always go to redis
          --log_dir=DIR               also keep all output in DIR/NAMESPACE/JOB.ATTEMPT.{stdout,stderr}
          --lease_ttl=SECONDS         lease time to live, renewed every third of it (default: 30)
          --kill_grace=SECONDS        time between SIGTERM and SIGKILL when stopping a job (default: 10)
          --redis_retry=SECONDS       how long to retry when redis is lost (default: 60)
          --help, --version

        make_single arguments:
          more=BOOL                   run the jobs even if they are done (default: False)
          wait=SECONDS                wait up to SECONDS for dependencies (default: fail at once)
          stream=BOOL                 read lines of job ids from standard input, run each line's jobs, and
                                      write the line's exit status on standard output; end at end of input

        exit status: 0 done, 113 job failed, 115 blocked, 116 dependencies not ready, 117 lease held elsewhere,
        118 redis unreachable, 119 schema mismatch, 120 unknown namespace or job, 121 bad arguments,
        122 redis refused the login, 123 interrupted, 124 lease lost, 114 internal error.
        """

    /// Options that take a value.
    private static let valued: Set<String> = [
        "hostname", "db", "redis_host", "redis_user", "redis_password_file", "save_progress", "log_dir", "lease_ttl",
        "kill_grace", "redis_retry",
    ]
    /// Options that are flags.
    private static let flags: Set<String> = ["slave", "redis_events", "redis_password_stdin", "help", "version"]

    /// Parses a command line (without the program name).
    /// - Parameter arguments: The words after `compmake`.
    /// - Throws: ``WorkerArgumentError`` naming the word that is wrong (exit status
    ///   ``WorkerExitStatus/badArguments``).
    public init(parsing arguments: [String]) throws(WorkerArgumentError) {
        var positional: [String] = []
        var slave = false
        var index = 0
        // The position in `positional` where `--` was: every word from there on is a job id.
        var idsFrom: Int?
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if idsFrom != nil || !word.hasPrefix("--") {
                positional.append(word)
                continue
            }
            if word == "--" {
                if positional.count < 2 {
                    throw WorkerArgumentError("'--' must follow 'NAMESPACE make_single'")
                }
                idsFrom = positional.count
                continue
            }
            let body = word.dropFirst(2)
            let name: String
            var value: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            if Self.flags.contains(name) {
                if name == "slave", let given = value {
                    // --slave=NS names the namespace directly.
                    slave = true
                    positional.insert(given, at: 0)
                    continue
                }
                if let value, try !Self.bool(value, option: word) { continue }
                switch name {
                case "slave": slave = true
                case "help": help = true
                case "version": version = true
                case "redis_password_stdin": passwordFromStdin = true
                default: break  // redis_events: events always go to the stream
                }
                continue
            }
            guard Self.valued.contains(name) else {
                let known = (Self.valued.union(Self.flags)).sorted().map { "--" + $0 }.joined(separator: ", ")
                let hint = nearest(name, in: Self.valued.union(Self.flags)).map { " Did you mean '--\($0)'?" } ?? ""
                throw WorkerArgumentError(
                    "unknown option '\(Format.escaped(word, limit: 60))'.\(hint) Known options: \(known).")
            }
            if value == nil {
                guard index < arguments.count else { throw WorkerArgumentError("option '--\(name)' needs a value") }
                value = arguments[index]
                index += 1
            }
            try set(name, value!, option: "--\(name)")
        }
        if help || version { return }
        guard slave else {
            throw WorkerArgumentError(
                "this compmake only runs jobs of clustmake plans: give --slave NAMESPACE make_single JOB")
        }
        guard positional.count >= 2 else {
            throw WorkerArgumentError(
                "expected 'NAMESPACE make_single JOB', got '\(positional.joined(separator: " "))'")
        }
        namespace = positional[0]
        if let problem = JobID.problem(with: namespace) {
            throw WorkerArgumentError("the namespace '\(namespace)' is not valid: \(problem)")
        }
        guard positional[1] == "make_single" else {
            throw WorkerArgumentError(
                "unknown command '\(positional[1])': this compmake runs only 'make_single' (a slave's command)")
        }
        let firstID = max(idsFrom ?? positional.count, 2)
        for word in positional[2..<firstID] {
            if word.hasPrefix("more=") {
                more = try Self.bool(String(word.dropFirst(5)), option: "more")
            } else if word.hasPrefix("wait=") {
                let text = word.dropFirst(5)
                guard let seconds = Double(text), seconds >= 0, seconds <= Self.maximumWait else {
                    throw WorkerArgumentError(
                        "wait=\(Format.escaped(String(text), limit: 40)): expected a number of seconds from 0 to "
                            + "\(Int(Self.maximumWait)) (366 days), such as wait=3600")
                }
                wait = seconds
            } else if word.hasPrefix("stream=") {
                stream = try Self.bool(String(word.dropFirst(7)), option: "stream")
            } else {
                try appendJob(word)
            }
        }
        for word in positional[firstID...] { try appendJob(word) }
        if stream {
            guard jobs.isEmpty else {
                throw WorkerArgumentError(
                    "make_single stream=True takes the job ids from standard input, one line at a time; give no job "
                        + "id on the command line (got '\(Format.escaped(jobs[0]))')")
            }
            return
        }
        guard !jobs.isEmpty else { throw WorkerArgumentError("make_single needs at least one job id") }
    }

    private mutating func appendJob(_ word: String) throws(WorkerArgumentError) {
        jobs.append(try Self.jobID(word))
    }

    /// `word` when it is a valid job id.
    static func jobID(_ word: String) throws(WorkerArgumentError) -> String {
        if let problem = JobID.problem(with: word) {
            throw WorkerArgumentError("'\(Format.escaped(word))' is not a valid job id: \(problem)")
        }
        return word
    }

    /// The longest `wait=`: as long as the longest job timeout (366 days).
    public static let maximumWait = Job.Limits.maximumTimeout
    /// The longest `--lease_ttl`, `--kill_grace` and `--redis_retry`: one day.
    public static let maximumSetting = 86_400.0

    private mutating func set(_ name: String, _ value: String, option: String) throws(WorkerArgumentError) {
        func seconds() throws(WorkerArgumentError) -> Double {
            guard let number = Double(value), number > 0, number <= Self.maximumSetting else {
                throw WorkerArgumentError(
                    "\(option)=\(Format.escaped(value, limit: 40)): expected a positive number of seconds, at most "
                        + "\(Int(Self.maximumSetting)) (one day)")
            }
            return number
        }
        switch name {
        case "hostname":
            if let problem = JobID.problem(with: value) {
                throw WorkerArgumentError(
                    "\(option)=\(Format.escaped(value, limit: 60)): not a valid host nickname: \(problem)")
            }
            hostname = value
        case "db":
            guard value == "redis" else {
                throw WorkerArgumentError(
                    "\(option)=\(Format.escaped(value, limit: 60)): this compmake only works with --db=redis")
            }
        case "redis_host": redisHost = value
        case "redis_user": redisUser = value
        case "redis_password_file": passwordFile = value
        case "save_progress": _ = try Self.bool(value, option: option)
        case "log_dir": logDirectory = value
        case "lease_ttl": leaseTTL = try seconds()
        case "kill_grace": killGrace = try seconds()
        case "redis_retry": redisRetry = try seconds()
        default: break
        }
    }

    /// compmake's booleans: Python's `True`/`False`, and the usual spellings.
    static func bool(_ text: String, option: String) throws(WorkerArgumentError) -> Bool {
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw WorkerArgumentError("\(option)=\(text): expected True or False")
        }
    }
}

/// A command-line problem: what is wrong, naming the word.
public struct WorkerArgumentError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
