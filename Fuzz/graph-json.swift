// The job graph loader on a file named .json: the native JSON format, or a WfCommons instance by content.
import ClustmakeInput

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGraphJSON(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    fuzzOne(start, count) { _ = try JobGraphLoader().load(bytes: $0, file: "fuzz.json") }
}
