import ClustmakeJSON

#if canImport(Glibc)
    import Glibc
#endif

/// The pid file of a running run (`run-NS.pid` in the run directory): it refuses a second run of the same
/// namespace on this machine, and `clustmake cancel` reads the pid to signal there.
public struct PidFile {
    /// The file's path.
    let path: String

    /// Claims the pid file at `path` for this process: refused while the process it names is alive (and is not
    /// this one), else written with this process's id.
    /// - Parameter namespace: The run's namespace, for the message.
    /// - Throws: ``DispatchError`` when another run holds it, or it cannot be written.
    static func claim(_ path: String, namespace: String) throws(DispatchError) -> PidFile {
        if let pid = Self.read(path), pid != getpid(), kill(pid, 0) == 0 {
            throw DispatchError(
                "a run of namespace '\(namespace)' is going on already (pid \(pid), \(path)); "
                    + "wait for it, or stop it with `clustmake cancel --namespace \(namespace)`")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw DispatchError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        RunOutput.write(descriptor, "\(getpid())\n")
        close(descriptor)
        return PidFile(path: path)
    }

    /// The pid the pid file at `path` holds, if it can be read and holds one (`clustmake cancel` reads it too).
    public static func read(_ path: String) -> Int32? {
        guard let bytes = try? FileContents.bytes(atPath: path, limit: 64) else { return nil }
        return pid(in: String(decoding: bytes, as: UTF8.self))
    }

    /// The pid a pid file holds (`PID` and a newline), if it holds one.
    static func pid(in text: String) -> Int32? {
        text.split(whereSeparator: \.isWhitespace).first.flatMap { Int32($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// Removes the file (the run is over).
    func release() {
        unlink(path)
    }
}
