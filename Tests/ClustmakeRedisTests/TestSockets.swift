import Glibc

/// Raw sockets for the connect-failure tests: a port nothing listens on, and a listener that
/// never accepts (so new connections hang in SYN-SENT once its queue is full).
enum TestSockets {
    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func closedPort() throws -> Int {
        let listener = try Listener(backlog: 1)
        return listener.port
    }

    /// A listening socket on 127.0.0.1 that is never accepted from; closed on deinit.
    final class Listener {
        let descriptor: Int32
        let port: Int

        init(backlog: Int32) throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { throw SocketError(operation: "socket") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(descriptor, generic, length) == 0 && listen(descriptor, backlog) == 0
                        && getsockname(descriptor, generic, &length) == 0
                }
            }
            guard ok else {
                close(descriptor)
                throw SocketError(operation: "bind/listen")
            }
            self.descriptor = descriptor
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(descriptor) }
    }

    struct SocketError: Error {
        var operation: String
        var errno: Int32 = Glibc.errno
    }
}

/// How long `body` took.
func elapsed(_ body: () -> Void) -> Duration {
    ContinuousClock().measure(body)
}
