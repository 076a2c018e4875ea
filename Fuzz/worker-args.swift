// The worker's command line: the input is its words, separated by NUL bytes (as in /proc/PID/cmdline).
import ClustmakeWorker

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWorkerArguments(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    fuzzOne(start, count) { bytes in
        _ = try WorkerArguments(parsing: bytes.isEmpty ? [] : fuzzWords(bytes, separator: 0))
    }
}
