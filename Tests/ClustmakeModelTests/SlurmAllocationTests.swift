import ClustmakeModel
import Testing

@Suite struct SlurmAllocationTests {
    @Test(
        "host lists expand as SLURM expands them",
        arguments: [
            ("n1", ["n1"]),
            ("n[1-3,5]", ["n1", "n2", "n3", "n5"]),
            ("a1,b[01-02]", ["a1", "b01", "b02"]),
            ("node[08-11]", ["node08", "node09", "node10", "node11"]),
            ("c[9-10]", ["c9", "c10"]),
            ("c[001-002],gpu-a", ["c001", "c002", "gpu-a"]),
            ("r[1-2]-n[1-2]", ["r1-n1", "r1-n2", "r2-n1", "r2-n2"]),
            ("x[7],y.z[0-1]", ["x7", "y.z0", "y.z1"]),
        ])
    func expands(list: String, names: [String]) {
        #expect(SlurmAllocation.expandHostList(list) == names)
    }

    @Test(
        "text that is not a host list is refused",
        arguments: [
            "", "n[1-3", "n1-3]", "n[[1-2]]", "n[3-1]", "n[]", "n[1-]", "n[a-b]", "a,,b", "a,", "n[1-2];rm",
            "n$(x)", "n[1-200000]", "n[0-99999],m[0-9]",
        ])
    func refuses(list: String) {
        #expect(SlurmAllocation.expandHostList(list) == nil)
    }

    @Test(
        "CPU counts expand from SLURM's compressed form",
        arguments: [
            ("4", [4]),
            ("2(x3),1", [2, 2, 2, 1]),
            ("1,16(x2)", [1, 16, 16]),
        ])
    func counts(text: String, counts: [Int]) {
        #expect(SlurmAllocation.expandCounts(text) == counts)
    }

    @Test(
        "malformed CPU counts are refused",
        arguments: ["", "0", "2(x0)", "2(3)", "2(x", "x2", "2,,1", "-1", "2(x999999)", "1000000"])
    func badCounts(text: String) {
        #expect(SlurmAllocation.expandCounts(text) == nil)
    }

    @Test("the environment of an allocation gives its job id, nodes and CPUs; none outside one")
    func environment() throws {
        let inside = [
            "SLURM_JOB_ID": "4242", "SLURM_JOB_NODELIST": "n[1-2],m7", "SLURM_JOB_CPUS_PER_NODE": "2(x2),8",
        ]
        let allocation = try #require(try SlurmAllocation(environment: { inside[$0] }))
        #expect(allocation == SlurmAllocation(jobID: "4242", nodes: ["n1", "n2", "m7"], cpus: [2, 2, 8]))
        #expect(try SlurmAllocation(environment: { _ in nil }) == nil)
        #expect(try SlurmAllocation(environment: { $0 == "SLURM_JOB_ID" ? "" : nil }) == nil)
    }

    @Test(
        "a broken allocation environment is refused with the variable and its value",
        arguments: [
            (["SLURM_JOB_ID": "12"], "SLURM_JOB_NODELIST"),
            (["SLURM_JOB_ID": "1;2", "SLURM_JOB_NODELIST": "n1", "SLURM_JOB_CPUS_PER_NODE": "1"], "'1;2'"),
            (["SLURM_JOB_ID": "3", "SLURM_JOB_NODELIST": "n[1-", "SLURM_JOB_CPUS_PER_NODE": "1"], "'n[1-'"),
            (["SLURM_JOB_ID": "3", "SLURM_JOB_NODELIST": "n[1-2]", "SLURM_JOB_CPUS_PER_NODE": "1"], "2 nodes"),
        ])
    func brokenEnvironment(variables: [String: String], mentions: String) {
        #expect {
            _ = try SlurmAllocation(environment: { variables[$0] })
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.code == .invalidValue || error.code == .missingKey
                ? "\(error)".contains(mentions) : false
        }
    }
}
