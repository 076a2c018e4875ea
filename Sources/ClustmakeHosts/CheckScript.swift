import ClustmakeScripts

/// The POSIX shell script a host check runs on the host (through ssh, or locally), and what it reports.
///
/// It runs in one session, as one line of `;`-separated commands (so any POSIX login shell passes it to `sh`
/// intact), and needs nothing on the host beyond `sh` and coreutils (`nice`, `df`, `tr`, `id`). It prints one line
/// per fact, `clustmake-check:KEY VALUE`, with newlines in values turned into spaces:
///
/// - `begin`, `end`: the script started and finished;
/// - `user`, `home`, `pwd`: who it runs as, `$HOME`, the login directory (where jobs without a `cwd` run);
/// - `installed_path`: where `clustmake hosts install` puts the worker,
///   `${XDG_DATA_HOME:-$HOME/.local/share}/clustmake/VERSION/compmake`;
/// - `configured_status`, `configured_output`: exit status and output of `WORKER --version` (the host's `worker`);
/// - `installed_status`, `installed_output`: the same for the installed path, tried when the configured worker is
///   not of our version;
/// - `worker`: the worker of our version it found, or empty;
/// - `nice_before`, `nice_after`: `nice`, and `nice -n N nice` (with nice's warning, if any);
/// - `df`: each line of `df -Pk .`;
/// - `probe_status`, `probe_output`: when asked, the worker run as the job lines run it, against a namespace that
///   does not exist (exit status 120 means it reached redis and logged in).
struct CheckScript: Sendable {
    /// The host's configured worker.
    var worker: String
    /// The version a worker must have.
    var version: String
    /// The host's nice level.
    var nice: Int
    /// The redis probe, if redis is to be checked.
    var probe: Probe?

    /// How the worker is asked to reach redis.
    struct Probe: Sendable {
        /// `--redis_host`: `localhost:PORT` through the tunnel, or the address itself on a local host.
        var redisHost: String
        /// `--redis_user`, for an ACL user.
        var user: String?
        /// Whether the password comes as the first line of standard input (`--redis_password_stdin`).
        var passwordOnStdin: Bool
        /// A namespace that does not exist.
        var namespace: String
        /// `--redis_retry`: how long the worker keeps trying to connect.
        var retrySeconds: Int
    }

    static let marker = "clustmake-check:"

    /// The script, one line.
    var text: String {
        let accepted = WorkerVersion.casePattern(version)
        var lines = [
            "LC_ALL=C", "export LC_ALL",
            "V=\(ShellQuote.quote(version))", "W=\(ShellQuote.quote(worker))", "N=\(nice)",
            #"o() { printf '\#(Self.marker)%s ' "$1"; printf '%s' "$2" | tr '\n\r' '  '; echo; }"#,
            "o begin 1", #"o user "$(id -un 2>/dev/null)""#, #"o home "$HOME""#, #"o pwd "$(pwd)""#,
            #"D="${XDG_DATA_HOME:-$HOME/.local/share}/clustmake/$V/compmake""#, #"o installed_path "$D""#,
            #"x=$("$W" --version 2>&1 </dev/null)"#, "o configured_status $?", #"o configured_output "$x""#,
            #"P="#, #"case "$x" in \#(accepted)) P=$W;; esac"#,
            #"if [ -z "$P" ] && [ "$D" != "$W" ]; then y=$("$D" --version 2>&1 </dev/null); o installed_status $?; "#
                + #"o installed_output "$y"; case "$y" in \#(accepted)) P=$D;; esac; fi"#,
            #"o worker "$P""#,
            #"o nice_before "$(nice 2>&1)""#, #"o nice_after "$(nice -n "$N" nice 2>&1)""#,
            #"df -Pk . 2>&1 | while IFS= read -r l; do o df "$l"; done"#,
        ]
        if let probe {
            var words = [
                "--hostname=clustmake-check", "--db=redis", "--redis_host=\(probe.redisHost)",
                "--redis_retry=\(probe.retrySeconds)",
            ]
            if let user = probe.user { words.append("--redis_user=\(user)") }
            if probe.passwordOnStdin { words.append("--redis_password_stdin") }
            words += ["--slave", probe.namespace, "make_single", "probe"]
            let arguments = words.map(ShellQuote.quote).joined(separator: " ")
            let input = probe.passwordOnStdin ? "" : " </dev/null"
            lines.append(
                #"if [ -n "$P" ]; then z=$(nice -n "$N" "$P" \#(arguments) 2>&1\#(input)); o probe_status $?; "#
                    + #"o probe_output "$z"; fi"#)
        }
        lines.append("o end 1")
        return lines.joined(separator: "; ")
    }

    /// What a run of the script printed: its facts by key (the last value of each), and the `df` lines in order.
    struct Report: Sendable, Hashable {
        var values: [String: String] = [:]
        var dfLines: [String] = []

        var began: Bool { values["begin"] != nil }
        var ended: Bool { values["end"] != nil }

        subscript(key: String) -> String? { values[key] }

        /// The value of `key` as an integer.
        func integer(_ key: String) -> Int? {
            values[key].flatMap { Int($0.trimmingCharacters(in: " ")) }
        }

        /// Reads the script's standard output; lines without the marker are ignored.
        init(parsing output: String) {
            for line in output.split(whereSeparator: \.isNewline) {
                guard line.hasPrefix(CheckScript.marker) else { continue }
                let body = line.dropFirst(CheckScript.marker.count)
                let key: Substring
                var value = ""
                if let space = body.firstIndex(of: " ") {
                    key = body[..<space]
                    value = String(body[body.index(after: space)...])
                } else {
                    key = body
                }
                if key == "df" {
                    dfLines.append(value)
                } else {
                    values[String(key)] = value
                }
            }
        }
    }
}
