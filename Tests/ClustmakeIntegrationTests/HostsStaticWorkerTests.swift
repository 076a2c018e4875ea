import ClustmakeHosts
import ClustmakeModel
import ClustmakeRedis
import ClustmakeTestSupport
import Foundation
import Testing

/// The self-contained worker of `scripts/build-worker.sh`: only C-library dependencies, and it runs on a host that
/// got it from `hosts install` and reaches redis through the tunnel.
@Suite struct HostsStaticWorkerTests {
    /// `$CLUSTMAKE_WORKER_BINARY`, else what scripts/build-worker.sh writes in this checkout.
    static func staticWorker() throws -> String {
        let path =
            ProcessInfo.processInfo.environment[WorkerBinary.environmentVariable]
            ?? HostsFixture.repositoryRoot + "/" + WorkerBinary.buildOutput
        try #require(
            FileManager.default.isExecutableFile(atPath: path),
            """
            no self-contained worker at \(path): build it with scripts/build-worker.sh (needs the Debian packages \
            libhiredis-dev and libjansson-dev), or set \(WorkerBinary.environmentVariable)
            """)
        return path
    }

    @Test("the static worker needs only libc-level libraries (ldd on a host) and is this version")
    func selfContained() throws {
        let worker = try Self.staticWorker()
        let cluster = try SSHTestCluster(hosts: 1)
        let ldd = try cluster.run(host: "h1", "ldd \(worker)")
        try #require(ldd.succeeded, "\(ldd.stderr)")
        let libraries = ldd.output.split(separator: "\n").compactMap {
            $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
        }
        let allowed = [
            "linux-vdso.so.1", "libc.so.6", "libm.so.6", "/lib64/ld-linux-x86-64.so.2", "libpthread.so.0",
            "libdl.so.2", "librt.so.1",
        ]
        #expect(!libraries.isEmpty)
        for library in libraries {
            #expect(allowed.contains(library), "\(worker) needs \(library):\n\(ldd.output)")
        }
        let version = try cluster.run(host: "h1", "\(worker) --version")
        #expect(WorkerVersion.parse(version.output) == ClustmakeVersion.current, "\(version.output) \(version.stderr)")
    }

    @Test("the static worker is linked at a fixed address and without a run path (scripts/build-worker.sh)")
    func linkedAtAFixedAddress() throws {
        let worker = try Self.staticWorker()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: worker)))
        func integer(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        // ELF64, little-endian (x86_64, as docs/hosts.md says the worker is built).
        try #require(bytes.count > 64 && bytes.prefix(4).elementsEqual([0x7f, 0x45, 0x4c, 0x46]) && bytes[4] == 2)
        let positionIndependent = ProcessInfo.processInfo.environment["CLUSTMAKE_WORKER_PIE"] == "1"
        // ET_EXEC (2): linked at a fixed address, no relocations to apply at start; ET_DYN (3): position-independent.
        #expect(
            integer(16, 2) == (positionIndependent ? 3 : 2),
            """
            \(worker) has ELF type \(integer(16, 2)); scripts/build-worker.sh links it at a fixed address (2) unless \
            CLUSTMAKE_WORKER_PIE=1 (3), and this test expects what that variable says
            """)
        // The dynamic section (the program header of type PT_DYNAMIC) has no DT_RPATH (15) or DT_RUNPATH (29).
        let headers = integer(32, 8)
        let headerSize = integer(54, 2)
        var tags: [Int] = []
        for index in 0..<integer(56, 2) {
            let header = headers + index * headerSize
            guard integer(header, 4) == 2 else { continue }
            let offset = integer(header + 8, 8)
            for entry in stride(from: offset, to: offset + integer(header + 32, 8), by: 16) {
                tags.append(integer(entry, 8))
            }
        }
        #expect(tags.contains(1), "no DT_NEEDED entry found: the dynamic section was not read")
        #expect(!tags.contains(15) && !tags.contains(29), "\(worker) has a run path")
    }

    @Test("hosts install copies the static worker to a host without one; it then passes every check there")
    func installedAndRuns() async throws {
        let worker = try Self.staticWorker()
        let redis = try RedisServer(RedisServer.Options(password: "pw"))
        let cluster = try SSHTestCluster(hosts: 1)
        let host = HostsFixture.hosts(of: cluster, worker: "compmake")[0]
        let checker = try HostChecker(redis: redis.endpoint)
        let before = await checker.check(host)
        #expect(
            before[.worker].detail.hasPrefix("no worker of version \(ClustmakeVersion.current): compmake is not found"))
        let installer = try await WorkerInstaller(binary: worker)
        #expect(installer.byteCount > 1_000_000)
        let install = await installer.install(on: host)
        #expect(install.succeeded, "\(install)")
        let after = await checker.check(host)
        #expect(after.passed, "\(after.findings)")
        #expect(after.workerPath == install.path)
        let copied = try #require(install.path)
        #expect(FileManager.default.contentsEqual(atPath: copied, andPath: worker))
    }
}
