import ClustmakeCollector
import ClustmakeModel
import ClustmakeRedis
import ClustmakeStore
import ClustmakeSystem
import Logging

/// Job costs learned from a namespace's earlier runs, for `clustmake plan` (``LearnedCosts`` has the rule).
enum HistoryCosts {
    /// How long the default look-up (no `--costs-from`) waits for redis to accept the connection: planning must
    /// not slow down when no redis is there.
    static let defaultConnectTimeout = Duration.milliseconds(250)
    /// How long an explicit `--costs-from` waits.
    static let explicitConnectTimeout = Duration.seconds(5)

    /// The learned costs, by job id.
    /// - Parameters:
    ///   - graph: The graph to plan.
    ///   - cluster: The cluster (its host speeds turn runtimes into costs at speed 1; its redis settings are the
    ///     defaults).
    ///   - namespace: The namespace whose runs to learn from.
    ///   - redis: Where redis is (``RedisResolver``: the embedded redis is read when it was ever started here).
    ///   - explicit: Whether the user asked for it (`--costs-from`): then any failure is an error; otherwise it is
    ///     logged (debug) and the declared costs are kept.
    ///   - logger: Where to log.
    /// - Throws: With `explicit` only: ``ClustmakeModel/InputError`` (bad address, unknown namespace),
    ///   ``CommandFailure`` (redis unreachable or refusing).
    static func learn(
        graph: JobGraph, cluster: Cluster, namespace: String, redis: RedisResolver, explicit: Bool, logger: Logger
    ) async throws -> [String: Double] {
        let endpoint: RedisEndpoint
        do {
            endpoint = try await redis.resolve(embedded: .ifPresent).endpoint
        } catch {
            if explicit { throw error }
            logger.debug("planning with the declared costs: \(error)")
            return [:]
        }
        return try await learn(
            graph: graph, cluster: cluster, namespace: namespace, endpoint: endpoint, explicit: explicit, logger: logger
        )
    }

    /// The learned costs, by job id, from the redis at `endpoint` (see the other `learn`).
    static func learn(
        graph: JobGraph, cluster: Cluster, namespace: String, endpoint: RedisEndpoint, explicit: Bool, logger: Logger
    ) async throws -> [String: Double] {
        let timeout = explicit ? explicitConnectTimeout : defaultConnectTimeout
        let outcome: Result<CostSamples?, StoreError>
        do {
            outcome = .success(
                try await DedicatedThread.run { () throws(StoreError) -> CostSamples? in
                    let store = try JobStore(
                        endpoint: endpoint, namespace: namespace, connectTimeout: timeout, commandTimeout: .seconds(60))
                    // A namespace no worker ever ran a job of (pushed, not run) is not read whole: a million
                    // pushed jobs took 7.8–10.7 s to read for nothing to learn.
                    guard try store.hasAttempts() else { return nil }
                    // The hosts and wall times of good attempts, and tags only if a job may take a tag's median:
                    // no whole snapshot (100,000 finished jobs: 2.0-2.4 s read whole).
                    return try store.costSamples { LearnedCosts.needsTags(graph: graph, samples: $0) }
                })
        } catch {
            outcome = .failure(error)
        }
        let samples: CostSamples
        switch outcome {
        case .success(nil):
            let message = "planning with the declared costs: namespace '\(namespace)' has no attempts to learn from"
            if explicit { logger.notice("\(message)") } else { logger.debug("\(message)") }
            return [:]
        case .success(let value?):
            samples = value
        case .failure(let error):
            if explicit && error.code == .unknownNamespace {
                throw InputError(
                    .invalidValue,
                    "namespace '\(namespace)' does not exist at \(endpoint), so it has no runs to learn costs from.",
                    fix: "Give --costs-from a namespace that has runs (clustmake push or run created it), or leave "
                        + "it out to plan with the declared costs.", subject: "--costs-from")
            }
            if explicit { throw CollectorOptions.failure(error) }
            let reason =
                error.code == .unknownNamespace
                ? "namespace '\(namespace)' has no earlier runs at \(endpoint)" : error.description
            logger.debug("planning with the declared costs: \(reason)")
            return [:]
        }
        var speeds: [String: Double] = [:]
        for host in cluster.hosts { speeds[host.name] = host.speed }
        let learned = LearnedCosts(graph: graph, samples: samples, speeds: speeds)
        let message =
            "costs from earlier runs of namespace '\(namespace)': "
            + "\(Format.count(learned.fromJob, "job")) from their own runs, "
            + "\(learned.fromTag) from their tag's, \(learned.declared) declared "
            + "(\(Format.count(learned.samples, "attempt")) read)"
        if explicit { logger.notice("\(message)") } else { logger.debug("\(message)") }
        return learned.costs
    }
}
