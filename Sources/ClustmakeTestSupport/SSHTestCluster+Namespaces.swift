import Foundation
import Glibc

/// Network namespaces: creating them, killing what runs in them, deleting them, and cleaning up after
/// crashed test processes.
extension SSHTestCluster {
    /// Where `ip netns` keeps its named namespaces (bind mounts of `/proc/PID/ns/net`).
    static let namespaceDirectory = "/run/netns"

    /// Creates namespace `name` with its loopback up (and nothing else) and returns its inode, which
    /// identifies the processes in it even after the name is gone.
    static func addNamespace(_ name: String, tools: Tools) throws(TestHarnessError) -> ino_t {
        try runToolChecked([tools.ip, "netns", "add", name], what: "creating the network namespace \(name)")
        do throws(TestHarnessError) {
            try runToolChecked(
                [tools.ip, "-n", name, "link", "set", "lo", "up"], what: "bringing up lo in the namespace \(name)")
            var info = stat()
            guard stat("\(namespaceDirectory)/\(name)", &info) == 0 else {
                throw TestHarnessError(
                    .setupFailed,
                    "ip netns add made no \(namespaceDirectory)/\(name): \(String(cString: strerror(errno)))")
            }
            return info.st_ino
        } catch {
            _ = try? runTool([tools.ip, "netns", "delete", name])
            throw error
        }
    }

    /// Deletes namespace `name`, so nothing new can enter it, then SIGKILLs every process still in it
    /// (`inode`) until none is left (at most 5 s: processes may fork meanwhile).
    static func deleteNamespace(_ name: String, inode: ino_t, ip: String) {
        _ = try? runTool([ip, "netns", "delete", name])
        DaemonProcess.killUntilNoneLeft(within: .seconds(5), polling: .milliseconds(2)) {
            processes(inNamespace: inode)
        }
    }

    /// The live processes whose network namespace has inode `inode` (zombies have none).
    static func processes(inNamespace inode: ino_t) -> [pid_t] {
        let wanted = "net:[\(inode)]"
        var pids: [pid_t] = []
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var link = [CChar](repeating: 0, count: 64)
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = pid_t(name) else { continue }
            let count = link.withUnsafeMutableBufferPointer { buffer in
                readlink("/proc/\(name)/ns/net", buffer.baseAddress!, buffer.count)
            }
            guard count > 0 else { continue }
            let target = String(decoding: link[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target == wanted { pids.append(pid) }
        }
        return pids.sorted()
    }

    /// Removes what crashed test processes left: every namespace named `cmk-PID-…` and every
    /// `/tmp/clustmake-ssh.*` directory whose creating process is gone, killing the processes in those
    /// namespaces first. Clusters of live processes, this one included, are left alone.
    ///
    /// The first cluster a process makes calls this once; call it yourself to clean up by hand.
    /// - Returns: The namespaces and directories removed.
    @discardableResult
    public static func removeStale() -> [String] {
        var removed: [String] = []
        let ip = (try? findTools(Options()).ip) ?? "ip"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: namespaceDirectory)) ?? []
        for name in names.sorted() where name.hasPrefix(namespacePrefix) {
            let owner = name.dropFirst(namespacePrefix.count).prefix { $0 != "-" }
            guard let pid = pid_t(owner), !isAlive(pid) else { continue }
            var info = stat()
            guard stat("\(namespaceDirectory)/\(name)", &info) == 0 else { continue }
            deleteNamespace(name, inode: info.st_ino, ip: ip)
            removed.append(name)
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for entry in entries.sorted() where entry.hasPrefix("clustmake-ssh.") {
            let path = "/tmp/" + entry
            guard let data = FileManager.default.contents(atPath: path + "/owner.pid"),
                let pid = pid_t(trimmingTrailingWhitespace(String(decoding: data, as: UTF8.self))), !isAlive(pid)
            else { continue }
            try? FileManager.default.removeItem(atPath: path)
            removed.append(path)
        }
        return removed
    }

    /// Runs ``removeStale()`` the first time it is called in this process.
    static func removeStaleOnce() { _ = staleRemoval }
    private static let staleRemoval: [String] = removeStale()

    private static func isAlive(_ pid: pid_t) -> Bool {
        Glibc.kill(pid, 0) == 0 || errno != ESRCH
    }
}
