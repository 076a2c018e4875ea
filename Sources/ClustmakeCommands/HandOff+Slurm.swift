import ClustmakeHosts
import ClustmakeModel
import ClustmakeRedis
import ClustmakeScripts
import ClustmakeStore
import ClustmakeSystem
import Logging

/// `clustmake submit` of a plan written with `--target slurm` (docs/handoff.md, "SLURM").
extension HandOff {
    /// Checks the plan against the cluster file and redis, probes redis from a node (unless `check` is false),
    /// submits `slurm/submit.sh` and records the hand-off.
    /// - Returns: The recorded hand-off.
    /// - Throws: ``InputError`` (exit 2) for a plan that does not fit the cluster file or the graph in redis;
    ///   ``CommandFailure`` (exit 1) when redis does not answer from the node, sbatch fails, or redis fails.
    static func submitSlurm(
        _ plan: PlanFile, cluster: Cluster, clusterFile: String?, resolver: RedisResolver, check: Bool,
        logger: Logger
    ) async throws -> HandOff {
        let (_, endpoint) = try await checkSlurmSubmission(
            plan, cluster: cluster, clusterFile: clusterFile, resolver: resolver, check: check, logger: logger)
        let namespace = plan.namespace
        let queue = SlurmQueue()
        let id: String
        do {
            id = try await queue.submit(script: plan.directory + "/slurm/submit.sh")
        } catch {
            throw CommandFailure(status: 1, "\(error)")
        }
        let handOff = HandOff(target: .slurm, submitted: UTCTime.now(), planDirectory: plan.directory, ids: [id])
        try await handOff.record(
            endpoint: endpoint, namespace: namespace, submitted: "SLURM job \(id) was submitted",
            undo: "Cancel it with scancel \(id) if it should not run.")
        return handOff
    }

    /// Records this SLURM hand-off in redis, or fails saying what was `submitted` already and how to `undo` it.
    /// - Throws: ``CommandFailure`` (exit 1) when redis fails.
    func record(endpoint: RedisEndpoint, namespace: String, submitted: String, undo: String) async throws {
        let handOff = self
        do {
            try await DedicatedThread.run { () throws(StoreError) in
                try JobStore(endpoint: endpoint, namespace: namespace).recordHandOff(handOff)
            }
        } catch {
            throw CommandFailure(
                status: 1,
                "\(submitted), but the hand-off could not be recorded in redis: \(error.message) \(undo)")
        }
    }

    /// What every SLURM submission checks first: the cluster file is the plan's, redis holds the plan's graph, and
    /// (unless `check` is false) redis answers from a node as the job lines reach it.
    /// - Returns: The cluster file's `slurm:` section and the redis the hand-off is recorded in.
    /// - Throws: ``InputError`` (exit 2) for a plan that does not fit the cluster file or the graph in redis;
    ///   ``CommandFailure`` (exit 1) when redis does not answer from the node or cannot be read.
    static func checkSlurmSubmission(
        _ plan: PlanFile, cluster: Cluster, clusterFile: String?, resolver: RedisResolver, check: Bool,
        logger: Logger
    ) async throws -> (Cluster.Slurm, RedisEndpoint) {
        guard let slurm = cluster.slurm, let clusterFile else {
            throw InputError(
                .missingKey, "a SLURM plan is submitted with the cluster file it was planned with.",
                fix: "Pass --cluster FILE (the file with the slurm: section).", subject: "--cluster")
        }
        guard cluster.fingerprint == plan.clusterHash else {
            throw InputError(
                .invalidValue,
                "the cluster file is not the one the plan was written with (cluster_hash differs).",
                fix: "Plan again with this file (clustmake plan … --target slurm -o \(plan.directory)), or give the "
                    + "file the plan was made with.", file: clusterFile)
        }
        let target = try await resolver.resolve(embedded: .start)
        let namespace = plan.namespace
        let endpoint = target.endpoint
        let metadata: RunMetadata
        do {
            metadata = try await DedicatedThread.run { () throws(StoreError) -> RunMetadata in
                try JobStore(endpoint: endpoint, namespace: namespace).metadata()
            }
        } catch  where error.code == .unknownNamespace {
            throw InputError(
                .invalidValue, "redis at \(endpoint) holds no graph of namespace '\(namespace)'.",
                fix: "Push the graph the plan was made from (clustmake push JOBS --namespace \(namespace)), then "
                    + "submit again.", file: plan.path)
        } catch {
            throw CommandFailure(status: 1, "cannot read namespace '\(namespace)': \(error.message)")
        }
        guard metadata.fingerprint == plan.graphHash else {
            throw InputError(
                .invalidValue,
                "redis holds another graph in namespace '\(namespace)' than the one the plan was made from "
                    + "(graph_hash differs).",
                fix: "Push the plan's graph (clustmake push JOBS --namespace \(namespace)), or plan again.",
                file: plan.path)
        }
        let queue = SlurmQueue()
        try await refuseLiveHandOff(namespace: namespace, endpoint: endpoint, clusterFile: clusterFile, queue: queue)
        if check {
            try await probe(
                slurm: slurm, host: cluster.hosts[0], target: target, resolver: resolver, queue: queue)
            logger.info("redis answers from a node")
        }
        return (slurm, endpoint)
    }

