public import ClustmakeModel
import ClustmakeScripts
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Copies this clustmake's worker to hosts, so that a host needs nothing installed but sshd, a POSIX shell,
/// coreutils and a C library (docs/hosts.md).
///
/// The binary goes over the session's standard input (the ControlMaster's connection, when
/// ``SSHSettings/connectionOptions`` points at one) to
/// `${XDG_DATA_HOME:-$HOME/.local/share}/clustmake/VERSION/compmake` on the host: written to a temporary name, its
/// size checked, made executable, renamed into place (a worker running from the old file keeps running), then run
/// with `--version` there. A copy that does not run on the
/// host (another CPU, a C library too old) is removed again and reported. ``HostChecker`` finds the installed
/// worker when the configured one is missing or of another version, and ``HostCheck/usableHost`` then uses it.
///
/// ```swift
/// let installer = try await WorkerInstaller(binary: WorkerBinary.locate(explicit: nil))
/// let installs = await installer.install(on: checks.filter(\.needsWorker).map(\.host))
/// ```
public struct WorkerInstaller: Sendable {
    /// The worker binary copied (a self-contained one: `scripts/build-worker.sh`).
    public let binary: String
    /// Its version, which is this clustmake's.
    public let version: String
    /// Its size.
    public let byteCount: Int64
    /// How sessions are opened.
    public let ssh: SSHSettings
    /// How long one host's copy may take.
    public let timeout: Duration
    /// How many hosts are copied to at the same time.
    public let concurrency: Int

    /// Prepares to install `binary`, after checking that it is a worker of this clustmake's version (it runs it
    /// here with `--version`).
    /// - Parameters:
    ///   - binary: The worker binary (``WorkerBinary/locate(explicit:executable:)``).
    ///   - ssh: How sessions are opened.
    ///   - timeout: How long one host's copy may take.
    ///   - concurrency: How many hosts are copied to at the same time.
    ///   - version: The version it must have (this clustmake's by default).
    /// - Throws: ``HostsError`` (``HostsError/Code/workerBinary``) when the file is missing, not executable, does
    ///   not run here, or is of another version.
    public init(
        binary: String, ssh: SSHSettings = SSHSettings(), timeout: Duration = .seconds(300), concurrency: Int = 8,
        version: String = ClustmakeVersion.current
    ) async throws(HostsError) {
        var info = stat()
        guard stat(binary, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw HostsError(
                .workerBinary, "the worker binary \(binary) is not a file", fix: WorkerBinary.buildHint,
                cause: ProcessRunner.errorText())
        }
        guard access(binary, X_OK) == 0 else {
            throw HostsError(.workerBinary, "the worker binary \(binary) is not executable", fix: "chmod 755 \(binary)")
        }
        let probe = try await ProcessRunner.run([binary, "--version"], timeout: .seconds(30))
        let found = WorkerVersion.parse(probe.stdout)
        guard probe.status == 0, let found else {
            throw HostsError(
                .workerBinary, "\(binary) --version did not print a clustmake worker's version",
                fix: WorkerBinary.buildHint, cause: CheckAnalysis.clip(probe.stdout + probe.stderr))
        }
        guard found == version else {
            throw HostsError(
                .workerBinary, "the worker binary \(binary) is version \(found), not \(version)",
                fix: WorkerBinary.buildHint)
        }
        self.binary = binary
        self.version = version
        self.byteCount = Int64(info.st_size)
        self.ssh = ssh
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
    }

    /// Copies the worker to every host of `hosts` (at most ``concurrency`` at a time).
    /// - Parameter hosts: The hosts; usually those whose check ``HostCheck/needsWorker``.
    /// - Returns: One result per host, in the same order.
    public func install(on hosts: [Host]) async -> [WorkerInstall] {
        await hosts.concurrentMap(limit: concurrency) { host in await install(on: host) }
    }

    /// Copies the worker to one host.
    /// - Parameter host: The host (a local host gets it on this machine, without ssh).
    /// - Returns: Where it is now, or why the copy failed.
    public func install(on host: Host) async -> WorkerInstall {
        let arguments = RemoteShell.arguments(host: host, script: script, settings: ssh, stdin: true)
        let result: ProcessResult
        do {
            result = try await ProcessRunner.runSSH(arguments, input: .file(binary), timeout: timeout)
        } catch {
            return WorkerInstall(host: host, failure: error.message, fix: error.fix)
        }
        var values: [String: String] = [:]
        for line in result.stdout.split(whereSeparator: \.isNewline) where line.hasPrefix(Self.marker) {
            let body = line.dropFirst(Self.marker.count)
            let space = body.firstIndex(of: " ") ?? body.endIndex
            values[String(body[..<space])] = String(body[space...].dropFirst())
        }
        var install = WorkerInstall(host: host, duration: result.duration)
        let said = CheckAnalysis.clip(
            result.stderr.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " / ").trimmingCharacters(
                in: " "))
        let place = host.isLocal ? "this machine" : host.destination
        if result.timedOut {
            install.failure = "copying to \(place) did not finish within \(Format.seconds(timeout))"
        } else if values["begin"] == nil {
            install.failure =
                host.isLocal || result.status != 255
                ? "the copy to \(place) did not start (exit status \(result.status ?? -1)): \(said)"
                : "ssh could not connect to \(place): \(said)"
            install.fix = host.isLocal ? nil : "Run clustmake hosts check for the reason."
        } else if let received = values["short"] {
            install.failure = "the copy to \(place) was cut short: \(received) of \(byteCount) bytes arrived"
        } else if let path = values["path"] {
            let output = values["version"] ?? ""
            if values["status"] == "0" && WorkerVersion.parse(output) == version {
                install.path = path
            } else {
                install.failure =
                    "the worker was copied to \(place) but does not run there, so it was removed again: "
                    + CheckAnalysis.clip(output.isEmpty ? said : output)
                install.fix =
                    "Build the worker on a system whose C library is no newer than the host's (glibc), for the "
                    + "host's CPU (uname -m); see docs/hosts.md."
            }
        } else {
            install.failure = "the copy to \(place) failed (exit status \(result.status ?? -1)): \(said)"
            install.fix = "Check that \(values["directory"] ?? "the host's ~/.local/share") is writable and has room."
        }
        return install
    }

    static let marker = "clustmake-install:"

    /// The script that receives the binary on standard input.
    var script: String {
        let accepted = WorkerVersion.casePattern(version)
        return [
            "LC_ALL=C", "export LC_ALL", "V=\(ShellQuote.quote(version))", "S=\(byteCount)", "umask 022",
            #"o() { printf '\#(Self.marker)%s ' "$1"; printf '%s' "$2" | tr '\n\r' '  '; echo; }"#, "o begin 1",
            #"d="${XDG_DATA_HOME:-$HOME/.local/share}/clustmake/$V""#, #"o directory "$d""#,
            #"mkdir -p "$d" || exit 3"#, #"t="$d/.compmake.$$""#,
            #"if ! cat > "$t"; then rm -f "$t"; exit 4; fi"#,
            #"n=$(wc -c < "$t" | tr -d ' ')"#,
            #"if [ "$n" != "$S" ]; then rm -f "$t"; o short "$n"; exit 5; fi"#,
            #"chmod 755 "$t" && mv -f "$t" "$d/compmake" || { rm -f "$t"; exit 6; }"#,
            #"o path "$d/compmake""#,
            #"v=$("$d/compmake" --version 2>&1 </dev/null)"#, "o status $?", #"o version "$v""#,
            #"case "$v" in \#(accepted)) ;; *) rm -f "$d/compmake";; esac"#,
        ].joined(separator: "; ")
    }
}
