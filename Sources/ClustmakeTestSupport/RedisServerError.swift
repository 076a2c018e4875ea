/// Why a test's ``RedisServer`` could not start or restart, with the tail of its log.
public struct RedisServerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do about it.
    public var message: String
    /// The last lines of the server's log and output, or empty when it never ran.
    public var logTail: String
    /// Whether the port was taken, so starting again on another port may work.
    var addressInUse: Bool

    init(_ message: String, logTail: String, addressInUse: Bool = false) {
        self.message = message
        self.logTail = logTail
        self.addressInUse = addressInUse
    }

    public var description: String {
        logTail.isEmpty ? message : "\(message)\n\(logTail)"
    }
}
