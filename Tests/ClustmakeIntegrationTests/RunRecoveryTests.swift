import ClustmakeModel
import ClustmakeStore
import ClustmakeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `clustmake run` recovering: retried jobs, --halt-on-failure, a master connection that breaks while its host
/// stays up, a host that dies under the default lease, and a host whose sshd drops connections beyond
/// `MaxStartups`.
@Suite struct RunRecoveryTests {
    @Test("a job with retries fails once and then succeeds; one that keeps failing fails after its retries")
    func retries() throws {
        let fixture = try RunFixture(hosts: 2)
        // The test user writes its marker here (every host sees this machine's files).
        let markers = fixture.directory + "/markers"
        try FileManager.default.createDirectory(atPath: markers, withIntermediateDirectories: true)
        chmod(markers, 0o777)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: flaky, retries: 2, command: "test -e \(markers)/flaky || { touch \(markers)/flaky; exit 4; }"}
              - {id: after-flaky, command: "true", deps: [flaky]}
              - {id: broken, retries: 1, command: "echo still broken >&2; exit 5"}
              - {id: after-broken, command: "true", deps: [broken]}
            """)
        let result = try fixture.run(
            [
                "run", graph, "--cluster", try fixture.clusterFile(), "--redis", fixture.redisURL, "--namespace",
                fixture.ns("retries"),
            ])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("flaky failed on"), "\(result.stderr)")
        #expect(result.stderr.contains("(trying again)"))
        #expect(result.stdout.contains("failed: broken on h"))
        #expect(result.stdout.contains("stderr: still broken"))
        let store = try fixture.store("retries")
        #expect(
            try store.states() == ["flaky": .done, "after-flaky": .done, "broken": .failed, "after-broken": .blocked])
        #expect(try store.attempts(of: "flaky").map(\.state) == [.failed, .succeeded])
        #expect(try store.attempts(of: "broken").map(\.state) == [.failed, .failed], "retried once, then failed")
        #expect(try store.attempts(of: "after-broken").isEmpty)
    }

    @Test("a job past its timeout is killed on its host and recorded timed out; its dependent is blocked")
    func timeout() throws {
        let fixture = try RunFixture(hosts: 1)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: endless, command: "echo started; exec sleep infinity", timeout: 1}
              - {id: after, command: "true", deps: [endless]}
            """)
        let started = ContinuousClock.now
        let result = try fixture.run(
            [
                "run", graph, "--cluster", try fixture.clusterFile(), "--redis", fixture.redisURL, "--namespace",
                fixture.ns("timeout"),
            ])
        #expect(ContinuousClock.now - started < .seconds(30), "the endless job was not stopped")
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("failed: endless on h1"), "\(result.stdout)")
        #expect(result.stdout.contains("timed out"), "\(result.stdout)")
        let store = try fixture.store("timeout")
        #expect(try store.states() == ["endless": .failed, "after": .blocked])
        let attempt = try #require(try store.attempts(of: "endless").first)
        #expect(attempt.fields["timed_out"] == "1", "\(attempt.fields)")
        #expect(attempt.reason?.hasPrefix("timed out after 1 s") == true, "\(attempt.fields)")
        // Nothing of it is left on the host.
        let gone = try fixture.waitUntil(.seconds(10)) { try fixture.processes(on: "h1", named: "sleep").isEmpty }
        #expect(gone, "the job's sleep still runs on h1")
    }

    @Test("--halt-on-failure: nothing starts after a failure, the running job ends, the rest stays not started")
    func haltOnFailure() throws {
        let fixture = try RunFixture(hosts: 1)
        var text = """
            jobs:
              - {id: bad, command: "exit 3", cost: 100}
              - {id: slow, command: "sleep 2", cost: 90}

            """
        for index in 0..<6 { text += "  - {id: rest\(index), command: \"true\", cost: 1}\n" }
        let graph = try fixture.graphFile(text)
        let result = try fixture.run(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 2), "--redis", fixture.redisURL,
                "--namespace", fixture.ns("halt"), "--halt-on-failure", "--bundle", "off",
            ])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("halted after a failure (--halt-on-failure)"), "\(result.stdout)")
        let store = try fixture.store("halt")
        let states = try store.states()
        #expect(states["bad"] == .failed)
        #expect(states["slow"] == .done, "the line running when bad failed was left to end")
        for index in 0..<6 {
            #expect(
                states["rest\(index)"] == .notStarted, "rest\(index) is \(String(describing: states["rest\(index)"]))")
            #expect(try store.attempts(of: "rest\(index)").isEmpty)
        }
    }

    @Test(
        "a master connection killed while its host stays up: its jobs run again, a probe reconnects, the host works on")
    func masterBroken() throws {
        let fixture = try RunFixture(hosts: 2)
        let graph = try fixture.graphFile(RunFailureTests.sleepers(16, seconds: 1))
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(), "--redis", fixture.redisURL, "--namespace",
                fixture.ns("master"), "--bundle", "off",
            ])
        let store = try fixture.store("master")
        let busy = try fixture.waitUntil(.seconds(30)) {
            let states = (try? store.states()) ?? [:]
            return states.keys.contains { id in
                states[id] == .inProgress && (try? store.status(of: id))?.host == "h1"
            }
        }
        try #require(busy, "no job started on h1")
        let masters = Self.children(of: run.pid).filter { pid in
            let words = Self.commandLine(pid)
            return words.contains("ControlMaster=yes") && words.last == "h1"
        }
        try #require(masters.count == 1, "the run's master for h1: \(masters)")
        kill(masters[0], SIGKILL)
        let result = try run.wait(timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        #expect(result.stderr.contains("host h1 failed"), "\(result.stderr.suffix(3000))")
        #expect(result.stderr.contains("host h1 answers again"), "\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        // h1 ran jobs again after it came back.
        let restoredAt = try #require(
            result.stderr.split(separator: "\n").first { $0.contains("host h1 answers again") })
        #expect(!restoredAt.isEmpty)
        let succeededOnH1 = record.attempts.values.flatMap { $0 }.filter { $0.host == "h1" && $0.state == .succeeded }
        let brokenOnH1 = record.attempts.values.flatMap { $0 }.filter { $0.host == "h1" && $0.state != .succeeded }
        #expect(!brokenOnH1.isEmpty, "the jobs the broken master carried ended without success")
        let lastBroken = brokenOnH1.compactMap { $0.fields["start_seq"].flatMap(Int.init) }.max() ?? 0
        #expect(
            succeededOnH1.contains { ($0.fields["start_seq"].flatMap(Int.init) ?? 0) > lastBroken },
            "h1 was used again after the probe")
    }

    @Test("a job whose worker dies on every host it tries fails after --max-host-losses hosts; the rest is done")
    func tooManyHostsLost() throws {
        let fixture = try RunFixture(hosts: 3)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: killer, command: "kill -KILL $PPID; sleep 5"}
              - {id: after-killer, command: "true", deps: [killer]}
              - {id: fine, command: "sleep 0.5"}
              - {id: after-fine, command: "true", deps: [fine]}
            """)
        let result = try fixture.run(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", fixture.redisURL,
                "--namespace", fixture.ns("losses"), "--max-host-losses", "2", "--bundle", "off",
            ], timeout: .seconds(120))
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        #expect(result.stdout.contains("failed: killer"), "\(result.stdout)")
        #expect(result.stdout.contains("lost 2 hosts"), "\(result.stdout)")
        let store = try fixture.store("losses")
        #expect(
            try store.states() == ["killer": .failed, "after-killer": .blocked, "fine": .done, "after-fine": .done])
        #expect(try store.status(of: "killer").reason?.hasPrefix("lost 2 hosts") == true)
        let attempts = try store.attempts(of: "killer")
        #expect(attempts.count == 2 && Set(attempts.map(\.host)).count == 2, "\(attempts.map(\.fields))")
        #expect(attempts.allSatisfy { $0.state == .lost }, "\(attempts.map(\.fields))")
        #expect(try store.attempts(of: "after-killer").isEmpty)
    }

    @Test("every host dies: probes give up, the run stops with a clear message, and nothing is left in progress")
    func noHostLeft() throws {
        let fixture = try RunFixture(hosts: 2)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: quick, command: "true"}
              - {id: long1, command: "sleep infinity", deps: [quick]}
              - {id: long2, command: "sleep infinity", deps: [quick]}
              - {id: last, command: "true", deps: [long1, long2]}
            """)
        let run = try fixture.start(
            [
                "run", graph, "--cluster", try fixture.clusterFile(processors: 1), "--redis", fixture.redisURL,
                "--namespace", fixture.ns("nohost"), "--probe-delay", "0.2", "--bundle", "off",
            ])
        let store = try fixture.store("nohost")
        let busy = try fixture.waitUntil(.seconds(30)) {
            ((try? store.states()) ?? [:]).values.filter { $0 == .inProgress }.count == 2
        }
        try #require(busy, "the two long jobs never ran at once")
        try fixture.cluster.kill(host: "h1")
        try fixture.cluster.kill(host: "h2")
        let result = try run.wait(timeout: .seconds(90))
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        #expect(result.stdout.contains("no host is left"), "\(result.stdout)")
        let states = try store.states()
        #expect(states["quick"] == .done)
        #expect(states["long1"] == .lost && states["long2"] == .lost, "\(states)")
        #expect(states["last"] == .notStarted)
        #expect(try store.attempts(of: "last").isEmpty)
    }

    @Test("a host that dies: its job starts elsewhere at once, not when its 30 s lease expires")
    func deadHostUnderDefaultLease() throws {
        let fixture = try RunFixture(hosts: 2)
        // The worker itself, with its default lease of 30 s.
        let cluster = try fixture.cluster.writeClusterFile(
            to: fixture.directory + "/cluster-default-lease.yaml", processors: 1, worker: RunFixture.compmake)
        let graph = try fixture.graphFile(
            """
            jobs:
              - {id: a, command: "sleep 4", cost: 4}
              - {id: b, command: "sleep 4", cost: 4}
              - {id: tail, command: "true", deps: [a, b]}
            """)
        let run = try fixture.start(
            ["run", graph, "--cluster", cluster, "--redis", fixture.redisURL, "--namespace", fixture.ns("dead")])
        let store = try fixture.store("dead")
        var victim = ""
        let started = try fixture.waitUntil(.seconds(30)) {
            for id in ["a", "b"] {
                if let status = try? store.status(of: id), status.state == .inProgress, status.host == "h2" {
                    victim = id
                    return true
                }
            }
            return false
        }
        try #require(started, "no job started on h2")
        let killedAt = ContinuousClock.now
        try fixture.cluster.kill(host: "h2")
        let result = try run.wait(timeout: .seconds(120))
        let afterKill = ContinuousClock.now - killedAt
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        // Two sleeps of 4 s one after the other on h1, and the tail: far less than the lease's 30 s.
        #expect(afterKill < .seconds(20), "the run took \(afterKill) after the kill")
        let attempts = try store.attempts(of: victim)
        #expect(attempts.first?.host == "h2" && attempts.first?.state == .lost, "\(attempts.map(\.fields))")
        #expect(attempts.first?.reason?.hasPrefix("its host h2 failed") == true, "\(attempts.map(\.fields))")
        #expect(attempts.last?.host == "h1" && attempts.last?.state == .succeeded)
        let record = try RunRecord(store: store)
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
    }

    @Test("a host whose sshd drops connections beyond MaxStartups 1: its masters open one at a time, none is lost")
    func maxStartups() throws {
        let fixture = try RunFixture(hosts: 1)
        let config = try fixture.cluster.startListeningSSHD(host: "h1", settings: ["MaxStartups 1"])
        // The limit is real: while one login is pending, another connection is dropped before the key exchange.
        let pending = try Self.pendingLogin(fixture.cluster, host: "h1")
        let second = try fixture.cluster.start(["ssh", "-F", config, "-n", "h1", "true"]).wait(timeout: .seconds(30))
        pending.signal(SIGKILL)
        _ = try? pending.wait(timeout: .seconds(5))
        #expect(
            second.status == 255 && second.stderr.contains("kex_exchange_identification"),
            "\(second.status) \(second.stderr)\n\(fixture.cluster.sshdLogTail(of: "h1", lines: 60))")
        // 30 slots: three masters (10 sessions each), all to one sshd.
        let cluster = fixture.directory + "/cluster-maxstartups.yaml"
        try """
        hosts:
          h1: {host: h1, processors: 30, ssh_config: "\(config)", worker: "\(fixture.worker)"}
        """.write(toFile: cluster, atomically: true, encoding: .utf8)
        let graph = try fixture.graphFile(RunFailureTests.sleepers(45, seconds: 1))
        let result = try fixture.run(
            [
                "run", graph, "--cluster", cluster, "--redis", fixture.redisURL, "--namespace", fixture.ns("startups"),
                "--bundle", "off",
            ], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr.suffix(3000))")
        #expect(!result.stderr.contains("host h1 failed"), "\(result.stderr.suffix(3000))")
        let record = try RunRecord(store: try fixture.store("startups"))
        record.expectEveryJobDoneOnce()
        record.expectDependencyOrder()
        // Every slot ran a line, those of the second and third masters (slots 10 to 29) too.
        let slots = Set(
            result.stderr.split(separator: "\n").compactMap { line -> Int? in
                guard let range = line.range(of: " on h1 slot ") else { return nil }
                return Int(line[range.upperBound...].prefix { $0.isNumber })
            })
        #expect(slots == Set(0..<30), "\(slots.sorted())")
    }

    @Test("a login dropped because another one is pending (MaxStartups) is tried again, by the check and the run")
    func droppedLoginRetried() throws {
        let fixture = try RunFixture(hosts: 1)
        let config = try fixture.cluster.startListeningSSHD(host: "h1", settings: ["MaxStartups 1"])
        let cluster = fixture.directory + "/cluster-busy.yaml"
        try """
        hosts:
          h1: {host: h1, processors: 2, ssh_config: "\(config)", worker: "\(fixture.worker)"}
        """.write(toFile: cluster, atomically: true, encoding: .utf8)
        let graph = try fixture.graphFile(RunFailureTests.sleepers(4, seconds: 0.2))
        // With the check, the check's connection is dropped first; without it, the first master's.
        for (index, extra) in [[], ["--no-check"]].enumerated() {
            // Someone else's login that has not authenticated yet: sshd drops every other connection meanwhile.
            let pending = try Self.pendingLogin(fixture.cluster, host: "h1")
            defer {
                pending.signal(SIGKILL)
                _ = try? pending.wait(timeout: .seconds(5))
            }
            let drops = Self.count("past MaxStartups", in: fixture.cluster, host: "h1")
            let namespace = fixture.ns("busy\(index)")
            let run = try fixture.start(
                ["run", graph, "--cluster", cluster, "--redis", fixture.redisURL, "--namespace", namespace] + extra)
            // The other login ends once sshd dropped one of the run's connections (however busy this machine is).
            let dropped = try fixture.waitUntil(.seconds(60)) {
                Self.count("past MaxStartups", in: fixture.cluster, host: "h1") > drops
            }
            pending.signal(SIGKILL)
            let result = try run.wait(timeout: .seconds(90))
            #expect(dropped, "\(extra): sshd never dropped a connection of the run")
            #expect(result.status == 0, "\(extra): \(result.stdout)\n\(result.stderr.suffix(3000))")
            #expect(
                !result.stderr.contains("left out") && !result.stderr.contains("host h1 failed"),
                "\(extra): \(result.stderr)")
            let record = try RunRecord(store: try fixture.store("busy\(index)"))
            record.expectEveryJobDoneOnce()
        }
    }

    @Test("a host slow to connect joins the run when it answers; the other hosts do not wait for it")
    func slowHostJoinsLater() throws {
        let fixture = try RunFixture(hosts: 3)
        // h3 answers ssh 3 s late: its ProxyCommand sleeps first (ssh keeps the first ProxyCommand it reads).
        let original = try String(contentsOfFile: fixture.cluster.sshConfigPath, encoding: .utf8)
        let proxy = try #require(
            original.components(separatedBy: "\nHost h3\n").last?.split(separator: "\n")
                .first { $0.contains("ProxyCommand") }?.replacingOccurrences(of: "ProxyCommand", with: "")
                .trimmingCharacters(in: .whitespaces))
        let config = fixture.directory + "/ssh_config.slow"
        try "Host h3\n    ProxyCommand sh -c 'sleep 3; exec \(proxy)'\n\n\(original)".write(
            toFile: config, atomically: true, encoding: .utf8)
        var cluster = "hosts:\n"
        for host in fixture.cluster.hostNames {
            cluster +=
                "  \(host): {host: \(host), processors: 2, ssh_config: \"\(config)\", worker: \"\(fixture.worker)\"}\n"
        }
        let clusterFile = fixture.directory + "/cluster-slow.yaml"
        try cluster.write(toFile: clusterFile, atomically: true, encoding: .utf8)
        let graph = try fixture.graphFile(RunFailureTests.sleepers(24, seconds: 1))
        let result = try fixture.run(
            [
                "run", graph, "--cluster", clusterFile, "--redis", fixture.redisURL, "--namespace", fixture.ns("slow"),
                "--bundle", "off", "--no-check", "--json",
            ], timeout: .seconds(120))
        #expect(result.status == 0, "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(3000))")
        let events = result.stdout.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        func elapsed(_ event: [String: Any]) -> Double { Double(event["elapsed_ms"] as? Int ?? 0) / 1000 }
        let connected = Dictionary(
            events.filter { $0["event"] as? String == "host-connected" }.map {
                ($0["host"] as? String ?? "", elapsed($0))
            },
            uniquingKeysWith: { first, _ in first })
        let firstLine = events.first { $0["event"] as? String == "line-started" }.map(elapsed)
        let h3 = try #require(connected["h3"], "\(connected)")
        #expect(h3 >= 3, "h3 answered after its 3 s delay: \(connected)")
        #expect((connected["h1"] ?? 99) < h3 && (connected["h2"] ?? 99) < h3, "\(connected)")
        #expect((firstLine ?? 99) < h3 - 1, "jobs started \(firstLine ?? -1) s in, before h3 answered at \(h3) s")
        let record = try RunRecord(store: try fixture.store("slow"))
        record.expectEveryJobDoneOnce()
        #expect(record.hostsUsed == ["h1", "h2", "h3"], "h3 ran jobs once it joined")
    }

    /// An unauthenticated connection to `host`'s listening sshd, held open (`nc`, silent) until killed; started
    /// again while sshd drops it (a connection of its own still counts for a moment after it closed).
    static func pendingLogin(_ cluster: SSHTestCluster, host: String) throws -> SSHTestCluster.RunningCommand {
        for _ in 0..<50 {
            let connections = count("Connection from", in: cluster, host: host)
            let drops = count("past MaxStartups", in: cluster, host: host)
            let holder = try cluster.start([
                "ip", "netns", "exec", try cluster.namespace(of: host), "nc", "127.0.0.1", "22",
            ])
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                if count("past MaxStartups", in: cluster, host: host) > drops { break }
                if count("Connection from", in: cluster, host: host) > connections {
                    // Not the late log line of an earlier connection: no drop since, a moment later.
                    usleep(200_000)
                    if count("past MaxStartups", in: cluster, host: host) == drops { return holder }
                    break
                }
                usleep(20_000)
            }
            holder.signal(SIGKILL)
            _ = try? holder.wait(timeout: .seconds(5))
            usleep(100_000)
        }
        Issue.record("no connection to \(host)'s sshd stayed open")
        throw CancellationError()
    }

    /// How often `text` occurs in `host`'s sshd log.
    static func count(_ text: String, in cluster: SSHTestCluster, host: String) -> Int {
        let log = (try? String(contentsOfFile: cluster.sshdLogPath(of: host), encoding: .utf8)) ?? ""
        return log.components(separatedBy: text).count - 1
    }

    // MARK: - Processes

    /// The processes whose parent is `parent`.
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent
        }
    }

    /// A process's argument vector.
    static func commandLine(_ pid: pid_t) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}
