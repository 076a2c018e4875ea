import ClustmakeJSON

#if canImport(Glibc)
    import Glibc
#endif

/// A process as the kernel knows it: its id and the time it started (in clock ticks since boot), so that a pid
/// written down earlier is recognised only while the very same process runs, never a later one that reused the
/// number. Read from `/proc` (Linux).
public struct ProcessIdentity: Sendable, Hashable {
    /// The process id.
    public var pid: Int32
    /// When it started: field 22 of `/proc/PID/stat`.
    public var startTicks: UInt64

    /// This process (its start time 0 if `/proc` cannot say).
    public static func current() -> ProcessIdentity {
        of(getpid()) ?? ProcessIdentity(pid: getpid(), startTicks: 0)
    }

    /// The process `pid` as it runs now; `nil` when there is none, or only its zombie.
    public static func of(_ pid: Int32) -> ProcessIdentity? {
        guard pid > 0, let fields = statFields(String(pid)) else { return nil }
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X", let start = UInt64(fields[19]) else { return nil }
        return ProcessIdentity(pid: pid, startTicks: start)
    }

    /// Whether this very process still runs (same pid, same start time).
    public var isRunning: Bool { Self.of(pid) == self }

    /// What tells this machine's processes from another's: the boot id and the pid namespace, so that a pid
    /// recorded here is never looked up on another machine, nor in another container of the same kernel.
    public static func machine() -> String {
        let boot = smallFile("/proc/sys/kernel/random/boot_id")?.split(separator: "\n").first.map(String.init) ?? "?"
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { readlink("/proc/self/ns/pid", $0.baseAddress!, $0.count - 1) }
        }
        let namespace = count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : "?"
        return boot + "/" + namespace
    }

    /// This machine's host name (`uname -n`).
    public static func hostname() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "localhost" }
        return withUnsafeBytes(of: &names.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The processes holding an `flock(2)` lock on the file at `path`, from `/proc/locks` (which lists each lock
    /// with the pid that took it and the file's device and inode); empty when none does or the file is missing.
    /// Looking never takes the lock, so it cannot make a process that tries at the same moment fail.
    public static func flockHolders(of path: String) -> [Int32] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
        let minor = (device & 0xff) | ((device >> 12) & ~0xff)
        let target = (major: major, minor: minor, inode: UInt64(info.st_ino))
        guard let table = smallFile("/proc/locks", limit: 1 << 22) else { return [] }
        var holders: [Int32] = []
        for line in table.split(separator: "\n") {
            // "1: FLOCK  ADVISORY  WRITE 2072 fe:00:16221950 0 EOF"; a waiting lock reads "1: -> FLOCK …".
            let words = line.split(separator: " ")
            guard words.count >= 6, words[1] == "FLOCK", let pid = Int32(words[4]) else { continue }
            let parts = words[5].split(separator: ":")
            guard parts.count == 3, let major = UInt64(parts[0], radix: 16), let minor = UInt64(parts[1], radix: 16),
                let inode = UInt64(parts[2]), (major, minor, inode) == target
            else { continue }
            holders.append(pid)
        }
        return holders
    }

    /// The processes whose parent is `pid`, from `/proc/PID/stat` of every process.
    public static func children(of pid: Int32) -> [Int32] {
        guard pid > 0, let names = try? FileSystem.entries(of: "/proc") else { return [] }
        return names.compactMap { name -> Int32? in
            guard let child = Int32(name), child > 0, let fields = statFields(name) else { return nil }
            return fields.count > 1 && Int32(fields[1]) == pid ? child : nil
        }
    }

    /// The argument vector of process `pid` (`/proc/PID/cmdline`, at most 64 KiB), or `nil` when it cannot be
    /// read (no such process, a zombie, another user's process without access).
    public static func arguments(of pid: Int32) -> [String]? {
        guard pid > 0, let bytes = try? FileContents.bytes(atPath: "/proc/\(pid)/cmdline", limit: 1 << 16),
            !bytes.isEmpty
        else { return nil }
        var words = bytes.split(separator: 0, omittingEmptySubsequences: false)
        if bytes.last == 0 { words.removeLast() }
        return words.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The fields of `/proc/PID/stat` after the command name, from STATE on ("PID (COMM) STATE PPID …": COMM may
    /// hold spaces and parentheses, so the fields are counted after the last ')').
    private static func statFields(_ pid: String) -> [Substring]? {
        guard let text = smallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }

    /// A small file of `/proc` as text (`/proc` files say size 0: ``FileContents`` reads to the end anyway).
    private static func smallFile(_ path: String, limit: Int = 4096) -> String? {
        (try? FileContents.bytes(atPath: path, limit: limit)).map { String(decoding: $0, as: UTF8.self) }
    }
}
