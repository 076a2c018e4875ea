// The decoders of stored records (docs/redis-schema.md): a job definition, an attempt, a job's status, a host and
// a namespace's metadata, each from the hash the input describes: one `field=value` a line.
import ClustmakeModel
@testable import ClustmakeStore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStoreRecords(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    fuzzOne(start, count) { bytes in
        var fields: [String: String] = [:]
        for line in fuzzWords(bytes, separator: UInt8(ascii: "\n")) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        _ = AttemptRecord(fields: fields)
        for state in JobState.allCases {
            _ = JobStatus(id: "a", state: state, fields: fields, leaseHolder: nil, leaseRemaining: nil)
        }
        _ = HostRecord(nickname: "node1", fields: fields)
        _ = RunMetadata(namespace: "fuzz", fields: fields)
        let stored = try JobCodec.decode(fields, key: "compmake:fuzz:job:a")
        _ = JobCodec.fields(of: stored.job, index: stored.index, dependents: stored.dependents)
    }
}
