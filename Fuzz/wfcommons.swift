// The WfCommons importer: a .json file with a `workflow` object, read as it is and with --time-scale (commands
// become sleeps of the scaled runtimes).
import ClustmakeInput

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWfCommons(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    fuzzOne(start, count) { bytes in
        for loader in [JobGraphLoader(), JobGraphLoader(timeScale: 0.5)] {
            do {
                _ = try loader.load(bytes: bytes, file: "instance.json")
            } catch {
                _ = String(describing: error)
            }
        }
    }
}
