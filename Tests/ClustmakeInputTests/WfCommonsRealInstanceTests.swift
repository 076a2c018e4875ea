import ClustmakeInput
import ClustmakeModel
import Foundation
import Testing

/// Real WfCommons instances, one per published WfFormat shape and version (copied unchanged into Fixtures/wfcommons;
/// their sources are in its README): tasks, dependencies, runtimes, cores, memory, files and command lines.
@Suite struct WfCommonsRealInstanceTests {
    /// What one real instance must load as.
    struct Expected: Sendable, CustomStringConvertible {
        var file: String
        var source: String
        var jobs: Int
        var edges: Int
        /// A job to look at closely.
        var id: String
        var deps: [String]
        var cost: Double
        var cores: Int
        var memory: UInt64?
        var tags: [String]
        var command: String
        var files: [JobFile]

        var description: String { file }
    }

    static let blastLine = "./blastall -p blastn -d nt/nt -i small.fasta.0 -o small.fasta.0.out 2> small.fasta.0.err"

    static let instances: [Expected] = [
        Expected(
            file: "makeflow-blast-small-001.v1.0.json",
            source: "WfCommons instance, WfFormat 1.0 (workflow.jobs, parents by name)", jobs: 43, edges: 120,
            id: "blastall_ID000002", deps: ["split_fasta_ID000001"], cost: 9.798843, cores: 1,
            memory: 484_000_000, tags: ["blastall"], command: "blastall " + blastLine, files: blastFiles),
        Expected(
            file: "makeflow-blast-small-001.v1.2.json",
            source: "WfCommons instance, WfFormat 1.2 (workflow.jobs, parents by name)", jobs: 43, edges: 120,
            id: "blastall_ID000002", deps: ["split_fasta_ID000001"], cost: 9.798843, cores: 1,
            memory: 484_000_000, tags: ["blastall"], command: "blastall " + blastLine, files: blastFiles),
        Expected(
            file: "makeflow-blast-small-001.v1.3.json",
            source: "WfCommons instance, WfFormat 1.3 (workflow.tasks, parents by name)", jobs: 43, edges: 120,
            id: "blastall_ID000002", deps: ["split_fasta_ID000001"], cost: 9.798843, cores: 1,
            memory: 484_000_000, tags: ["blastall"], command: "blastall " + blastLine, files: blastFiles),
        Expected(
            file: "makeflow-blast-small-001.v1.4.json",
            source: "WfCommons instance, WfFormat 1.4 (workflow.tasks, parents by name)", jobs: 43, edges: 120,
            id: "blastall_ID000002", deps: ["split_fasta_ID000001"], cost: 9.798843, cores: 1,
            memory: 484_000_000, tags: ["blastall"], command: "blastall " + blastLine, files: blastFiles),
        Expected(
            file: "pegasus-srasearch-chameleon-10a-001.v1.4.json",
            source: "WfCommons instance, WfFormat 1.4 (workflow.tasks, parents by name)", jobs: 22, edges: 30,
            id: "bowtie2-build_ID0000001", deps: [], cost: 6.352, cores: 1, memory: 94_720_000,
            tags: ["bowtie2-build"], command: "bowtie2-build reference.fna reference",
            files: [
                file("reference.rev.1.bt2", .output, 4_226_858), file("reference.2.bt2", .output, 24280),
                file("reference.4.bt2", .output, 24273), file("reference.3.bt2", .output, 17),
                file("reference.1.bt2", .output, 4_226_858), file("reference.rev.2.bt2", .output, 24280),
                file("reference.fna", .input, 98721),
            ]),
        Expected(
            file: "pegasus-montage-chameleon-dss-05d-001.v1.4.json",
            source: "WfCommons instance, WfFormat 1.4 (workflow.tasks, parents by name)", jobs: 58, edges: 114,
            id: "mViewer_ID0000058", deps: ["mAdd_ID0000056", "mAdd_ID0000037", "mAdd_ID0000018"], cost: 4.128,
            cores: 1, memory: nil, tags: ["mViewer"],
            command:
                "mViewer -red 3-mosaic.fits -1s 99.999% gaussian-log -green 2-mosaic.fits -1s 99.999% gaussian-log "
                + "-blue 1-mosaic.fits -1s 99.999% gaussian-log -out mosaic-color.jpg",
            files: [
                file("3-mosaic.fits", .input, 25_922_880), file("2-mosaic.fits", .input, 25_922_880),
                file("1-mosaic.fits", .input, 25_922_880), file("mosaic-color.jpg", .output, 5_698_193),
            ]),
        Expected(
            file: "pegasus-srasearch-10a-001.v1.5.json",
            source:
                "WfCommons instance, WfFormat 1.5 (workflow.specification and workflow.execution, parents by id)",
            jobs: 22, edges: 30, id: "bowtie2-build_ID0000001", deps: [], cost: 6.352, cores: 1,
            memory: 94_720_000, tags: ["bowtie2-build_ID0000001"], command: "bowtie2-build reference.fna reference",
            files: [
                file("reference.fna", .input, 98721), file("reference.rev.1.bt2", .output, 4_226_858),
                file("reference.2.bt2", .output, 24280), file("reference.4.bt2", .output, 24273),
                file("reference.3.bt2", .output, 17), file("reference.1.bt2", .output, 4_226_858),
                file("reference.rev.2.bt2", .output, 24280),
            ]),
        Expected(
            file: "nextflow-sarek-dirt02-001.v1.5.json",
            source:
                "WfCommons instance, WfFormat 1.5 (workflow.specification and workflow.execution, parents by id)",
            jobs: 26, edges: 50, id: "NFCORE_SAREK.SAREK.PREPARE_GENOME.BWAMEM1_INDEX_6", deps: [], cost: 0,
            cores: 1, memory: 2_879_488, tags: ["NFCORE_SAREK.SAREK.PREPARE_GENOME.BWAMEM1_INDEX"],
            command:
                "mkdir bwa\n"
                + "    bwa \\\n"
                + "        index \\\n"
                + "         \\\n"
                + "        -p bwa/genome \\\n"
                + "        genome.fasta\n"
                + "\n"
                + "    cat <<-END_VERSIONS > versions.yml\n"
                + "    \"NFCORE_SAREK:SAREK:PREPARE_GENOME:BWAMEM1_INDEX\":\n"
                + "        bwa: $(echo $(bwa 2>&1) | sed 's/^.*Version: //; s/Contact:.*$//')\n"
                + "    END_VERSIONS",
            files: [
                file("/nf-core/test-datasets/modules/data/genomics/homo_sapiens/genome/genome.fasta", .input, 40675),
                file("/23/b30127ac6112c96ba1201b711e2bae/bwa", .output, 70212),
                file("/23/b30127ac6112c96ba1201b711e2bae/versions.yml", .output, 74),
            ]),
    ]