    /// Refuses a second hand-off of a namespace whose earlier one still goes on: one to cron or at, or SLURM jobs
    /// still in the queue (one `squeue` call). A SLURM hand-off whose jobs have left the queue may be submitted
    /// again.
    /// - Throws: ``CommandFailure`` (exit 1) naming the earlier hand-off and `clustmake cancel`.
    private static func refuseLiveHandOff(
        namespace: String, endpoint: RedisEndpoint, clusterFile: String, queue: SlurmQueue
    ) async throws {
        let earlier = try await SubmitCommand.withStore(endpoint, namespace) { store throws(StoreError) in
            try store.handOff()
        }
        guard let earlier else { return }
        var still = ""
        if earlier.target == .slurm || earlier.target == .slurmJobs {
            do {
                let queued = try await queue.entries(ids: earlier.ids)
                if queued.isEmpty { return }
                still = ", still in the queue: " + queued.map { "\($0.id) \($0.state)" }.joined(separator: ", ")
            } catch {
                still = ", whose queue cannot be read (\(error))"
            }
        }
        let cancel = ShellQuote.join(["clustmake", "cancel", "--namespace", namespace, "--cluster", clusterFile])
        throw CommandFailure(
            status: 1,
            "namespace '\(namespace)' is already handed off to \(earlier.target.rawValue) "
                + "(\(SubmitCommand.describe(earlier))\(still)); nothing was submitted. Undo it first: \(cancel)")
    }

    /// Runs the worker on one node with `srun`, against a namespace that does not exist, as the job lines run it
    /// (through the tunnel when there is one): exit status 120 means it reached redis and logged in.
    private static func probe(
        slurm: Cluster.Slurm, host: Host, target: RedisResolver.Target, resolver: RedisResolver, queue: SlurmQueue
    ) async throws {
        let probeNamespace = "clustmake-probe-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        var address = target.address
        var tunnel: (login: String, port: Int)?
        switch slurm.redis {
        case .fromNodes(let url): address = try RedisAddress(parsing: url)
        case .tunnel(let login, let base):
            tunnel = (login, base)
            address = .tcp(host: "localhost", port: base, database: target.address.database)
        }
        // As the node scripts' lines do: the password file, read on the node, is the worker's standard input.
        let passwordFile = try resolver.nodePasswordFile(target)
        let settings = WorkerSettings(
            namespace: probeNamespace, redis: address, waitSeconds: 0, redisUser: target.endpoint.username)
        var line = JobLine(
            jobIDs: ["probe"], nice: host.nice, host: host, instance: 0, settings: settings,
            passwordOnStdin: passwordFile != nil
        ).argv
        line.insert("--redis_retry=5", at: 4)
        let probe = ShellQuote.join(line) + (passwordFile.map { " <" + ShellQuote.quote($0) } ?? "")
        var command = ["sh", "-c", probe]
        if let tunnel {
            let socket = "${TMPDIR:-/tmp}/clustmake-probe-$$"
            command = [
                "sh", "-c",
                "s=\(socket); ssh -f -N -M -S \"$s\" -o BatchMode=yes -o ExitOnForwardFailure=yes "
                    + "-o ConnectTimeout=10 -L \(tunnel.port):\(ShellQuote.quote(target.address.tunnelTarget)) "
                    + "\(ShellQuote.quote(tunnel.login)) || exit 1; \(probe); r=$?; "
                    + "ssh -S \"$s\" -O exit \(ShellQuote.quote(tunnel.login)) 2>/dev/null; exit $r",
            ]
        }
        // --immediate: a queue too busy to start the probe within a minute refuses it instead of blocking.
        var options = ["--job-name=clustmake-probe", "--time=1", "--immediate=60"]
        if let partition = slurm.partition { options.append("--partition=\(partition)") }
        if let account = slurm.account { options.append("--account=\(account)") }
        if let qos = slurm.qos { options.append("--qos=\(qos)") }
        if let constraint = slurm.constraint { options.append("--constraint=\(constraint)") }
        let result: (status: Int32?, output: String)
        do {
            result = try await queue.probe(options: options, command: command)
        } catch {
            throw CommandFailure(status: 1, "cannot check redis from a node: \(error)")
        }
        guard result.status == WorkerExitStatus.unknownJob else {
            let reason = result.status.map { "exit status \($0)" } ?? "no answer in time"
            throw CommandFailure(
                status: 1,
                "nothing was submitted: redis does not answer from a node as the job lines reach it (\(reason)): "
                    + "\(result.output.isEmpty ? "no output" : result.output). Fix the cluster file's slurm: redis "
                    + "(docs/cluster.md) or the worker path, or submit with --no-check to skip this check.")
        }
    }

    /// The queue's state of a SLURM hand-off's jobs, a line each (`  SLURM job 42: PENDING (Resources)`), from what
    /// one `squeue -j` call said (`entries`, or the `error` it failed with): what `clustmake status` shows under its
    /// "handed off" line.
    static func queueLines(_ handOff: HandOff, entries: [SlurmQueue.Entry]?, error: String?) -> [String] {
        guard let entries else {
            return ["  SLURM jobs \(handOff.ids.joined(separator: " ")): the queue cannot be read: \(error ?? "")"]
        }
        return handOff.ids.map { id in
            let state: String
            if let entry = entries.first(where: { $0.id == id }) {
                state =
                    entry.state == "PENDING"
                    ? "PENDING (\(entry.reason))" : "\(entry.state)\(entry.nodes.isEmpty ? "" : " on \(entry.nodes)")"
            } else {
                state = "not in the queue (ended)"
            }
            return "  SLURM job \(id): \(state)"
        }
    }
}
