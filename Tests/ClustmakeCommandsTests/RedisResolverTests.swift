import ArgumentParser
import ClustmakeModel
import ClustmakeRedis
import ClustmakeScripts
import Foundation
import Testing

@testable import ClustmakeCommands

/// The one rule for where redis is (docs/hosts.md, "Where redis is"), without servers.
@Suite struct RedisResolverTests {
    /// Two 0600 password files in a new directory.
    final class Passwords {
        let directory: String
        let option: String
        let cluster: String

        init() throws {
            directory = NSTemporaryDirectory() + "clustmake-resolver-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            option = directory + "/option-password"
            cluster = directory + "/cluster-password"
            for (path, password) in [(option, "from-option-file"), (cluster, "from-cluster-file")] {
                try (password + "\n").write(toFile: path, atomically: true, encoding: .utf8)
                chmod(path, 0o600)
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// An environment with `REDISCLI_AUTH` set, of the test's own (setenv would reach the other tests).
    static let environment: @Sendable (String) -> String? = { name in
        name == RedisOptions.passwordVariable ? "from-env" : nil
    }
    static let noEnvironment: @Sendable (String) -> String? = { _ in nil }

    static func resolver(
        url: String? = nil, passwordFile: String? = nil, clusterURL: String? = nil, clusterPasswordFile: String? = nil,
        environment: @escaping (String) -> String? = RedisResolverTests.environment
    ) -> RedisResolver {
        RedisResolver(
            url: url, passwordFile: passwordFile,
            cluster: Cluster.Redis(url: clusterURL, passwordFile: clusterPasswordFile), clusterFile: "cluster.yaml",
            environment: environment)
    }

    @Test("the address comes from --redis, else the cluster file, else a lone password file, else the embedded redis")
    func addressPrecedence() {
        #expect(Self.resolver(url: "h:1", passwordFile: "p", clusterURL: "c:2").source == .option)
        #expect(Self.resolver(passwordFile: "p", clusterURL: "c:2").source == .clusterFile)
        #expect(Self.resolver(clusterURL: "c:2", clusterPasswordFile: "p").source == .clusterFile)
        #expect(Self.resolver(passwordFile: "p").source == .passwordOnly)
        #expect(Self.resolver(clusterPasswordFile: "p").source == .embedded)
        #expect(Self.resolver().source == .embedded)
    }

    @Test("the configured endpoint is --redis, else the cluster file's url, else localhost:6379")
    func configuredAddress() throws {
        let options = try Self.resolver(url: "redis://h:1/0", clusterURL: "redis://c:2/0").configuredEndpoint()
        #expect(options.description.contains("h:1"))
        let cluster = try Self.resolver(clusterURL: "redis://c:2/0").configuredEndpoint()
        #expect(cluster.description.contains("c:2"))
        let fallback = try Self.resolver(environment: Self.noEnvironment).configuredEndpoint()
        #expect(fallback == (try RedisEndpoint(parsing: "localhost:6379")))
    }

    @Test(
        "the password is the first of --redis-password-file, --redis's, the cluster's file, the cluster url's, REDISCLI_AUTH"
    )
    func passwordPrecedence() throws {
        let files = try Passwords()
        func password(_ resolver: RedisResolver) throws -> String? { try resolver.configuredEndpoint().password }
        // 1. --redis-password-file, over everything below it.
        #expect(
            try password(
                Self.resolver(
                    url: "redis://h:1", passwordFile: files.option, clusterURL: "redis://:c@c:2",
                    clusterPasswordFile: files.cluster)) == "from-option-file")
        // 2. A password in --redis, over the cluster file's password_file (plan used to prefer the file).
        #expect(
            try password(Self.resolver(url: "redis://:inline@h:1", clusterPasswordFile: files.cluster)) == "inline")
        // 3. The cluster file's password_file, over its url's password and REDISCLI_AUTH; also for --redis.
        #expect(
            try password(Self.resolver(clusterURL: "redis://:c@c:2", clusterPasswordFile: files.cluster))
                == "from-cluster-file")
        #expect(
            try password(Self.resolver(url: "redis://h:1", clusterPasswordFile: files.cluster)) == "from-cluster-file")
        // 4. A password in the cluster file's url, over REDISCLI_AUTH.
        #expect(try password(Self.resolver(clusterURL: "redis://:c@c:2")) == "c")
        // 5. REDISCLI_AUTH.
        #expect(try password(Self.resolver(url: "redis://h:1")) == "from-env")
        #expect(try password(Self.resolver(url: "redis://h:1", environment: Self.noEnvironment)) == nil)
        // A lone password file: localhost:6379 with that password.
        let lone = try Self.resolver(passwordFile: files.option).configuredEndpoint()
        #expect(lone == (try RedisEndpoint(parsing: "localhost:6379")).withPassword("from-option-file"))
    }

    @Test("the file a password came from is kept, absolute, for a plan's job lines; a URL's password has none")
    func passwordFileForJobLines() throws {
        let files = try Passwords()
        // A relative path (from the working directory, whatever it is) comes back absolute: the scripts may run
        // from elsewhere.
        let relative = String(repeating: "../", count: 64) + files.option.drop { $0 == "/" }
        let option = try Self.resolver(url: "redis://h:1", passwordFile: relative).configuredLogin()
        #expect(option.passwordFile?.hasPrefix("/") == true && option.passwordFile?.hasSuffix(relative) == true)
        #expect(option.endpoint.password == "from-option-file")
        let cluster = try Self.resolver(url: "redis://h:1", clusterPasswordFile: files.cluster).configuredLogin()
        #expect(cluster.passwordFile == files.cluster)
        #expect(try Self.resolver(url: "redis://:inline@h:1").configuredLogin().passwordFile == nil)
        #expect(try Self.resolver(url: "redis://h:1").configuredLogin().passwordFile == nil, "REDISCLI_AUTH")
    }

    @Test("a password in --redis and --redis-password-file together is bad input naming the option")
    func conflictingPasswords() throws {
        let files = try Passwords()
        let error = #expect(throws: InputError.self) {
            try Self.resolver(url: "redis://:x@h:1", passwordFile: files.option).configuredEndpoint()
        }
        #expect(error?.subject == "--redis-password-file")
        // A password in the cluster file's url is no conflict: the option's file wins.
        #expect(
            try Self.resolver(passwordFile: files.option, clusterURL: "redis://:c@c:2").configuredEndpoint().password
                == "from-option-file")
    }

    @Test("a bad address names --redis, or the cluster file and its redis url")
    func badAddress() {
        let option = #expect(throws: InputError.self) { try Self.resolver(url: "http://h").configuredEndpoint() }
        #expect(option?.subject == "--redis")
        #expect(option?.file == nil)
        let cluster = #expect(throws: InputError.self) {
            try Self.resolver(clusterURL: "http://h").configuredEndpoint()
        }
        #expect(cluster?.subject == "redis url")
        #expect(cluster?.file == "cluster.yaml")
    }

    @Test("locating names --redis, else the cluster file's url, else the embedded redis, which it does not start")
    func locate() async throws {
        let option = try await Self.resolver(url: "redis://h:1", clusterURL: "c:2").resolve(embedded: .locate)
        #expect(option.address == .tcp(host: "h", port: 1) && !option.isEmbedded)
        let cluster = try await Self.resolver(clusterURL: "unix:///r.sock").resolve(embedded: .locate)
        #expect(cluster.address == .unix(path: "/r.sock") && cluster.embeddedStateDirectory == nil)
        let embedded = try await Self.resolver(environment: Self.noEnvironment).resolve(embedded: .locate)
        guard case .unix(let socket) = embedded.address.address else {
            Issue.record("the embedded redis is on a unix socket, not \(embedded.address)")
            return
        }
        let state = try #require(embedded.embeddedStateDirectory)
        #expect(state.hasPrefix("/") && state.hasSuffix("/.clustmake"))
        #expect(embedded.embeddedPasswordFile == state + "/redis/password")
        #expect(socket == state + "/redis/redis.sock" || socket.hasPrefix("/tmp/clustmake-redis-"))
        #expect(embedded.endpoint.password == nil, "nothing is read or started to locate it")
    }

    @Test("an explicit address resolves without the embedded redis, whatever the command does with it")
    func explicitTarget() async throws {
        let files = try Passwords()
        for use in [RedisResolver.EmbeddedUse.start, .ifPresent] {
            let target = try await Self.resolver(url: "redis://h:1", environment: Self.noEnvironment)
                .resolve(embedded: use)
            #expect(target.source == .option)
            #expect(!target.isEmbedded)
            #expect(target.address == .tcp(host: "h", port: 1))
            #expect(target.endpoint == (try RedisEndpoint(parsing: "redis://h:1")))
            let lone = try await Self.resolver(passwordFile: files.option).resolve(embedded: use)
            #expect(lone.source == .passwordOnly)
            #expect(lone.address == .default)
            #expect(lone.endpoint.password == "from-option-file")
        }
    }

    @Test("RedisOptions.endpoint is the resolver's configured endpoint, with a cluster file's settings as defaults")
    func optionsUseTheResolver() throws {
        let files = try Passwords()
        let options = try RedisOptions.parse(["--redis", "redis://:inline@h:1"])
        #expect(
            try options.endpoint(default: nil, defaultPasswordFile: files.cluster, environment: Self.environment)
                .password == "inline")
        #expect(
            try RedisOptions.parse([]).endpoint(
                default: "redis://c:2", defaultPasswordFile: files.cluster, environment: Self.environment
            ).password == "from-cluster-file")
    }
}