    /// The files of blastall_ID000002, the same in every version of the blast instance (1.4 renames `size` to
    /// `sizeInBytes`; the sizes are bytes in every version, as WfCommons' migration keeps them).
    static let blastFiles = [
        file("small.fasta.0.out", .output, 19), file("small.fasta.0.err", .output, 0),
        file("blastall", .input, 7688), file("small.fasta.0", .input, 6), file("nt", .input, 5_112_425_635),
    ]

    static func file(_ name: String, _ link: JobFile.Link, _ size: UInt64) -> JobFile {
        JobFile(name: name, link: link, size: size)
    }

    /// Fixtures/wfcommons, found from this file (the tests read nothing outside the repository).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/wfcommons").path

    @Test(
        "each real instance loads with its tasks, dependencies, runtimes, cores, memory, files and commands",
        arguments: instances)
    func realInstance(_ expected: Expected) throws {
        let (graph, source) = try JobGraphLoader().loadDescribed(path: Self.fixtures + "/" + expected.file)
        #expect(source == expected.source)
        #expect(graph.count == expected.jobs)
        #expect(graph.edgeCount == expected.edges)
        let job = try #require(graph.jobs.first { $0.id == expected.id })
        #expect(job.deps == expected.deps)
        #expect(job.cost == expected.cost)
        #expect(job.cores == expected.cores)
        #expect(job.memory == expected.memory)
        #expect(job.tags == expected.tags)
        #expect(job.command == .shell(expected.command))
        #expect(job.files == expected.files)
    }

    @Test(
        "the last task of the blast instances waits for every blastall task, in every version",
        arguments: [
            "makeflow-blast-small-001.v1.0.json", "makeflow-blast-small-001.v1.2.json",
            "makeflow-blast-small-001.v1.3.json", "makeflow-blast-small-001.v1.4.json",
        ])
    func blastDependencies(_ file: String) throws {
        let graph = try JobGraphLoader().load(path: Self.fixtures + "/" + file)
        let last = try #require(graph.jobs.last)
        #expect(last.id == "cat_ID000043")
        #expect(last.deps.count == 40)
        #expect(last.deps.allSatisfy { $0.hasPrefix("blastall_ID0000") })
        #expect(graph.jobs[0].command == .shell("split_fasta ./split_fasta 5 small.fasta"))
        #expect(graph.jobs[0].cost == 0.054023)
    }

    @Test("the Nextflow instance's multi-line script is kept whole as one shell line")
    func nextflowScript() throws {
        let graph = try JobGraphLoader().load(path: Self.fixtures + "/nextflow-sarek-dirt02-001.v1.5.json")
        let job = try #require(graph.jobs.first { $0.id.hasSuffix("GATK4_CREATESEQUENCEDICTIONARY_8") })
        guard case .shell(let line) = job.command else {
            Issue.record("expected a shell line, got \(job.command)")
            return
        }
        #expect(line.hasPrefix("gatk --java-options \"-Xmx6g\" CreateSequenceDictionary \\\n"))
        #expect(line.hasSuffix("END_VERSIONS"))
        #expect(job.cost == 25 && job.memory == 275_070_976)
        let multiqc = try #require(graph.jobs.first { $0.id == "NFCORE_SAREK.SAREK.MULTIQC_35" })
        #expect(multiqc.deps.contains("NFCORE_SAREK.SAREK.FASTQC_12"))
    }

    @Test("a time scale still turns every real task into a sleep of its runtime", arguments: instances)
    func timeScale(_ expected: Expected) throws {
        let graph = try JobGraphLoader(timeScale: 0.5).load(path: Self.fixtures + "/" + expected.file)
        let job = try #require(graph.jobs.first { $0.id == expected.id })
        guard case .argv(let words) = job.command, words.count == 2, words[0] == "sleep" else {
            Issue.record("expected a sleep, got \(job.command)")
            return
        }
        #expect(abs((Double(words[1]) ?? -1) - expected.cost * 0.5) <= 0.0005)
    }
}
