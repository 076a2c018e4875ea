import ClustmakeModel
import Testing

@Suite struct FingerprintTests {
    @Test(
        "SHA-256 matches the standard test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ])
    func vectors(input: String, digest: String) {
        var hash = SHA256()
        hash.update(input.utf8)
        #expect(hash.finalizeHex() == digest)
    }

    @Test("a million 'a' hash to the standard digest")
    func longInput() {
        var hash = SHA256()
        hash.update(repeatElement(UInt8(ascii: "a"), count: 1_000_000))
        #expect(hash.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(
        "SHA-1 matches the standard test vectors",
        arguments: [
            ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ])
    func sha1Vectors(input: String, digest: String) {
        #expect(SHA1.hex(of: input) == digest)
    }

    @Test("SHA-1 of a million 'a' fed in uneven pieces is the standard digest")
    func sha1LongInput() {
        var hash = SHA1()
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let count = min(piece, left)
            hash.update(Array(repeating: UInt8(ascii: "a"), count: count))
            left -= count
            piece = piece % 127 + 13
        }
        #expect(hash.finalizeHex() == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test("fields hash as their documented bytes, and a graph's fingerprint stays what earlier versions made")
    func pinnedValues() throws {
        var fields = SHA256()
        fields.field("id-1")
        fields.field(UInt64(0x0102_0304_0506_0708))
        fields.field(2.5)
        fields.field(String(repeating: "x", count: 150))
        var bytes = SHA256()
        bytes.update([0, 0, 0, 0, 0, 0, 0, 4] + Array("id-1".utf8) + [1, 2, 3, 4, 5, 6, 7, 8])
        bytes.update(withUnsafeBytes(of: 2.5.bitPattern.bigEndian) { Array($0) })
        bytes.update([0, 0, 0, 0, 0, 0, 0, 150] + Array(repeating: UInt8(ascii: "x"), count: 150))
        #expect(fields.finalizeHex() == bytes.finalizeHex())
        // Plans and namespaces record fingerprints: the same graph must keep its value from version to version.
        let graph = try JobGraph(
            namespace: "pinned",
            jobs: [
                Job(id: "a", command: .shell("true"), cost: 2, tags: ["t"]),
                Job(id: "b", command: .argv(["echo", "x y"]), deps: ["a"], cwd: "/tmp", nice: 5, retries: 2),
            ])
        #expect(graph.fingerprint == "6b1d3eac52905100bd4ad03746b5560690f1b1f5df9d19382017535cff3770a4")
    }

    @Test("the graph fingerprint changes with any job setting and not otherwise")
    func graphFingerprint() throws {
        let base = [Job(id: "a", command: .shell("true")), Job(id: "b", command: .argv(["echo", "x"]), deps: ["a"])]
        let same = try JobGraph(jobs: base).fingerprint
        #expect(try JobGraph(jobs: base).fingerprint == same)
        var changed = base
        changed[1].cost = 2
        #expect(try JobGraph(jobs: changed).fingerprint != same)
        changed = base
        changed[1].command = .argv(["echo", "y"])
        #expect(try JobGraph(jobs: changed).fingerprint != same)
        changed = base
        changed[0].env = [.init(name: "X", value: "1")]
        #expect(try JobGraph(jobs: changed).fingerprint != same)
    }

    @Test("the cluster fingerprint changes with host settings")
    func clusterFingerprint() {
        let cluster = Cluster(hosts: [Host(name: "n1", processors: 2)])
        var other = cluster
        other.hosts[0].nice = 5
        #expect(cluster.fingerprint != other.fingerprint)
        #expect(cluster.fingerprint == Cluster(hosts: [Host(name: "n1", processors: 2)]).fingerprint)
    }
}
