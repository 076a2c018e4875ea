// The job graph loader on a file named .yaml: the native YAML format (anchors, merge keys, placed errors).
import ClustmakeInput

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGraphYAML(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    fuzzOne(start, count) { _ = try JobGraphLoader().load(bytes: $0, file: "fuzz.yaml") }
}
