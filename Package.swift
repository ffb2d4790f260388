// swift-tools-version:6.1
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

/// The release link's symbol-ordering file (`sluice`'s linker settings), by absolute path: the
/// linker's working directory is not the package's.
let symbolOrderingFile = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast()
    .joined(separator: "/") + "/Sources/sluice/sluice.order"

let package = Package(
    name: "sluice",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        .library(name: "GitSource", targets: ["GitSource"]),
        .library(name: "LocalCluster", targets: ["LocalCluster"]),
        .library(name: "KubeModel", targets: ["KubeModel"]),
        .library(name: "KubeClient", targets: ["KubeClient"]),
        .library(name: "Manifests", targets: ["Manifests"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "SyncEngine", targets: ["SyncEngine"]),
        .library(name: "Delivery", targets: ["Delivery"]),
        .library(name: "Agent", targets: ["Agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.25.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .systemLibrary(
            name: "CLibCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // glibc's mallopt and malloc_trim, for the agent's allocator settings (MallocTuning).
        .systemLibrary(name: "CMalloc"),
        .target(
            name: "ProcessSpawn",
            swiftSettings: swift6
        ),
        .target(
            name: "Curl",
            dependencies: ["CLibCurl"],
            swiftSettings: swift6
        ),
        .target(
            name: "KubeModel",
            dependencies: [
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "KubeYAML",
            dependencies: [
                "KubeModel",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "Manifests",
            dependencies: [
                "KubeModel",
                "KubeYAML",
                "ProcessSpawn",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "KubeClient",
            dependencies: [
                "KubeModel",
                "KubeYAML",
                "Curl",
                "ProcessSpawn",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "Ledger",
            dependencies: [
                "KubeModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "SyncEngine",
            dependencies: [
                "KubeModel",
                "Manifests",
                "KubeClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "Delivery",
            dependencies: [
                "KubeModel",
                "Manifests",
                "KubeClient",
                "GitSource",
                "Ledger",
                "SyncEngine",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "Agent",
            dependencies: [
                "Delivery",
                "SyncEngine",
                "GitSource",
                "KubeClient",
                "KubeModel",
                "Ledger",
                "Manifests",
                "CMalloc",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "GitSource",
            dependencies: [
                "CLibGit2",
                "Curl",
                "ProcessSpawn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "LocalCluster",
            dependencies: [
                "KubeModel",
                "KubeYAML",
                "ProcessSpawn",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swift6
        ),
        .executableTarget(
            name: "sluice",
            dependencies: [
                "Curl",
                "GitSource",
                "LocalCluster",
                "KubeModel",
                "KubeClient",
                "Manifests",
                "Ledger",
                "SyncEngine",
                "Delivery",
                "Agent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["sluice.order"],
            swiftSettings: swift6,
            // The release binary's resident set (issue 18, Docs/agent.md "What it costs"): lld, whose
            // packed relative relocations (DT_RELR, glibc 2.36+) replace 3.3 MB of .rela.dyn read at
            // every start, and no dynamic export of the binary's 375,000 symbols (the toolchain's
            // static-stdlib-args.lnk asks for -export-dynamic; nothing looks them up with dlsym).
            // sluice.order puts the functions the agent runs first and together, so that the pages
            // the kernel maps around each fault hold code that runs (scripts/bench/symbol-order
            // writes it); names it lacks or no longer matches cost memory, never correctness.
            linkerSettings: [
                .unsafeFlags(
                    ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic",
                     "-Xlinker", "--symbol-ordering-file=\(symbolOrderingFile)", "-Xlinker", "--no-warn-symbol-ordering"],
                    .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        .executableTarget(
            name: "SluiceBench",
            dependencies: [
                "GitSource", "LocalCluster", "KubeModel", "KubeClient", "Ledger", "Manifests", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swift6
        ),
        .target(
            name: "TestSupport",
            dependencies: ["ProcessSpawn"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "TestSupportTests",
            dependencies: ["TestSupport"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "GitSourceTests",
            dependencies: [
                "GitSource", "LocalCluster", "KubeModel", "KubeClient", "Manifests", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "CurlTests",
            dependencies: ["Curl", "TestSupport"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "KubeModelTests",
            dependencies: ["KubeModel"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "ServerSideApplyTests",
            dependencies: ["KubeModel"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "LocalClusterTests",
            dependencies: ["LocalCluster", "KubeModel", "KubeYAML", "Manifests", "TestSupport"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "ManifestsTests",
            dependencies: ["Manifests", "KubeModel", "TestSupport"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "KubeClientTests",
            dependencies: ["KubeClient", "LocalCluster", "KubeModel", "TestSupport"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["Ledger", "KubeModel", "TestSupport"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "SyncEngineTests",
            dependencies: ["SyncEngine", "Delivery", "Manifests", "KubeModel", "KubeClient", "Ledger", "GitSource", "LocalCluster", "TestSupport"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: [
                "Agent", "Delivery", "GitSource", "KubeClient", "KubeModel", "Ledger", "LocalCluster", "SyncEngine", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "SluiceCLITests",
            dependencies: ["sluice", "Ledger", "KubeModel", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swift6
        ),
    ]
)
