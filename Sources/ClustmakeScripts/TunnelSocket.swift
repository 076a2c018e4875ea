public import ClustmakeModel

/// The worker's end of the reverse tunnel on a host with `tunnel: unix` (docs/cluster.md, docs/security.md): a unix
/// socket `NS-NICK.sock` in a directory only the user can enter, `$XDG_RUNTIME_DIR/clustmake` (else
/// `/run/user/UID/clustmake`) when that runtime directory is the user's, else `~/.cache/clustmake`.
///
/// The directory is the host's, so clustmake learns it from the host: ``prepareScript`` (run once per host over
/// its ssh master, before the socket is forwarded) creates it mode 0700, checks that it is a directory, not a
/// symbolic link, owned by the user, of mode 0700 without ACL entries, removes a socket an earlier run of the
/// namespace left at the path (sshd removes none when a forward ends, and refuses to bind over one unless its own
/// `StreamLocalBindUnlink` is on), and prints the directory. The host's master then forwards the socket
/// (`ssh -O forward -R SOCKET:REDIS`) for the whole run, and every slot's worker connects to it
/// (`--redis_host=unix:SOCKET`). The name carries the namespace and the host's nickname, so two runs, or two hosts
/// sharing a home directory (NFS), never bind one socket.
public enum TunnelSocket {
    /// The longest socket path clustmake forwards (a unix socket's address holds 104 bytes on BSD and macOS, 108
    /// on Linux, with the final NUL).
    public static let maximumPathLength = 103

    /// A POSIX shell script that picks the directory, creates it mode 0700 if it is missing, checks it, removes
    /// the socket named by its first argument there, and prints the directory's path; on any doubt it prints why
    /// on standard error and exits 1.
    public static let prepareScript = """
        umask 077
        runtime=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
        if [ -d "$runtime" ] && [ ! -L "$runtime" ] && [ -O "$runtime" ] && [ -w "$runtime" ]; then
          dir=$runtime/clustmake
        else
          [ -n "$HOME" ] && [ -d "$HOME" ] || { echo "no runtime directory and no home directory" >&2; exit 1; }
          mkdir -p "$HOME/.cache" || exit 1
          dir=$HOME/.cache/clustmake
        fi
        case $dir in
          /*) ;;
          *) echo "$dir is not an absolute path" >&2; exit 1 ;;
        esac
        [ -L "$dir" ] && { echo "$dir is a symbolic link" >&2; exit 1; }
        [ -d "$dir" ] || mkdir -m 700 "$dir" || exit 1
        [ -L "$dir" ] && { echo "$dir is a symbolic link" >&2; exit 1; }
        [ -d "$dir" ] && [ -O "$dir" ] || { echo "$dir is not a directory of $(id -un)" >&2; exit 1; }
        case $(ls -ld "$dir") in
          "drwx------ "* | "drwx------. "*) ;;
          *) echo "$dir is not of mode 0700 without ACL entries (chmod 700 $dir)" >&2; exit 1 ;;
        esac
        rm -f -- "$dir/$1" || exit 1
        printf '%s\\n' "$dir"
        """

    /// The socket's name in the directory, for a run of `namespace` on `host`.
    public static func name(namespace: String, host: Host) -> String { "\(namespace)-\(host.name).sock" }

    /// The socket's path in `directory`.
    public static func path(directory: String, namespace: String, host: Host) -> String {
        directory + "/" + name(namespace: namespace, host: host)
    }

    /// Why `directory` (what ``prepareScript`` printed) cannot hold the socket of `host` for `namespace`, or nil.
    public static func problem(directory: String, namespace: String, host: Host) -> String? {
        guard directory.hasPrefix("/"), !directory.contains(":"),
            !directory.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else {
            return "its tunnel directory is not an absolute path without ':' or control characters"
        }
        let socket = path(directory: directory, namespace: namespace, host: host)
        if socket.utf8.count > maximumPathLength {
            return "the tunnel socket \(socket) is longer than \(maximumPathLength) bytes; give the host a shorter "
                + "home directory or a runtime directory (/run/user/UID), or use tunnel: tcp"
        }
        return nil
    }
}
