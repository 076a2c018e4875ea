import ArgumentParser
import ClustmakeModel
import Logging
import Synchronization

/// How much clustmake tells on stderr about what it does.
struct LoggingOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Report each step and how long it took on stderr.")
    var verbose = false

    /// The logger for a command: notices and errors always, each step's timing with --verbose.
    func logger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = verbose ? .debug : .notice
        return logger
    }
}

/// Measures the steps of a command for the log.
struct StepTimer {
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant
    var logger: Logger

    init(logger: Logger) {
        self.logger = logger
        last = clock.now
    }

    /// Logs that `step` is done, with the time since the previous step: `read the job graph in 0.02 s (…)`.
    mutating func done(_ step: String, _ metadata: Logger.Metadata = [:]) {
        let now = clock.now
        defer { last = now }
        logger.debug("\(step) in \(Format.seconds(now - last))", metadata: metadata)
    }
}

/// A ``StepTimer`` that steps on other threads can share (a run's dispatcher reports its own steps).
final class SharedStepTimer: Sendable {
    private let timer: Mutex<StepTimer>

    init(logger: Logger) { timer = Mutex(StepTimer(logger: logger)) }

    /// Logs that `step` is done, with the time since the previous step.
    func done(_ step: String, _ metadata: Logger.Metadata = [:]) {
        timer.withLock { $0.done(step, metadata) }
    }
}
