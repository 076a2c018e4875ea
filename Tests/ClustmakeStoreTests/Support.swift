import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import ClustmakeTestSupport
import Testing

/// A real redis-server and a store of namespace "ns" on it.
struct Fixture {
    let server: RedisServer
    let store: JobStore

    init(namespace: String = "ns", options: RedisServer.Options = RedisServer.Options()) throws {
        server = try RedisServer(options)
        store = try JobStore(connection: try server.connect(), namespace: namespace)
    }

    /// A fixture whose redis keeps its data across a restart (`RedisServer.restart()`): an append-only file,
    /// written at every change.
    static func persistent() throws -> Fixture {
        try Fixture(options: RedisServer.Options(extraArguments: ["--appendonly", "yes", "--appendfsync", "always"]))
    }

    /// A second store on the same namespace, on its own connection (another worker, a collector).
    func another() throws -> JobStore {
        try JobStore(connection: try server.connect(), namespace: store.namespace)
    }

    /// A raw connection for checking keys.
    func redis() throws -> RedisConnection { try server.connect() }

    @discardableResult
    func push(_ jobs: [Job], force: Bool = false) throws -> PushReport {
        try store.push(try JobGraph(jobs: jobs), force: force, pushedBy: "test")
    }
}

func job(_ id: String, _ command: String = "true", deps: [String] = [], cost: Double = 1) -> Job {
    Job(id: id, command: .shell(command), deps: deps, cost: cost)
}

func request(_ host: String = "h1", ttl: Duration = .seconds(30), token: String? = nil) -> LeaseRequest {
    LeaseRequest(
        token: token ?? "\(host)/1/\(UInt32.random(in: 0...UInt32.max))", ttl: ttl, host: host,
        nodename: "node-\(host)",
        workerPID: 4242, workerVersion: "test")
}

func lease(_ outcome: AcquireOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> Lease {
    guard case .started(let lease) = outcome else {
        Issue.record("expected the lease to be taken, got \(outcome)", sourceLocation: sourceLocation)
        throw FixtureError.unexpected
    }
    return lease
}

func result(_ state: AttemptState, exit: Int32? = nil, stdout: String = "", reason: String? = nil) -> AttemptResult {
    let now = UTCTime.now()
    return AttemptResult(
        state: state, reason: reason, exitStatus: exit ?? (state == .succeeded ? 0 : 1), started: now, ended: now,
        wallTime: 0.25, userCPU: 0.125, systemCPU: 0.0625, maxRSS: 4_194_304, jobPID: 777,
        stdoutTail: Array(stdout.utf8), stdoutBytes: UInt64(stdout.utf8.count))
}

/// Runs `id` to completion with the given outcome.
@discardableResult
func run(_ store: JobStore, _ id: String, _ state: AttemptState = .succeeded, more: Bool = false) throws
    -> FinishOutcome
{
    try store.finish(try lease(store.acquire(id, more: more, request: request())), result(state))
}

enum FixtureError: Error { case unexpected }

/// Redis Cluster's key slot (CRC16-XMODEM of the hash tag, modulo 16384).
func keySlot(_ key: String) -> Int {
    var bytes = Array(key.utf8)
    if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
        let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1
    {
        bytes = Array(bytes[(open + 1)..<close])
    }
    var crc: UInt16 = 0
    for byte in bytes {
        crc ^= UInt16(byte) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
    }
    return Int(crc) % 16384
}
