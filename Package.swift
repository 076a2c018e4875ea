// swift-tools-version:6.2
import PackageDescription

/// Settings shared by every Swift target (applied in the loop at the end).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "clustmake",
    products: [
        .executable(name: "clustmake", targets: ["clustmake"]),
        .executable(name: "compmake", targets: ["compmake"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // C bridges: only ClustmakeJSON imports CJansson, only ClustmakeRedis imports CHiredis.
        .systemLibrary(
            name: "CHiredis", pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"]), .brew(["hiredis"])]),
        .systemLibrary(
            name: "CJansson", pkgConfig: "jansson",
            providers: [.apt(["libjansson-dev"]), .brew(["jansson"])]),

        // The layers are docs/architecture.md's; ClustmakeArchitectureTests checks this manifest and the imports
        // against it. The model: values every layer shares; imports nothing.
        .target(name: "ClustmakeModel"),

        // Wrappers.
        .target(name: "ClustmakeJSON", dependencies: ["CJansson", "ClustmakeModel"]),
        .target(name: "ClustmakeRedis", dependencies: ["CHiredis", "ClustmakeModel"]),

        // Pure core.
        .target(name: "ClustmakePlanner", dependencies: ["ClustmakeModel"]),
        .target(name: "ClustmakeScheduler", dependencies: ["ClustmakeModel", "ClustmakePlanner"]),
        .target(
            name: "ClustmakeScripts",
            dependencies: [
                "ClustmakeModel", "ClustmakePlanner", "ClustmakeJSON",
                .product(name: "Mustache", package: "swift-mustache"),
            ]),

        .target(name: "ClustmakeCollector", dependencies: ["ClustmakeModel", "ClustmakeJSON"]),

        // Edges.
        .target(name: "ClustmakeSystem", dependencies: ["ClustmakeModel", "ClustmakeJSON"]),
        .target(
            name: "ClustmakeInput",
            dependencies: [
                "ClustmakeModel", "ClustmakeJSON", "ClustmakeScripts", "ClustmakeSystem",
                .product(name: "Yams", package: "Yams"),
            ]),

        .target(
            name: "ClustmakeStore",
            dependencies: ["ClustmakeModel", "ClustmakeRedis", "ClustmakeJSON", "ClustmakeSystem"]),
        .target(
            name: "ClustmakeWorker",
            dependencies: ["ClustmakeModel", "ClustmakeStore", "ClustmakeRedis", "ClustmakeSystem"]),

        .target(
            name: "ClustmakeHosts",
            dependencies: [
                "ClustmakeModel", "ClustmakeRedis", "ClustmakeScripts", "ClustmakeSystem",
            ]),
        .target(
            name: "ClustmakeDispatch",
            dependencies: [
                "ClustmakeModel", "ClustmakePlanner", "ClustmakeScheduler", "ClustmakeScripts", "ClustmakeStore",
                "ClustmakeRedis", "ClustmakeJSON", "ClustmakeSystem",
            ]),

        // Commands and executables.
        .target(
            name: "ClustmakeCommands",
            dependencies: [
                "ClustmakeSystem", "ClustmakeModel", "ClustmakeInput", "ClustmakePlanner", "ClustmakeScripts",
                "ClustmakeJSON", "ClustmakeRedis", "ClustmakeStore", "ClustmakeCollector",
                "ClustmakeScheduler", "ClustmakeHosts", "ClustmakeDispatch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(name: "clustmake", dependencies: ["ClustmakeCommands"]),
        .executableTarget(name: "compmake", dependencies: ["ClustmakeWorker"]),

        // Test support: real servers started by the tests (not a product).
        .target(
            name: "ClustmakeTestSupport",
            dependencies: ["ClustmakeRedis", "ClustmakeStore", "ClustmakeModel", "ClustmakeSystem"]),

        .testTarget(
            name: "ClustmakeJSONTests",
            dependencies: ["ClustmakeJSON", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ClustmakeRedisTests", dependencies: ["ClustmakeRedis", "ClustmakeTestSupport"]),
        .testTarget(
            name: "ClustmakeModelTests",
            dependencies: ["ClustmakeModel", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(
            name: "ClustmakeInputTests", dependencies: ["ClustmakeInput", "ClustmakeModel"], exclude: ["Fixtures"]),
        .testTarget(
            name: "ClustmakePlannerTests",
            dependencies: [
                "ClustmakePlanner", "ClustmakeModel",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "ClustmakeScriptsTests",
            dependencies: [
                "ClustmakeScripts", "ClustmakePlanner", "ClustmakeModel", "ClustmakeJSON", "ClustmakeTestSupport",
                "ClustmakeSystem", "ClustmakeInput", "ClustmakeCommands",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            exclude: ["Snapshots"]),
        .testTarget(
            name: "ClustmakeStoreTests",
            dependencies: [
                "ClustmakeStore", "ClustmakeModel", "ClustmakeRedis", "ClustmakeSystem", "ClustmakeTestSupport",
            ]),
        .testTarget(
            name: "ClustmakeWorkerTests",
            dependencies: [
                "ClustmakeWorker", "ClustmakeStore", "ClustmakeModel", "ClustmakeRedis", "ClustmakeTestSupport",
                "ClustmakeSystem",
            ]),
        .testTarget(
            name: "ClustmakeCollectorTests",
            dependencies: [
                "ClustmakeCollector", "ClustmakeStore", "ClustmakeModel", "ClustmakeRedis", "ClustmakeJSON",
                "ClustmakeTestSupport",
            ]),
        .testTarget(
            name: "ClustmakeSchedulerTests",
            dependencies: [
                "ClustmakeScheduler", "ClustmakeModel", "ClustmakePlanner",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "ClustmakeHostsTests",
            dependencies: ["ClustmakeHosts", "ClustmakeModel", "ClustmakeRedis"]),
        .testTarget(
            name: "ClustmakeDispatchTests",
            dependencies: [
                "ClustmakeDispatch", "ClustmakeScheduler", "ClustmakePlanner", "ClustmakeModel", "ClustmakeSystem",
            ]),
        .testTarget(
            name: "ClustmakeIntegrationTests",
            dependencies: [
                "ClustmakeRedis", "ClustmakeTestSupport", "ClustmakeStore", "ClustmakeModel",
                "ClustmakeHosts", "ClustmakeJSON", "ClustmakeSystem",
            ]),
        .testTarget(
            name: "ClustmakeHandoffTests",
            dependencies: [
                "ClustmakeTestSupport", "ClustmakeStore", "ClustmakeModel", "ClustmakeRedis", "ClustmakeScripts",
                "ClustmakeSystem", "ClustmakeJSON",
            ]),
        .testTarget(name: "ClustmakeArchitectureTests"),
        .testTarget(name: "ClustmakeSystemTests", dependencies: ["ClustmakeSystem", "ClustmakeModel"]),
        .testTarget(
            name: "ClustmakeCommandsTests",
            dependencies: [
                "ClustmakeCollector", "ClustmakeCommands", "ClustmakeJSON", "ClustmakeModel", "ClustmakeRedis",
                "ClustmakeStore", "ClustmakeScripts", "ClustmakeSystem", "ClustmakeTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Snapshots"]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
