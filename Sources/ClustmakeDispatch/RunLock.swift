import ClustmakeJSON
import ClustmakeModel
import ClustmakeSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The run's lock on this machine: an `flock(2)` held for the run's whole life on `run-NS-KEY.lock` in the run
/// directory (``RunDirectory/lockFile(namespace:redis:)``), the file naming the holder (namespace, pid, its start
/// time, host, redis, since when). A second run of the namespace in the same redis is refused while it is held;
/// `clustmake cancel` signals only a process that the kernel says holds it (``holders(in:)``).
///
/// The kernel lets the lock go when the process ends, however it ends: a file left behind by a crash names a
/// process that holds nothing, and is neither obeyed nor signalled.
public struct RunLock {
    /// The file.
    public let path: String
    /// The open file that holds the lock.
    private let descriptor: Int32

    /// Who holds a run lock, as its file says and the kernel confirms.
    public struct Holder: Sendable, Hashable {
        /// The lock file.
        public var path: String
        /// The run's namespace.
        public var namespace: String
        /// The run's process.
        public var process: ProcessIdentity
        /// The host it runs on.
        public var host: String
        /// The redis it records into (its password hidden).
        public var redis: String
        /// When it started.
        public var since: String
    }

    /// What a lock file says about a run.
    public enum State: Sendable, Hashable {
        /// A run holds it: its process holds the lock and is the one the file names.
        case held(Holder)
        /// No process holds it, or not the one the file names (a file left by a run that ended abnormally, or a
        /// pid now used by another process): `pid` is what the file names, if anything.
        case stale(namespace: String?, pid: Int32?)
    }

    /// Takes the lock at `path` for this process and writes the holder's details into it.
    /// - Parameters:
    ///   - namespace: The run's namespace.
    ///   - redis: Where the run records (shown, so without its password).
    /// - Throws: ``DispatchError`` with exit status 2 when another run holds it (naming its pid and host), or
    ///   status 1 when the file cannot be made.
    static func claim(_ path: String, namespace: String, redis: String) throws(DispatchError) -> RunLock {
        while true {
            let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else {
                throw DispatchError("cannot open the run lock \(path): \(String(cString: strerror(errno)))")
            }
            var taken = flock(descriptor, LOCK_EX | LOCK_NB)
            while taken != 0 && errno == EINTR { taken = flock(descriptor, LOCK_EX | LOCK_NB) }
            guard taken == 0 else {
                let cause = errno
                close(descriptor)
                guard cause == EWOULDBLOCK else {
                    throw DispatchError("cannot lock \(path): \(String(cString: strerror(cause)))")
                }
                throw refusal(namespace: namespace, path: path)
            }
            // The file may have been removed by a run that ended between our open and our lock: lock the file the
            // path names now.
            var opened = stat()
            var named = stat()
            guard fstat(descriptor, &opened) == 0, stat(path, &named) == 0, opened.st_ino == named.st_ino,
                opened.st_dev == named.st_dev
            else {
                close(descriptor)
                continue
            }
            let process = ProcessIdentity.current()
            let text =
                [
                    "namespace \(namespace)", "pid \(process.pid)", "start \(process.startTicks)",
                    "host \(ProcessIdentity.hostname())", "redis \(redis)", "since \(UTCTime.now().iso8601)",
                ].joined(separator: "\n") + "\n"
            guard ftruncate(descriptor, 0) == 0 else {
                let cause = String(cString: strerror(errno))
                close(descriptor)
                throw DispatchError("cannot write the run lock \(path): \(cause)")
            }
            _ = lseek(descriptor, 0, SEEK_SET)
            RunOutput.write(descriptor, text)
            return RunLock(path: path, descriptor: descriptor)
        }
    }

    /// The refusal of a second run, naming the first as its lock file says.
    private static func refusal(namespace: String, path: String) -> DispatchError {
        // The holder writes its details right after taking the lock: a run started at the same moment may find the
        // file still empty, so it looks again, for up to two seconds, before saying only that the lock is held.
        var holder: Holder?
        for look in 0..<40 {
            if case .held(let found) = state(of: path) {
                holder = found
                break
            }
            if look < 39 { blockingSleep(.milliseconds(50)) }
        }
        let first =
            holder.map { "pid \($0.process.pid) on \($0.host), since \($0.since)" } ?? "its lock \(path) is held"
        return DispatchError(
            "a run of namespace '\(namespace)' is going on already (\(first)); "
                + "wait for it to end, or stop it with `clustmake cancel --namespace \(namespace)`",
            exitStatus: 2)
    }

    /// Ends the lock: the file is removed while still held (so that no one locks a removed file), then let go.
    func release() {
        unlink(path)
        close(descriptor)
    }

    /// What the lock file at `path` says, checked against the kernel: held only if the process the file names
    /// holds an `flock` on it and is the same process (its start time) that wrote it.
    public static func state(of path: String) -> State {
        let fields = self.fields(path)
        let pid = fields["pid"].flatMap { Int32($0) }.flatMap { $0 > 0 ? $0 : nil }
        guard let pid, let start = fields["start"].flatMap({ UInt64($0) }),
            ProcessIdentity.flockHolders(of: path).contains(pid),
            let running = ProcessIdentity.of(pid), running.startTicks == start
        else { return .stale(namespace: fields["namespace"], pid: pid) }
        return .held(
            Holder(
                path: path, namespace: fields["namespace"] ?? "", process: running, host: fields["host"] ?? "?",
                redis: fields["redis"] ?? "?", since: fields["since"] ?? "?"))
    }

    /// The `name value` lines of a lock file (at most 4 KiB of it: the file is untrusted); words that are not
    /// printable are left out.
    static func fields(_ path: String) -> [String: String] {
        guard let bytes = try? FileContents.bytes(atPath: path, limit: 4096) else { return [:] }
        var fields: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { continue }
            let value = line[line.index(after: space)...]
            guard value.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }) else { continue }
            fields[String(line[..<space])] = String(value.prefix(300))
        }
        return fields
    }

    /// Every lock file in `directory` with what it says, ordered by namespace.
    public static func all(in directory: RunDirectory) -> [(path: String, state: State)] {
        let names = (try? FileSystem.entries(of: directory.path)) ?? []
        return names.filter { $0.hasPrefix("run-") && $0.hasSuffix(".lock") }.sorted().map { name in
            let path = directory.path + "/" + name
            return (path, state(of: path))
        }
    }

    /// The runs going on from `directory`: the lock files a live run holds.
    public static func holders(in directory: RunDirectory) -> [Holder] {
        all(in: directory).compactMap { entry in
            if case .held(let holder) = entry.state { holder } else { nil }
        }
    }
}
