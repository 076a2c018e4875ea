import ClustmakeInput
import ClustmakeModel
import Foundation
import Testing

/// The YAML examples of docs/cluster.md, docs/job-graph.md and README's "Coming from compmake" load as the text
/// around them says.
@Suite struct DocumentedExampleTests {
    static let root: URL = {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX))
        let path =
            realpath(#filePath, &resolved) != nil
            ? String(decoding: resolved.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : #filePath
        return URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    /// The ```yaml blocks of `document`, from the heading `section` on (the whole document without one).
    static func yamlBlocks(_ document: String, from section: String? = nil) -> [String] {
        var text = (try? String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)) ?? ""
        if let section, let start = text.range(of: "\n" + section + "\n") {
            text = String(text[start.upperBound...])
            if let end = text.range(of: "\n## ") { text = String(text[..<end.lowerBound]) }
        }
        return text.components(separatedBy: "```yaml\n").dropFirst().compactMap {
            $0.components(separatedBy: "\n```").first
        }
    }

    @Test("every cluster file shown in docs/cluster.md loads, merge keys resolved")
    func clusterDocument() throws {
        let blocks = Self.yamlBlocks("docs/cluster.md")
        #expect(blocks.count >= 2)
        for block in blocks {
            _ = try ClusterLoader().load(bytes: Array(block.utf8), file: "docs/cluster.md")
        }
        let merged = try ClusterLoader().load(
            bytes: Array(try #require(Self.yamlBlocks("docs/cluster.md", from: "## Merge keys").first).utf8),
            file: "docs/cluster.md")
        let gpu = try #require(merged.hosts.first { $0.name == "gpu1" })
        #expect(gpu.processors == 8 && gpu.speed == 3 && gpu.username == "alice" && gpu.nice == 5)
        #expect(gpu.address == "gpu1.lab.example.org" && gpu.sshConfig == "~/.ssh/lab_config")
    }

    @Test("every graph shown in docs/job-graph.md's YAML loads, merge keys resolved")
    func graphDocument() throws {
        let blocks = Self.yamlBlocks("docs/job-graph.md")
        #expect(blocks.count >= 2)
        var graphs: [JobGraph] = []
        for block in blocks {
            graphs.append(try JobGraphLoader().load(bytes: Array(block.utf8), file: "jobs.yaml").graph)
        }
        let merged = try #require(graphs.first { $0.jobs.first?.id == "align-1" })
        #expect(merged.jobs[1].cores == 8 && merged.jobs[1].retries == 2 && merged.jobs[1].tags == ["align"])
        #expect(merged.jobs[1].command == .shell("bwa mem ref.fa reads-2.fq"))
    }

    @Test("README's compmake example becomes the graph the script built: five jobs, the promises as deps")
    func compmakeExample() throws {
        let block = try #require(Self.yamlBlocks("README.md", from: "## Coming from compmake").first)
        let graph = try JobGraphLoader().load(bytes: Array(block.utf8), file: "survey.yaml").graph
        #expect(graph.jobs.map(\.id) == ["download", "analyse-1", "analyse-2", "analyse-3", "summary"])
        for job in graph.jobs {
            #expect(job.cwd == "/shared/survey", "\(job.id)")
            if job.id.hasPrefix("analyse-") {
                #expect(job.deps == ["download"])
                #expect(
                    job.command
                        == .shell(
                            "python3 -m survey analyse data/raw.csv \(job.id.dropFirst(8)) "
                                + "data/\(job.id).json"))
            }
        }
        #expect(graph.jobs[4].deps == ["analyse-1", "analyse-2", "analyse-3"])
    }
}
