/// Why the worker stops: the exit status (``WorkerExitStatus``) and a message for stderr.
struct WorkerError: Error, Sendable, CustomStringConvertible {
    var status: Int32
    var message: String

    init(_ status: Int32, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }
}
