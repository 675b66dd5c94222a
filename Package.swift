// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "accessledger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "accessledger", targets: ["accessledger"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // libpq, imported through a thin shim header; links "pq" directly (no pkg-config needed).
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ"),
        // A small, safe Swift face over libpq.
        .target(name: "PostgresClient", dependencies: ["CLibPQ"]),
        // The domain: names, roles, events, rules and projections. Pure Swift, no I/O.
        .target(name: "AccessModel"),
        // The PostgreSQL event store, projections, migrations and the embedded cluster.
        .target(
            name: "LedgerStore",
            dependencies: [
                "PostgresClient", "AccessModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What the CLI and the HTTP service share: JSON shapes, input parsing, token secrets.
        .target(
            name: "LedgerService",
            dependencies: [
                "LedgerStore", "AccessModel", "PostgresClient",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // `accessledger serve`: the HTTP service (SPEC §7) over LedgerService, on Hummingbird.
        .target(
            name: "LedgerServer",
            dependencies: [
                "LedgerService", "LedgerStore", "AccessModel", "PostgresClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "accessledger",
            dependencies: [
                "LedgerServer", "LedgerService", "LedgerStore", "AccessModel", "PostgresClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // tools/bench: the benchmark harness (a seeded generator, measurements, baselines).
        .executableTarget(
            name: "accessledger-bench",
            dependencies: [
                "LedgerStore", "AccessModel", "PostgresClient",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/accessledger-bench"),
        // Test helpers: throwaway databases on the cluster that tools/test starts.
        .target(
            name: "TestSupport", dependencies: ["LedgerStore", "PostgresClient", "AccessModel"],
            path: "Tests/TestSupport"),
        .testTarget(name: "AccessModelTests", dependencies: ["AccessModel"]),
        .testTarget(
            name: "LedgerStoreTests",
            dependencies: [
                "LedgerStore", "PostgresClient", "AccessModel", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(
            name: "CLITests", dependencies: ["LedgerStore", "PostgresClient", "AccessModel", "TestSupport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "LedgerServer", "LedgerService", "LedgerStore", "PostgresClient", "AccessModel", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
    ]
)
