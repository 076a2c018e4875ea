import ClustmakeModel
import ClustmakeScripts

/// The argument vector that runs a POSIX shell script on a host: `ssh … HOST [-R …] sh -c 'SCRIPT'`, or
/// `/bin/sh -c SCRIPT` for a local host (``ClustmakeModel/Host/isLocal``).
///
/// The ssh part is the job line's (``ClustmakeScripts/JobLine``): `-F CFG`, ``JobLine/batchOptions``, the
/// connection options, `-p PORT`, the host's `ssh_options` and `[USER@]HOST`, in that order. `overrides` come
/// first, right after `-F`: ssh keeps the first value it sees of each option, so they win over the batch options
/// (a check's own `ConnectTimeout`, for example). When `stdin` is true the batch options' `-n` is left out, so
/// that what this process writes to ssh's standard input reaches the remote script (a password line, a binary).
enum RemoteShell {
    static func arguments(
        host: Host, script: String, settings: SSHSettings, overrides: [String] = [], stdin: Bool = false,
        forwards: [String] = []
    ) -> [String] {
        if host.isLocal { return ["/bin/sh", "-c", script] }
        var argv = JobLine.ssh(
            host,
            options: ["-o", "ConnectTimeout=\(settings.connectTimeout)"] + overrides
                + (stdin ? JobLine.unattendedOptions : JobLine.batchOptions) + settings.connectionOptions(host))
        argv.append(host.destination)
        for forward in forwards { argv += ["-R", forward] }
        // ssh joins the words after the host with spaces for the remote shell: quote the script once for it.
        argv += ["sh", "-c", ShellQuote.quote(script)]
        return argv
    }

    /// The shell command a user types to try what a check of `host` does over ssh: the same ssh arguments
    /// (``arguments(host:script:settings:overrides:stdin:forwards:)``: `-F`, the batch options, the connect
    /// timeout, `-p`, the host's `ssh_options`) running `true`, each word shell-quoted.
    /// (`ssh -n -o BatchMode=yes … -p 2222 -o IdentityFile=/k alice@10.0.0.7 true`.)
    static func reproduction(host: Host, settings: SSHSettings) -> String {
        var argv = JobLine.ssh(
            host,
            options: ["-o", "ConnectTimeout=\(settings.connectTimeout)"] + JobLine.batchOptions
                + settings.connectionOptions(host))
        argv += [host.destination, "true"]
        return ShellQuote.join(argv)
    }

    /// The `-R` argument of slot `instance`'s job lines on `host` (`13000:localhost:6379`,
    /// `13000:/path/to/redis.sock`), taken from ``ClustmakeScripts/JobLine`` itself so that a check opens exactly
    /// the tunnels the jobs will.
    static func tunnel(host: Host, instance: Int, redis: RedisAddress) -> String {
        let line = JobLine(
            jobID: "check", nice: host.nice, host: host, instance: instance,
            settings: WorkerSettings(namespace: "check", redis: redis))
        // argv ends with `… HOST -R SPEC` followed by the remote command's words.
        return line.argv[line.argv.count - line.command.count - 1]
    }
}
