// The cluster file loader (compmake's cluster.yaml and clustmake's extensions).
import ClustmakeInput

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCluster(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    fuzzOne(start, count) { _ = try ClusterLoader().load(bytes: $0, file: "cluster.yaml") }
}
