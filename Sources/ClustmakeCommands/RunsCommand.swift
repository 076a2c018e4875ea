import ArgumentParser
import ClustmakeCollector
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem

/// `clustmake runs`: the namespaces of a redis, with their state, jobs, start and end.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs (namespaces) in redis: state, jobs done, failed and in all, start and end.",
        discussion: """
            One row per namespace, the most recent first: running (a job is in progress), finished (every job \
            done), failed (a job failed, was blocked or was lost), interrupted, incomplete (some jobs never ran), \
            pushed (no job ran yet) or unreadable; the jobs done, failed and in all; when its workers first and \
            last wrote. 'clustmake status --all' prints the same. See docs/collector.md.
            """)

    @OptionGroup(title: "Redis") var redis: RedisOptions

    @OptionGroup(title: "Redis") var clusterRedis: ClusterRedisOptions
    /// The cluster file whose redis settings are the defaults.
    var cluster: String? { clusterRedis.cluster }

    @Flag(help: "Print JSON for programs (format clustmake-runs/1) instead of text.")
    var json = false

    func run() async throws {
        try await Self.list(endpoint: try await CollectorOptions.endpoint(redis: redis, cluster: cluster), json: json)
    }

    /// Reads every namespace at `endpoint` and prints the listing on standard output.
    /// - Throws: ``CommandFailure`` (status 1) when redis cannot be reached or refuses.
    static func list(endpoint: RedisEndpoint, json: Bool) async throws {
        let listing = try await read(endpoint)
        let output = OutputFile.standardOutput()
        try output.write(json ? listing.json() : Array(listing.text(place: "redis at \(endpoint)").utf8))
        try output.close()
    }

    /// Every namespace at `endpoint`, summarised over one connection; a namespace that cannot be read (another
    /// schema, a corrupt record) is listed as such with the reason.
    static func read(_ endpoint: RedisEndpoint) async throws -> RunListing {
        do {
            return try await DedicatedThread.run { () throws(StoreError) -> RunListing in
                let connection = try JobStore.connect(to: endpoint)
                var summaries: [NamespaceSummary] = []
                var unreadable: [(namespace: String, problem: String)] = []
                for namespace in try JobStore.namespaces(on: connection) {
                    do throws(StoreError) {
                        summaries.append(try JobStore(connection: connection, namespace: namespace).summary())
                    } catch {
                        switch error.code {
                        case .unknownNamespace: continue  // removed since it was listed
                        case .schemaMismatch, .corruptRecord: unreadable.append((namespace, error.message))
                        default: throw error
                        }
                    }
                }
                return RunListing(summaries, unreadable: unreadable)
            }
        } catch {
            throw CollectorOptions.failure(error)
        }
    }
}
