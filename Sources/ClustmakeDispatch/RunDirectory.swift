public import ClustmakeModel

#if canImport(Glibc)
    import Glibc
#endif

/// The executor's private directory: ssh control sockets, the run locks `clustmake cancel` reads (``RunLock``), scratch
/// files.
///
/// `$XDG_RUNTIME_DIR/clustmake` when that is set, else `/tmp/clustmake-UID`: short (a control socket's path must
/// fit in 108 bytes), created with mode 0700 and refused when another user owns it or others may enter it.
public struct RunDirectory: Sendable, Hashable {
    /// The directory.
    public let path: String

    /// The default directory of this user.
    public static var defaultPath: String {
        if let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), !runtime.isEmpty,
            runtime.utf8.count < 60
        {
            return runtime + "/clustmake"
        }
        return "/tmp/clustmake-\(getuid())"
    }

    /// Opens (creating it if needed) the directory at `path`.
    /// - Throws: ``DispatchError`` when it cannot be created, or another user owns it, or its mode lets others in.
    public init(path: String = RunDirectory.defaultPath) throws(DispatchError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw DispatchError("cannot create the run directory \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw DispatchError("\(path) is not a directory; remove it or set XDG_RUNTIME_DIR")
        }
        guard info.st_uid == getuid() else {
            throw DispatchError(
                "\(path) belongs to another user (uid \(info.st_uid)); remove it or set XDG_RUNTIME_DIR")
        }
        if info.st_mode & 0o077 != 0 { chmod(path, 0o700) }
        self.path = path
    }

    /// The control socket of the ssh master for `host` (a short hash of how ssh reaches it).
    public func controlPath(for host: Host) -> String {
        let key =
            [host.destination, host.port.map(String.init) ?? "", host.sshConfig ?? ""]
            + host.sshOptions
        return path + "/cm-" + Self.hash(key.joined(separator: "\u{1}"))
    }

    /// The run lock of `namespace` in the redis at `redis` (``RunLock``): `run-NS-KEY.lock`, KEY a short hash of
    /// the redis address, so that the runs of one namespace of one redis exclude each other whatever directory
    /// they start from, and the same namespace in two different redis servers (two directories' embedded redis)
    /// does not.
    public func lockFile(namespace: String, redis: String) -> String {
        path + "/run-" + namespace + "-" + String(Self.hash(redis).prefix(8)) + ".lock"
    }

    /// 16 hexadecimal digits of the FNV-1a hash of `text`: short names for long keys.
    private static func hash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Whether an ssh master of an earlier run still answers for `host` (a run killed before it could close it):
    /// the next run uses it, with the tunnels it holds.
    public func hasLiveMaster(for host: Host) -> Bool {
        ControlMaster(host: host, controlPath: controlPath(for: host)).answers(scratch: path)
    }
}
