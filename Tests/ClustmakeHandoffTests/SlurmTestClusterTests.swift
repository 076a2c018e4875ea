import ClustmakeTestSupport
import Testing

@Suite struct SlurmTestClusterTests {
    @Test("the cluster starts and shows its node idle")
    func startsIdle() throws {
        let cluster = try SlurmTestCluster()
        #expect(try cluster.nodeStates() == [cluster.nodeName: "idle"])
    }
}
