import Foundation
import Glibc

/// What the test harnesses need from the machine: programs, found where Debian installs them, and free ports.
enum Prerequisite {
    /// `program` itself when it has a slash, else the first executable of that name in `PATH` and the system
    /// directories (`/usr/sbin` too: daemons and `sshd` live there and root's `PATH` may lack it).
    /// - Parameters:
    ///   - program: A name or a path.
    ///   - package: The Debian package that installs it, for the message.
    ///   - role: What the tests need it for: `"the SLURM controller"`.
    ///   - tests: Which tests need it: `"the ssh integration tests"`.
    /// - Throws: ``TestHarnessError`` (`.missingPrerequisite`) naming the package to install.
    static func locate(_ program: String, package: String, role: String, tests: String) throws(TestHarnessError)
        -> String
    {
        func missing(_ problem: String) -> TestHarnessError {
            TestHarnessError(
                .missingPrerequisite,
                "\(problem). \(tests.prefix(1).uppercased() + tests.dropFirst()) need \(role): install the Debian "
                    + "package \(package) (apt-get install \(package); scripts/install-deps.sh installs everything "
                    + "the tests need).")
        }
        if program.contains("/") {
            guard access(program, X_OK) == 0 else { throw missing("\(program) is not installed") }
            return program
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories =
            searchPath.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + program
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw missing("\(program) is not installed (looked in PATH=\(searchPath) and /usr/sbin, /usr/bin, /sbin, /bin)")
    }

    /// What failed, with the system's message; each harness wraps it in its own error.
    struct Failure: Error {
        var message: String
        /// Whether binding a port failed (every port taken), as opposed to making a socket.
        var addressInUse = false
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it back, close).
    static func freePort() throws(Failure) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw Failure(message: "socket() failed: \(String(cString: strerror(errno)))", addressInUse: false)
        }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else {
            throw Failure(
                message: "cannot bind a free port on 127.0.0.1: \(String(cString: strerror(errno)))", addressInUse: true
            )
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A fresh directory `/tmp/PREFIX.XXXXXX` with mode `mode`: always /tmp and short, since unix socket paths
    /// (redis, munge, ssh ControlPath) must fit in 108 bytes and `$TMPDIR` can be long.
    static func temporaryDirectory(prefix: String, mode: mode_t) throws(Failure) -> String {
        var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else {
            throw Failure(message: "cannot create a temporary directory in /tmp: \(String(cString: strerror(errno)))")
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        chmod(path, mode)
        return path
    }
}
